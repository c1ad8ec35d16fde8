"""Fixtures: the app on each database backend, a rolled-back session per test, helpers."""

from __future__ import annotations

import contextvars
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, text
from sqlalchemy.orm import Session, scoped_session, sessionmaker

from lms.app import create_app
from lms.config import load_settings
from lms.core import migrate
from lms.core.db import db
from tests.support.pgcheck import ensure_database

PG_URL = os.environ.get("LMS_TEST_POSTGRES_URL", "")
# Under pytest-xdist each worker gets its own PostgreSQL database (lms_test → lms_test_gw0),
# and so do the sibling databases named after it: workers never reset each other's data.
_XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
if PG_URL and _XDIST_WORKER:
    PG_URL = f"{PG_URL}_{_XDIST_WORKER}"
IN_CI = os.environ.get("CI", "").lower() == "true"
BACKENDS = ["sqlite", "postgres"] if PG_URL else ["sqlite"]
TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"


def pytest_sessionstart(session: pytest.Session) -> None:
    if IN_CI and not PG_URL:
        pytest.exit("CI=true but LMS_TEST_POSTGRES_URL is not set: PostgreSQL is required", 3)


NIGHTLY = os.environ.get("LMS_NIGHTLY", "") == "1"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect (never skip: CI allows no skips) what this run does not cover.

    Nightly checks run only under LMS_NIGHTLY=1 (`make test-nightly`), and
    backend-independent checks marked `sqlite_only` only on their SQLite parameter.
    """
    keep: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        nightly = item.get_closest_marker("nightly") is not None
        on_postgres = "[postgres" in item.nodeid
        if nightly != NIGHTLY or (on_postgres and item.get_closest_marker("sqlite_only")):
            dropped.append(item)
        else:
            keep.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


def pytest_report_header(config: pytest.Config) -> str:
    return f"lms backends: {', '.join(BACKENDS)}"


def reset_postgres(url: str) -> None:
    ensure_database(url)
    from lms.core.db import make_engine

    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def sibling_database(suffix: str) -> str:
    """A PostgreSQL URL beside LMS_TEST_POSTGRES_URL, named after it (lms_test → lms_test_x),
    so that parallel runs against different test databases never reset each other's."""
    base, name = PG_URL.rsplit("/", 1)
    return f"{base}/{name}_{suffix}"


def make_database(backend: str, folder: Path, pg_name: str = "") -> str:
    """A freshly migrated, empty database of the backend; returns its URL."""
    if backend == "sqlite":
        url = f"sqlite:///{folder / 'test.db'}"
    else:
        url = PG_URL if not pg_name else sibling_database(pg_name)
        reset_postgres(url)
    migrate.upgrade(url)
    return url


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    return make_database(request.param, tmp_path_factory.mktemp(request.param))


def test_settings(url: str, instance: Path, **overrides: Any) -> Any:
    return load_settings(
        environ={},
        env="test",
        database_url=url,
        instance_path=instance,
        secret_key=TEST_SECRET,
        base_url="http://localhost",
        **overrides,
    )


class IsolatedClient(FlaskClient):
    """A test client whose every request gets its own context, as a real request does.

    The tests hold an application context open; without this, Flask would reuse it
    for requests and `g` (the signed-in user, the CSRF token) would leak between them.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture(scope="session")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    application = create_app(test_settings(database_url, tmp_path_factory.mktemp("instance")))
    application.test_client_class = IsolatedClient
    with application.app_context():
        yield application


@pytest.fixture
def backend(database_url: str) -> str:
    return "sqlite" if database_url.startswith("sqlite") else "postgres"


@contextmanager
def rolled_back_session(app: Flask) -> Iterator[Session]:
    """A session inside one transaction that is rolled back at the end.

    The app's own sessions (one per request, as in production) share its connection
    through savepoints, so each side sees what the other committed; a test refreshes
    its objects when a request has changed them. The login throttle starts from zero.
    """
    connection = db.engine.connect()
    outer = connection.begin()
    options: dict[str, Any] = {
        "bind": connection,
        "join_transaction_mode": "create_savepoint",
        "expire_on_commit": False,
    }
    original = db.session
    db.session = scoped_session(sessionmaker(**options))
    test_session = Session(**options)
    app.extensions["lms_throttle"].reset()
    try:
        yield test_session
    finally:
        db.session.remove()
        db.session = original
        test_session.close()
        outer.rollback()
        connection.close()


@pytest.fixture
def session(app: Flask) -> Iterator[Session]:
    """A session for the test itself, inside a transaction rolled back after the test."""
    with rolled_back_session(app) as test_session:
        yield test_session


@pytest.fixture
def client(app: Flask, session: Session) -> FlaskClient:
    return app.test_client()


class QueryCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_queries(session: Session) -> Any:
    """Context manager counting the SQL statements run inside it."""

    @contextmanager
    def counting() -> Iterator[QueryCounter]:
        counter = QueryCounter()
        engine = session.get_bind().engine

        def _before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
                counter.statements.append(statement)

        event.listen(engine, "before_cursor_execute", _before)
        try:
            yield counter
        finally:
            event.remove(engine, "before_cursor_execute", _before)

    return counting


class Auth:
    """Logs the test client in and out as a given user."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def csrf_token(self, path: str = "/tillganglighet") -> str:
        """A valid CSRF token for this client's session, read from a real form."""
        html = self.client.get(path).get_data(as_text=True)
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
        return match.group(1) if match else ""

    def login(self, email: str, password: str = "correct-horse-battery", **extra: Any) -> Any:
        data = {"email": email, "password": password, "csrf_token": self.csrf_token(), **extra}
        return self.client.post("/login", data=data)

    def logout(self) -> Any:
        return self.client.post("/logout", data={"csrf_token": self.csrf_token()})


@pytest.fixture
def auth(client: FlaskClient) -> Auth:
    return Auth(client)


@pytest.fixture
def csrf_off(app: Flask) -> Iterator[None]:
    """Most view tests post without tokens; the CSRF tests turn it back on."""
    app.config["WTF_CSRF_ENABLED"] = False
    yield
    app.config["WTF_CSRF_ENABLED"] = True


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Say how many tests ran on each backend and in the browser, so CI output proves it."""
    passed = terminalreporter.stats.get("passed", [])
    skipped = terminalreporter.stats.get("skipped", [])
    counts = {
        name: sum(1 for r in passed if f"[{name}" in r.nodeid) for name in ("sqlite", "postgres")
    }
    browser = sum(1 for r in passed if r.nodeid.startswith("tests/browser/"))
    terminalreporter.write_line(
        f"lms: {counts['sqlite']} passed on sqlite, {counts['postgres']} passed on postgres, "
        f"{browser} browser tests passed, {len(skipped)} skipped"
    )
    if IN_CI and skipped:
        terminalreporter.write_line(
            "lms: CI=true does not allow skipped tests (a dependency is missing)"
        )


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if IN_CI and reporter is not None and reporter.stats.get("skipped") and exitstatus == 0:
        session.exitstatus = 1
