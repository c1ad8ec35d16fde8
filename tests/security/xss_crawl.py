"""Walk a live Lärlyft as one signed-in person: every same-site page reachable by links.

At most PER_ENDPOINT pages per URL rule (the first ones found), so a list of 45 activities
costs a few requests, not 45; files (CSV, XLSX, iCal) and the sign-out are not followed.
"""

from __future__ import annotations

import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from werkzeug.exceptions import HTTPException
from werkzeug.routing import MapAdapter

from tests.security.xss_oracle import text_and_links
from tests.security.xss_world import DEMO_PASSWORD

PER_ENDPOINT = 4
MAX_PAGES = 300
SKIP_ENDPOINTS = {"accounts.logout", "static"}
FILE_SUFFIXES = (".csv", ".xlsx", ".ics", ".png", ".jpg", ".svg", ".pdf", ".zip")
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@dataclass
class Page:
    url: str
    status: int
    html: str


@dataclass
class Walk:
    pages: list[Page] = field(default_factory=list)
    endpoints: set[str] = field(default_factory=set)


class Visitor:
    """A cookie-keeping HTTP client signed in as one person."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    def get(self, path: str) -> Page:
        try:
            with self.opener.open(self.base_url + path, timeout=30) as response:
                kind = response.headers.get("Content-Type", "")
                body = response.read().decode("utf-8") if "text/html" in kind else ""
                return Page(response.geturl(), response.status, body)
        except urllib.error.HTTPError as error:
            body = error.read().decode("utf-8", "replace")
            error.close()
            return Page(path, error.code, body)

    def login(self, email: str) -> None:
        token = CSRF.search(self.get("/login").html)
        assert token, "no CSRF token on /login"
        data = urllib.parse.urlencode(
            {"email": email, "password": DEMO_PASSWORD, "csrf_token": token.group(1)}
        ).encode()
        with self.opener.open(self.base_url + "/login", data=data, timeout=30) as response:
            assert "/login" not in urllib.parse.urlsplit(response.geturl()).path, email


def _local_path(href: str, base_url: str) -> str | None:
    """The path and query of a same-site link, or None for anything else."""
    absolute = urllib.parse.urljoin(base_url + "/", href)
    parts = urllib.parse.urlsplit(absolute)
    if f"{parts.scheme}://{parts.netloc}" != base_url or parts.path.endswith(FILE_SUFFIXES):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def endpoint_of(adapter: MapAdapter, path: str) -> str | None:
    try:
        endpoint, _args = adapter.match(urllib.parse.urlsplit(path).path, method="GET")
    except HTTPException:
        return None
    return str(endpoint)


def walk(
    base_url: str,
    adapter: MapAdapter,
    fetch: Callable[[str], Page],
    start: tuple[str, ...] = ("/",),
) -> Walk:
    """Breadth-first over same-site links from `start`, PER_ENDPOINT pages per rule."""
    result = Walk()
    seen: set[str] = set()
    per_endpoint: dict[str, int] = {}
    queue = deque(start)
    while queue and len(result.pages) < MAX_PAGES:
        path = queue.popleft()
        endpoint = endpoint_of(adapter, path)
        if path in seen or endpoint is None or endpoint in SKIP_ENDPOINTS:
            continue
        seen.add(path)
        if per_endpoint.get(endpoint, 0) >= PER_ENDPOINT:
            continue
        per_endpoint[endpoint] = per_endpoint.get(endpoint, 0) + 1
        page = fetch(path)
        result.pages.append(page)
        result.endpoints.add(endpoint)
        _text, links = text_and_links(page.html)
        for href in links:
            local = _local_path(href, base_url)
            if local is not None and local not in seen:
                queue.append(local)
    return result
