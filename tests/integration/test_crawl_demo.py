"""Every page a user can reach by following links, with the demo data loaded, answers without a
server error — for each role. A safety net under the per-feature tests: pagers, filters, detail
pages of every kind of record, printable pages."""
from collections import deque
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest

from webapp.admin.demo import DEMO_PASSWORD
from webapp.demo import run_demo_loaders

MAX_PAGES_PER_ROLE = 250
SKIP_PREFIXES = ("/static/", "/keluar")


class LinkParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in ("href", "hx-get"):
            if attrs.get(name) and (tag == "a" or name == "hx-get"):
                self.links.append(attrs[name])


def _links(html: str, base: str) -> list[str]:
    parser = LinkParser()
    parser.feed(html)
    out = []
    for href in parser.links:
        url = urljoin(base, href)
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost") or parts.path.startswith(SKIP_PREFIXES):
            continue
        out.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return out


@pytest.fixture
def demo(app):
    run_demo_loaders(lambda line: None)


@pytest.mark.parametrize("username", ["admin", "kadis", "kabid.dafduk", "kabid.capil", "operator", "petugas",
                                      "viewer", "kades.loksado"])
def test_every_linked_page_answers_without_error(demo, client, username):
    resp = client.post_form("/masuk", {"username": username, "password": DEMO_PASSWORD})
    assert resp.status_code == 302
    seen, queue, errors = set(), deque(["/"]), []
    while queue and len(seen) < MAX_PAGES_PER_ROLE:
        path = queue.popleft()
        if path in seen:
            continue
        seen.add(path)
        page = client.get(path, headers={"HX-Request": "true"} if "hx" in path else None)
        if page.status_code >= 500:
            errors.append((path, page.status_code))
            continue
        if page.status_code == 200 and page.mimetype == "text/html":
            queue.extend(link for link in _links(page.get_data(as_text=True), "http://localhost" + path)
                         if link not in seen)
    print(f"{username}: {len(seen)} pages")
    assert errors == []
    assert len(seen) > 5
