"""The page crawl behind tests/web/test_no_developer_text*.py: what a browser shows of a page, the
rules for developer text, and a crawl of every page a role reaches (see that test's docstring)."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from fastapi.testclient import TestClient

from helpers import login
from page_routes import NOT_PAGES, api_routes, plain_get_paths

# (who, role, agency): the signed-out citizen (role None) and every kind of signed-in user, a
# commune's staff included.
Role = tuple[str, str | None, str | None]
ROLES: tuple[Role, ...] = (
    ("citizen", None, None),
    ("admin", "admin", None),
    ("leader", "leader", None),
    ("operator", "operator", None),
    ("agency-staff", "agency_staff", "so-y-te"),
    ("commune-staff", "agency_staff", "ubnd-24133"),
)
SNAKE = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b")
FILE = re.compile(r"\b\w+\.(?:ya?ml|py|json|html)\b")
# A raw label pair such as "disease: measles" or "domain=air" (ASCII key and value).
LABEL = re.compile(r"(?<![\w/.:-])[a-z]{3,}(?:=|: ?)[a-z]{3,}\b")
# English interface words that must not show on a Vietnamese page (whole words, as written).
ENGLISH = re.compile(
    r"\b(?:Loading|No data|Submit|Cancel|Search|Status|Total|Save|Delete|Edit|Close|"
    r"Download|Upload|Filter|Reset|Previous|Next|Back|Details|Actions|Unknown|Error|"
    r"Choose File|No file chosen|Browse|Select|Overdue|Pending|Page|Loading\.\.\.)\b"
)
SKIP_TAGS = frozenset({"script", "style", "template", "noscript"})
# Shown on purpose as code (the rule editor's query keys, a rule's identifier for the
# administrator, an IP address) or data a user typed (a form field's content).
AS_CODE = frozenset({"code", "kbd", "samp", "textarea"})
PER_ROUTE = 2
MAX_PAGES = 150  # per role: keeps the crawl within a minute or two on a small machine
# Links never followed: files, exports, other languages, sign-out.
NOT_FOLLOWED = re.compile(
    r"(/export|/template|\.xlsx|\.csv|\.docx|\.pdf|\.json|\.yaml|/photos/|/files/|/static/)"
)


class _Visible(HTMLParser):
    """The text a browser shows, one string per text node."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.skip = 0
        self.texts: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIP_TAGS or tag in AS_CODE:
            self.skip += 1
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.links.append(href)

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIP_TAGS or tag in AS_CODE:
            self.skip = max(0, self.skip - 1)

    def handle_data(self, data: str) -> None:
        text = " ".join(data.split())
        if text and not self.skip:
            self.texts.append(text)


def problems_in(html: str) -> tuple[list[str], list[str]]:
    """(findings, links) of a page: each finding names the rule and the text it was in."""
    parser = _Visible()
    parser.feed(html)
    found = []
    for text in parser.texts:
        for rule, rx in (("code", SNAKE), ("file", FILE), ("label", LABEL), ("english", ENGLISH)):
            for m in rx.finditer(text):
                found.append(f"{rule}: {m.group(0)!r} in {text[:140]!r}")
    return found, parser.links


def _route_patterns(app: Any) -> list[tuple[str, re.Pattern[str]]]:
    out = []
    for path, route in api_routes(app.routes):
        if "GET" not in (route.methods or ()) or path.startswith(NOT_PAGES):
            continue
        rx = re.escape(path)
        rx = re.sub(r"\\\{[^}:]+:int\\\}", r"\\d+", rx)
        rx = re.sub(r"\\\{[^}]+\\\}", "[^/]+", rx)
        out.append((path, re.compile(f"^{rx}$")))
    # Literal routes before parameterised ones (/alerts/history is not /alerts/{id}).
    return sorted(out, key=lambda item: "{" in item[0])


def _template(path: str, patterns: list[tuple[str, re.Pattern[str]]]) -> str | None:
    for template, rx in patterns:
        if rx.match(path):
            return template
    return None


def crawl(client: TestClient) -> dict[str, list[str]]:
    """Visit the plain pages, then a sample of the pages they link to; findings per URL."""
    app = client.app
    patterns = _route_patterns(app)
    queue = list(plain_get_paths(app))
    seen_urls: set[str] = set(queue)
    per_key: dict[tuple[str, tuple[str, ...]], int] = defaultdict(int)
    findings: dict[str, list[str]] = {}
    visited = 0
    while queue and visited < MAX_PAGES:
        url = queue.pop(0)
        r = client.get(url, follow_redirects=False)
        visited += 1
        if r.status_code >= 500:
            findings[url] = [f"server error {r.status_code}"]
            continue
        if r.status_code != 200 or "text/html" not in r.headers.get("content-type", ""):
            continue
        found, links = problems_in(r.text)
        if found:
            findings[url] = sorted(set(found))
        for href in links:
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or not parts.path.startswith("/"):
                continue
            query = dict(parse_qsl(parts.query))
            if "lang" in query or NOT_FOLLOWED.search(parts.path):
                continue
            template = _template(parts.path, patterns)
            if template is None:
                continue
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            # A route with path parameters: PER_ROUTE samples whatever the query; a plain
            # route: one sample per set of query parameters (filters, periods, tabs).
            key = (template, ()) if "{" in template else (template, tuple(sorted(query)))
            limit = PER_ROUTE if "{" in template else 1
            if target in seen_urls or per_key[key] >= limit:
                continue
            per_key[key] += 1
            seen_urls.add(target)
            queue.append(target)
    return findings


def _found(findings: dict[str, list[str]]) -> Iterator[tuple[str, str]]:
    for url, found in findings.items():
        for f in found:
            yield url, f


def report_for(client: TestClient, make_user: Any, roles: tuple[Role, ...]) -> list[str]:
    """Findings on every page each of ``roles`` can reach (``None`` role: the signed-out
    citizen), as ``[who] url: finding`` lines."""
    report: list[str] = []
    for who, role, agency in roles:
        client.cookies.clear()
        if role is None:
            client.get("/public/air?lang=vi")
        else:
            name = "u-" + who
            login(client, name, make_user(name, role=role, agency=agency))
            client.get("/?lang=vi")
        report += [f"[{who}] {url}: {f}" for url, f in _found(crawl(client))]
    return report
