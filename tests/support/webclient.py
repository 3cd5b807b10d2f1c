"""A small browser without a browser, for tests and benches that drive a real web process over
HTTP: cookies (http.cookiejar), redirects, and the page's own forms filled the way a browser
fills them (hidden fields such as the CSRF token, checked radios, selected options) before the
test sets what a person would type or choose; multipart for file inputs.

    web = WebClient("http://127.0.0.1:5001")
    web.login("petugas", "pecel-demo-2026")
    page = web.get("/lapangan/<trip>/warga-baru")
    form = page.form(action="/warga-baru")            # the first form whose action contains this
    form.set(name="Aluh", sex="L")
    answer = web.submit(form)                          # follows the redirect; .status, .url, .text
    answer = web.submit(form, files={"file:": [("foto.png", "image/png", data)]})
"""
from __future__ import annotations

import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Field:
    name: str
    kind: str                       # input type, "select" or "textarea"
    value: str = ""
    checked: bool = False
    options: list[tuple[str, bool]] = field(default_factory=list)   # select: (value, selected)
    multiple: bool = False
    attrs: dict = field(default_factory=dict)


@dataclass
class Form:
    action: str
    method: str = "get"
    enctype: str = "application/x-www-form-urlencoded"
    attrs: dict = field(default_factory=dict)
    fields: list[Field] = field(default_factory=list)
    overrides: dict = field(default_factory=dict)

    def names(self) -> list[str]:
        return list(dict.fromkeys(f.name for f in self.fields))

    def options(self, name: str) -> list[str]:
        """The values a select or a radio group offers."""
        found = []
        for f in self.fields:
            if f.name == name:
                found.extend(v for v, _s in f.options) if f.kind == "select" else found.append(f.value)
        return found

    def set(self, **values) -> "Form":
        """What the person types or chooses (a list for several values of one name); None drops the name."""
        self.overrides.update(values)
        return self

    def choose(self, name: str, value) -> "Form":
        """set() for names that are no Python identifiers ("state:<id>")."""
        self.overrides[name] = value
        return self

    def pairs(self) -> list[tuple[str, str]]:
        """The (name, value) pairs a browser would send, then the overrides in place of theirs."""
        sent: list[tuple[str, str]] = []
        for f in self.fields:
            if f.name in self.overrides or f.kind in ("submit", "button", "image", "reset", "file"):
                continue
            if f.kind in ("checkbox", "radio"):
                if f.checked:
                    sent.append((f.name, f.value or "on"))
            elif f.kind == "select":
                chosen = [v for v, selected in f.options if selected]
                if not chosen and f.options and not f.multiple:
                    chosen = [f.options[0][0]]
                sent.extend((f.name, v) for v in chosen)
            else:
                sent.append((f.name, f.value))
        for name, value in self.overrides.items():
            if value is None:
                continue
            for item in value if isinstance(value, (list, tuple)) else [value]:
                sent.append((name, str(item)))
        return sent


class _FormParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: Field | None = None
        self._option: list | None = None
        self._textarea: Field | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self._form = Form(action=a.get("action", ""), method=a.get("method", "get").lower(),
                              enctype=a.get("enctype", "application/x-www-form-urlencoded"), attrs=a)
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag in ("input", "button") and a.get("name"):
            kind = a.get("type", "text" if tag == "input" else "submit").lower()
            self._form.fields.append(Field(a["name"], kind, a.get("value", ""), "checked" in a, attrs=a))
        elif tag == "select" and a.get("name"):
            self._select = Field(a["name"], "select", multiple="multiple" in a, attrs=a)
            self._form.fields.append(self._select)
        elif tag == "option" and self._select is not None:
            self._option = [a.get("value"), "selected" in a, ""]
        elif tag == "textarea" and a.get("name"):
            self._textarea = Field(a["name"], "textarea", attrs=a)
            self._form.fields.append(self._textarea)

    def handle_data(self, data):
        if self._option is not None:
            self._option[2] += data
        if self._textarea is not None:
            self._textarea.value += data

    def handle_endtag(self, tag):
        if tag == "option" and self._option is not None and self._select is not None:
            value, selected, text = self._option
            self._select.options.append((value if value is not None else text.strip(), selected))
            self._option = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            if self._textarea is not None and self._textarea.value.startswith("\n"):
                self._textarea.value = self._textarea.value[1:]
            self._textarea = None
        elif tag == "form":
            self._form = None


