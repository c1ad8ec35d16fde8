"""Browser tests: the demo app served by a real `flask run`, driven by headless Chromium.

Each backend in ``BACKENDS`` gets its own live server (SQLite in a temp folder; PostgreSQL in a
separate ``<test database>_browser`` database beside ``LMS_TEST_POSTGRES_URL``), loaded with the
demo organisation via the real CLI. ``check_axe`` runs the vendored axe-core on a page; it saves
a full-page screenshot to ``LMS_SCREENSHOT_DIR`` (default ``build/screenshots``).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from babel.support import NullTranslations, Translations
from playwright.sync_api import Browser, Page

from tests.conftest import BACKENDS, IN_CI, reset_postgres, sibling_database

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
SV_CATALOG = REPO_ROOT / "lms" / "translations" / "sv" / "LC_MESSAGES" / "messages.mo"
AXE_SOURCE = (HERE / "vendor" / "axe.min.js").read_text(encoding="utf-8")
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
SERVER_START_TIMEOUT = 30.0
# A low per-account limit lets one test reach the throttled state quickly; the per-IP limit
# (default 30 in 15 minutes) stays far above the handful of failures the suite makes.
LOGIN_ATTEMPTS_PER_ACCOUNT = 3

# base URL of each running live server -> its backend name (for screenshot file names)
_SERVERS: dict[str, str] = {}
_SCREENSHOTS: list[Path] = []


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test under tests/browser/ carries the `browser` marker (`-m "not browser"`).

    Under pytest-xdist (`--dist loadgroup`) they all go to one worker, so the live
    servers and the browser start once while the other worker runs the rest.
    """
    for item in items:
        if HERE in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.xdist_group("browser"))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _SCREENSHOTS:
        terminalreporter.write_line(
            f"browser screenshots ({len(_SCREENSHOTS)}): {screenshot_dir()}"
        )


# --- the Swedish catalog ---------------------------------------------------------------------

_CATALOG: NullTranslations | None = None


def sv(msgid: str, **values: Any) -> str:
    """The Swedish UI text for an English msgid, as the app shows it (msgid when untranslated).

    Tests use literal Swedish for the words the product has fixed (``"Logga in"``, ``"E-post"``,
    ``"Mitt team"`` …) and this for the rest of the wording, so they follow the catalog.
    """
    global _CATALOG
    if _CATALOG is None:
        _CATALOG = Translations.load(str(REPO_ROOT / "lms" / "translations"), ["sv"])
    text = _CATALOG.gettext(msgid)
    return text % values if values else text


# --- the live server -------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _server_env(database_url: str, instance: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LMS_", "FLASK_"))}
    env.update(
        LMS_DATABASE_URL=database_url,
        LMS_INSTANCE_PATH=str(instance),
        LMS_SECRET_KEY=secrets.token_urlsafe(48),
        LMS_ENV="test",
        LMS_LOGIN_ATTEMPTS_PER_ACCOUNT=str(LOGIN_ATTEMPTS_PER_ACCOUNT),
        PYTHONUNBUFFERED="1",
    )
    return env


def _database_url(backend: str, folder: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{folder / 'browser.db'}"
    url = sibling_database("browser")
    reset_postgres(url)
    return url


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except urllib.error.HTTPError as error:
        error.close()
        return False
    except OSError:
        return False


def _wait_until_up(proc: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        if _answers(url):
            return
        time.sleep(0.1)
    output = log.read_text(encoding="utf-8", errors="replace")
    print(f"live server output:\n{output}", file=sys.stderr)
    pytest.fail(
        f"the live server did not answer GET {url} within {SERVER_START_TIMEOUT:.0f} s "
        f"(exit code {proc.poll()}); its output:\n{output}"
    )


@pytest.fixture(scope="session", params=BACKENDS)
def live_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """`flask run` on a free port over a demo database of the backend; yields the base URL."""
    backend: str = request.param
    if not SV_CATALOG.exists():
        pytest.fail(
            f"{SV_CATALOG.relative_to(REPO_ROOT)} is missing, so the UI would be in English: "
            "run `make catalogs` (or `.venv/bin/pybabel compile -d lms/translations`)"
        )
    folder = tmp_path_factory.mktemp(f"browser-{backend}")
    instance = folder / "instance"
    instance.mkdir()
    env = _server_env(_database_url(backend, folder), instance)
    init = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "lms", "init", "--demo"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    if init.returncode != 0:
        pytest.fail(f"`lms init --demo` failed ({init.returncode}):\n{init.stdout}\n{init.stderr}")
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    log_path = folder / "server.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "flask",
                "--app",
                "wsgi",
                "run",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-reload",
            ],
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_up(proc, base_url + "/login", log_path)
        _SERVERS[base_url] = backend
        yield base_url
    finally:
        _SERVERS.pop(base_url, None)
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


# --- the browser -----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        reason = (
            f"{CHROMIUM} is missing: install Debian's `chromium` package to run the browser tests"
        )
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        playwright.stop()


@pytest.fixture
def page(browser: Browser, live_server: str) -> Iterator[Page]:
    """A fresh page (own cookies) on the live server; `page.goto("/login")` is relative."""
    context = browser.new_context(
        base_url=live_server, viewport={"width": 1280, "height": 900}, locale="sv-SE"
    )
    context.set_default_timeout(10_000)
    try:
        yield context.new_page()
    finally:
        context.close()


# --- axe and screenshots ---------------------------------------------------------------------


def screenshot_dir() -> Path:
    folder = Path(os.environ.get("LMS_SCREENSHOT_DIR") or REPO_ROOT / "build" / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def backend_of(page: Page) -> str:
    parts = urlsplit(page.url)
    return _SERVERS.get(f"{parts.scheme}://{parts.netloc}", "unknown")


def save_screenshot(page: Page, name: str) -> Path:
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-")
    path = screenshot_dir() / f"{backend_of(page)}-{slug}.png"
    page.screenshot(path=str(path), full_page=True)
    _SCREENSHOTS.append(path)
    return path


_RUN_AXE = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map(n => ({target: n.target, html: n.html, summary: n.failureSummary})),
  }));
}"""


def format_violations(violations: list[dict[str, Any]], max_nodes: int = 3) -> str:
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} [{v['impact']}] {v['help']} ({len(v['nodes'])} element(s))")
        for node in v["nodes"][:max_nodes]:
            target = " ".join(json.dumps(t, ensure_ascii=False) for t in node["target"])
            lines.append(f"    {target}: {node['html'][:160]}")
    return "\n".join(lines)


def check_axe(page: Page, name: str) -> None:
    """Screenshot the page, then assert axe-core finds no WCAG 2.1 A/AA violation on it.

    axe is injected with `page.evaluate` (through the DevTools protocol), because the app's CSP
    refuses inline scripts and so a <script> tag would not run.
    """
    shot = save_screenshot(page, name)
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_SOURCE)
    violations = page.evaluate(_RUN_AXE, AXE_TAGS)
    assert not violations, (
        f"axe found {len(violations)} WCAG 2.1 A/AA violation(s) on {name} ({page.url}), "
        f"screenshot {shot}:\n{format_violations(violations)}"
    )
