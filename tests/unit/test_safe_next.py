"""Where a login or a language switch may send the browser back to: this site only."""
import pytest

from webapp.core.security import safe_next


@pytest.mark.parametrize("target", [
    "/", "/permohonan/", "/permohonan/?q=budi%20santoso&status=baru", "/kualitas/kasus?hal=2#atas",
    "/a/b%2Fc", "/ok?next=//not-followed-here",
])
def test_local_paths_are_kept(target):
    assert safe_next(target) == target


@pytest.mark.parametrize("target", [
    None, "", "evil.example", "//evil.example", "///evil.example", "/\\evil.example", "\\\\evil.example",
    "/\t/evil.example", "/\n/evil.example", "/\r\nSet-Cookie: x=1", "/%09/evil.example", "/%0a/evil",
    "/%2F/evil.example", "/%2f%2fevil.example", "/%252F%252Fevil.example", "/%25252F%25252Fevil.example",
    "/%5Cevil.example", "https://evil.example", "HTTPS://evil.example", "javascript:alert(1)", "http:evil",
    " /x", "/ x", "/\u3000x", "/\u200bx", "/%E2%80%8Bx", "/\u202ex", "/%00", "/x\x00", "/" + "a" * 2001,
])
def test_anything_else_is_refused(target):
    assert safe_next(target) is None