@dataclass
class Page:
    status: int
    url: str
    text: str
    headers: dict

    def forms(self) -> list[Form]:
        parser = _FormParser()
        parser.feed(self.text)
        return parser.forms

    def form(self, action: str | None = None, *, testid: str | None = None, form_id: str | None = None) -> Form:
        """The first form whose action contains `action` (and/or with that data-testid / id)."""
        for found in self.forms():
            if action is not None and action not in found.action:
                continue
            if testid is not None and found.attrs.get("data-testid") != testid:
                continue
            if form_id is not None and found.attrs.get("id") != form_id:
                continue
            found.base_url = self.url
            return found
        raise AssertionError(f"no form action~{action!r} testid={testid!r} id={form_id!r} on {self.url} "
                             f"({self.status}); forms: {[f.action for f in self.forms()]}")

    def find(self, pattern: str, group: int = 1) -> str:
        match = re.search(pattern, self.text)
        if not match:
            raise AssertionError(f"{pattern!r} not on {self.url} ({self.status})")
        return match.group(group)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class WebClient:
    def __init__(self, base_url: str, *, timeout: float = 60.0):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.cookies = http.cookiejar.CookieJar()
        self._opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirect)

    def _url(self, path: str) -> str:
        return path if path.startswith("http") else self.base_url + path

    def request(self, method: str, path: str, *, body: bytes | None = None, headers: dict | None = None,
                follow: bool = True) -> Page:
        url = self._url(path)
        for _hop in range(10):
            req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
            try:
                with self._opener.open(req, timeout=self.timeout) as answer:
                    page = Page(answer.status, answer.url, answer.read().decode("utf-8", "replace"),
                                dict(answer.headers))
            except urllib.error.HTTPError as error:
                page = Page(error.code, url, error.read().decode("utf-8", "replace"), dict(error.headers))
            if follow and page.status in (301, 302, 303, 307, 308) and page.headers.get("Location"):
                url = urllib.parse.urljoin(url, page.headers["Location"])
                if page.status in (301, 302, 303):
                    method, body, headers = "GET", None, {}
                continue
            return page
        raise AssertionError(f"too many redirects from {path}")

    def get(self, path: str, **kwargs) -> Page:
        return self.request("GET", path, **kwargs)

    def submit(self, form: Form, *, files: dict | None = None, headers: dict | None = None,
               follow: bool = True) -> Page:
        """Send the form as its page would: urlencoded, or multipart when it has files.
        files: {name: [(filename, content type, bytes), ...]}."""
        target = urllib.parse.urljoin(getattr(form, "base_url", self.base_url + "/"), form.action or "")
        pairs = form.pairs()
        if form.method != "post":
            query = urllib.parse.urlencode(pairs)
            return self.get(target + ("&" if "?" in target else "?") + query, follow=follow)
        if files or form.enctype == "multipart/form-data":
            body, content_type = multipart(pairs, files or {})
        else:
            body, content_type = urllib.parse.urlencode(pairs).encode(), "application/x-www-form-urlencoded"
        return self.request("POST", target, body=body, headers={"Content-Type": content_type, **(headers or {})},
                            follow=follow)

    def login(self, username: str, password: str, *, path: str = "/masuk") -> Page:
        page = self.get(path)
        form = page.form(action=path)
        answer = self.submit(form.set(username=username, password=password))
        if "/masuk" in urllib.parse.urlsplit(answer.url).path:
            raise AssertionError(f"login as {username} refused ({answer.status})")
        return answer


def multipart(pairs: list[tuple[str, str]], files: dict) -> tuple[bytes, str]:
    boundary = "----kp" + uuid.uuid4().hex
    out = bytearray()
    for name, value in pairs:
        out += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n").encode()
        out += str(value).encode() + b"\r\n"
    for name, items in files.items():
        for filename, content_type, data in items:
            out += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\n"
                    f"Content-Type: {content_type}\r\n\r\n").encode()
            out += data + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return bytes(out), f"multipart/form-data; boundary={boundary}"
