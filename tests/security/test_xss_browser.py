"""Nightly: real Chromium loads the pages that render the stored XSS corpus, under the app's own
headers (its production CSP), with hooks that record every way a payload could act (item 6).

Hooks are installed before any page script (`add_init_script`): alert, confirm, prompt, print,
fetch, XMLHttpRequest, navigator.sendBeacon, window.open, WebSocket, EventSource, Worker, and
`securitypolicyviolation` events. Requests that leave the server are recorded too (a payload's
image or stylesheet from evil.example). Every count must be 0.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page

from tests.browser.conftest import _free_port
from tests.browser.conftest import browser as browser  # the Chromium fixture, reused
from tests.security.xss_crawl import Page as Fetched
from tests.security.xss_crawl import walk
from tests.security.xss_oracle import EMBED_HOSTS
from tests.security.xss_world import (
    DEMO_PASSWORD,
    LOGINS,
    build_payload_database,
    payload_server,
)

pytestmark = [pytest.mark.nightly, pytest.mark.browser, pytest.mark.sqlite_only]

HOOKS = """
(() => {
  const calls = [];
  Object.defineProperty(window, '__xssCalls', {value: calls});
  const record = (name) => function () {
    calls.push(name + ' ' + String([...arguments][0]).slice(0, 80));
  };
  for (const name of ['alert', 'confirm', 'prompt', 'print', 'open']) {
    window[name] = record(name);
  }
  window.fetch = (...args) => {
    calls.push('fetch ' + String(args[0]));
    return new Promise(() => {});
  };
  const NativeXHR = window.XMLHttpRequest;
  window.XMLHttpRequest = function () { calls.push('XMLHttpRequest'); return new NativeXHR(); };
  navigator.sendBeacon = (url) => { calls.push('sendBeacon ' + url); return true; };
  for (const name of ['WebSocket', 'EventSource', 'Worker', 'SharedWorker']) {
    window[name] = function (url) { calls.push(name + ' ' + url); };
  }
  document.addEventListener('securitypolicyviolation', (event) => {
    calls.push('csp ' + event.violatedDirective + ' ' + event.blockedURI);
  }, true);
})();
"""


@pytest.fixture(scope="module")
def payload_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("xss-browser")
    env, _written = build_payload_database(folder)
    with payload_server(env, _free_port(), folder / "server.log") as base_url:
        yield base_url


def _signed_in(browser: Browser, base_url: str, email: str) -> tuple[BrowserContext, Page]:
    context = browser.new_context(base_url=base_url, locale="sv-SE")
    context.set_default_timeout(15_000)
    context.add_init_script(HOOKS)
    page = context.new_page()
    page.goto("/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_load_state()
    assert "/login" not in page.url, f"{email} could not sign in"
    return context, page


class Recorder:
    """Loads pages in one tab; keeps what the hooks and the network saw."""

    def __init__(self, page: Page, base_url: str) -> None:
        self.page, self.base_url = page, base_url
        self.events: list[str] = []
        self.loaded = 0
        host = urlsplit(base_url).netloc
        page.on("dialog", lambda dialog: (self.events.append(f"dialog {dialog.message}"),
                                          dialog.dismiss()))  # fmt: skip
        page.on(
            "request",
            lambda request: (
                None
                if urlsplit(request.url).netloc in (host, "", *EMBED_HOSTS)
                or request.url.startswith(("data:", "blob:", "about:"))
                else self.events.append(f"off-site request {request.url}")
            ),
        )

    def fetch(self, path: str) -> Fetched:
        response = self.page.goto(path, wait_until="load")
        self.page.wait_for_timeout(50)  # let onerror/onload handlers of broken images fire
        calls = self.page.evaluate("() => window.__xssCalls ? [...window.__xssCalls] : []")
        self.events.extend(f"{path}: {call}" for call in calls)
        self.loaded += 1
        status = response.status if response is not None else 0
        html = self.page.content() if "html" in (response.headers if response else {}).get(
            "content-type", "html") else ""  # fmt: skip
        return Fetched(path, status, html)


def test_chromium_runs_no_stored_payload(app: Flask, browser: Browser, payload_site: str) -> None:
    adapter = app.url_map.bind("127.0.0.1")
    events: list[str] = []
    pages = 0
    for role, email in LOGINS.items():
        context, page = _signed_in(browser, payload_site, email)
        try:
            recorder = Recorder(page, payload_site)
            walk(payload_site, adapter, recorder.fetch)
            events.extend(f"{role} {event}" for event in recorder.events)
            pages += recorder.loaded
        finally:
            context.close()
    assert pages > 100
    assert not events, "\n".join(events[:40])
    print(f"\nChromium: {pages} pages loaded over {len(LOGINS)} roles, 0 hook calls")
