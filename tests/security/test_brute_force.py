"""Brute force: login limited per account and per IP (Flask-Limiter), across gunicorn
workers with Redis; known and unknown accounts get the same answer in about the same time."""

from __future__ import annotations

import re
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from limits.storage import MemoryStorage, RedisStorage
from sqlalchemy.orm import Session

from lms.core import migrate
from lms.core.db import make_engine
from lms.core.throttle import LoginThrottle
from tests import factories
from tests.conftest import TEST_SECRET, Auth
from tests.support.procs import HttpClient, app_env, start_gunicorn, token_in

pytestmark = pytest.mark.sqlite_only

WRONG = "wrong-password-123"
REDIS_URL = "redis://127.0.0.1:6379/4"
PORT = 5404


def _login(client: FlaskClient, email: str, password: str = WRONG) -> Any:
    return client.post("/login", data={"email": email, "password": password})


@pytest.mark.usefixtures("csrf_off")
def test_the_sixth_attempt_on_an_account_is_refused_even_with_the_right_password(
    app: Flask, client: FlaskClient, session: Session
) -> None:
    person = factories.user(session)
    session.commit()
    limit = app.config["LMS"].login_attempts_per_account
    assert limit == 5
    for _ in range(limit):
        assert _login(client, person.email.upper()).status_code == 200  # one account, any case
    refused = _login(client, person.email, factories.PASSWORD)
    assert refused.status_code == 429 and b'id="login-error"' in refused.data
    assert client.get("/").status_code == 302
    assert _login(client, "someone-else@kultur.example.se").status_code == 200  # per account


@pytest.mark.usefixtures("csrf_off")
def test_a_success_clears_the_account_count(
    app: Flask, client: FlaskClient, session: Session, auth: Auth
) -> None:
    person = factories.user(session)
    session.commit()
    for _ in range(4):
        assert _login(client, person.email).status_code == 200
    assert _login(client, person.email, factories.PASSWORD).status_code == 302
    auth.logout()
    for _ in range(4):
        assert _login(client, person.email).status_code == 200


@pytest.mark.usefixtures("csrf_off")
def test_the_31st_failure_from_one_address_is_refused_whatever_the_account(
    app: Flask, client: FlaskClient, session: Session
) -> None:
    person = factories.user(session)
    session.commit()
    limit = app.config["LMS"].login_attempts_per_ip
    assert limit == 30
    for n in range(limit):
        assert _login(client, f"nobody{n}@kultur.example.se").status_code == 200
    assert _login(client, person.email, factories.PASSWORD).status_code == 429
    other_address = app.test_client()
    other_address.environ_base["REMOTE_ADDR"] = "10.0.0.7"
    assert _login(other_address, person.email, factories.PASSWORD).status_code == 302


def test_storage_is_memory_embedded_and_redis_when_configured() -> None:
    embedded = LoginThrottle(Flask("embedded"), "", 5, 30, 900)
    assert isinstance(embedded.limiter.storage, MemoryStorage)
    shared = LoginThrottle(Flask("production"), REDIS_URL, 5, 30, 900)
    assert isinstance(shared.limiter.storage, RedisStorage)


def _normalised(page: bytes, email: str) -> str:
    text = page.decode("utf-8").replace(email, "EMAIL")
    return re.sub(r'name="csrf_token"[^>]*value="[^"]+"', "CSRF", text)


@pytest.mark.usefixtures("csrf_off")
def test_known_and_unknown_accounts_get_the_same_answer_in_about_the_same_time(
    app: Flask, session: Session
) -> None:
    person = factories.user(session)
    session.commit()
    unknown = "nobody-here@kultur.example.se"
    timings: dict[str, list[float]] = {"known": [], "unknown": []}
    pages: dict[str, set[str]] = {"known": set(), "unknown": set()}
    for _ in range(10):  # interleaved, so drift in machine load hits both alike
        for kind, email in (("known", person.email), ("unknown", unknown)):
            app.extensions["lms_throttle"].reset()
            fresh = app.test_client()
            started = time.perf_counter()
            response = _login(fresh, email)
            timings[kind].append(time.perf_counter() - started)
            assert response.status_code == 200
            pages[kind].add(_normalised(response.data, email))
    assert len(pages["known"]) == 1 and pages["known"] == pages["unknown"]
    ratio = statistics.median(timings["unknown"]) / statistics.median(timings["known"])
    assert 0.5 <= ratio <= 2.0, (ratio, timings)


# --- several gunicorn workers sharing Redis ---------------------------------------------------


def _redis() -> redis.Redis:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.exceptions.ConnectionError as error:  # CI allows no skip: a missing Redis fails
        pytest.fail(f"Redis is needed at {REDIS_URL} for the multi-worker check: {error}")
    return client


def _database_with_people(folder: Path, emails: list[str]) -> str:
    url = f"sqlite:///{folder / 'workers.db'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    with Session(engine) as session:
        for email in emails:
            factories.user(session, email=email)
        session.commit()
    engine.dispose()
    return url


def _attempt(email: str, password: str = WRONG) -> int:
    """One login attempt from a new browser on a new connection; the status."""
    client = HttpClient(PORT)
    token = token_in(client.get("/login")[1])
    form = {"email": email, "password": password, "csrf_token": token}
    return client.request("POST", "/login", form)[0]


def _answering_pids(log: Path) -> list[str]:
    """The pids of the workers that answered each login POST, from the access log."""
    lines = log.read_text().splitlines()
    return [line.split()[0] for line in lines if line.endswith("POST /login")]


def test_limits_hold_across_three_gunicorn_workers(tmp_path: Path) -> None:
    store = _redis()
    store.flushdb()
    alice, bob, carol = (f"{n}@kultur.example.se" for n in ("alice", "bob", "carol"))
    url = _database_with_people(tmp_path, [alice, bob, carol])
    access = tmp_path / "access.log"
    env = app_env(
        url,
        tmp_path / "instance",
        TEST_SECRET,
        LMS_REDIS_URL=REDIS_URL,
        LMS_LOGIN_ATTEMPTS_PER_ACCOUNT="5",
        LMS_LOGIN_ATTEMPTS_PER_IP="30",
        GUNICORN_CMD_ARGS=f"--access-logfile {access} --access-logformat '%(p)s %(m)s %(U)s'",
    )
    server = start_gunicorn(env, tmp_path, port=PORT, workers=3, preload=True)
    try:
        # Per account, one at a time: five failures answered, then refused, right password too.
        statuses = [_attempt(alice) for _ in range(5)]
        statuses += [_attempt(alice, factories.PASSWORD), _attempt(alice), _attempt(alice)]
        assert statuses == [200] * 5 + [429] * 3
        # Per account, a parallel burst of 12 over the workers: exactly 5 get through.
        with ThreadPoolExecutor(max_workers=6) as pool:
            burst = list(pool.map(lambda _n: _attempt(bob), range(12)))
        assert sorted(burst) == [200] * 5 + [429] * 7, burst
        answered_by = _answering_pids(access)
        assert len(set(answered_by)) >= 2, answered_by  # the counts really were shared
        # Per IP: 30 failures over 30 unknown accounts, then even carol's right password waits.
        store.flushdb()
        with ThreadPoolExecutor(max_workers=6) as pool:
            spread = list(pool.map(lambda n: _attempt(f"x{n}@kultur.example.se"), range(30)))
        assert spread == [200] * 30
        assert _attempt(carol, factories.PASSWORD) == 429
        assert len(set(_answering_pids(access))) == 3, "every worker answered some attempt"
    finally:
        server.stop()
        store.flushdb()
