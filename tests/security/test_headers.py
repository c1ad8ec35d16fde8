"""Headers and cookies on every response: a walk over every rule × method of the URL map,
anonymous and signed in, over http and https, plus static files, errors and a 500."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, ClassVar

import pytest
from flask import Flask, request
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from lms.app import create_app
from lms.config import REPO_ROOT, load_settings
from lms.core.access import Permission, public
from lms.core.time import utcnow
from tests import factories
from tests.conftest import TEST_SECRET, Auth
from tests.core.test_access import _example_url, _rules

pytestmark = pytest.mark.sqlite_only

ALL = Permission(sum(Permission))
REFERRER_POLICIES = {
    "no-referrer",
    "same-origin",
    "strict-origin",
    "strict-origin-when-cross-origin",
}


def csp_directives(header: str) -> dict[str, list[str]]:
    directives: dict[str, list[str]] = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = [w.lower() for w in words[1:]]
    return directives


def check_headers(response: Any, https: bool, where: str) -> None:
    headers = response.headers
    csp = csp_directives(headers.get("Content-Security-Policy", ""))
    script = csp.get("script-src", csp.get("default-src"))
    assert script, where
    assert not {"'unsafe-inline'", "'unsafe-eval'", "*", "data:", "http:", "https:"} & set(
        script
    ), where
    assert csp.get("frame-ancestors") == ["'none'"], where
    assert csp.get("object-src") == ["'none'"], where
    assert headers.get("X-Content-Type-Options") == "nosniff", where
    assert headers.get("Referrer-Policy") in REFERRER_POLICIES, where
    hsts = headers.get("Strict-Transport-Security")
    if https:
        assert hsts is not None, where
        max_age = int(re.search(r"max-age=(\d+)", hsts).group(1))  # type: ignore[union-attr]
        assert max_age >= 31536000, where
    else:
        assert hsts is None, where


def check_not_stored(response: Any, where: str) -> None:
    """A signed-in page is never stored; a file a view marks `private` (an uploaded image
    named by its hash, a calendar feed) may stay in the browser's own cache only."""
    cache = response.headers.get("Cache-Control", "")
    if response.mimetype == "text/html":
        assert "no-store" in cache, where
    else:
        assert "no-store" in cache or "private" in cache, where


def walk(app: Flask, client: FlaskClient, base_url: str) -> Iterator[tuple[str, str, Any]]:
    """Every rule × method (HEAD and OPTIONS too), with CSRF on: GET pages, 302s, 400s…"""
    for rule in _rules(app):
        url = _example_url(rule)
        for method in sorted(rule.methods or ()):
            yield (
                rule.endpoint,
                f"{method} {url}",
                client.open(url, method=method, base_url=base_url),
            )


def extras(app: Flask, client: FlaskClient, base_url: str) -> Iterator[tuple[str, str, Any]]:
    """What a rule walk does not reach: a real static file, an unknown URL, a bad method."""
    folder = Path(app.static_folder or REPO_ROOT / "lms" / "static")
    static = "/static/" + next(folder.rglob("*.css")).relative_to(folder).as_posix()
    for label, method, url in [
        ("static", "GET", static),
        ("404", "GET", "/no/such/page"),
        ("405", "PUT", "/login"),
        ("traversal", "GET", "/static/../wsgi.py"),
    ]:
        yield label, f"{method} {url}", client.open(url, method=method, base_url=base_url)


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_every_response_carries_the_security_headers(
    app: Flask, client: FlaskClient, session: Session, auth: Auth, scheme: str
) -> None:
    base_url = f"{scheme}://localhost"
    statuses: Counter[int] = Counter()
    person = factories.user(session, permissions=ALL)
    session.commit()
    # Over https the anonymous walk suffices for HSTS (it does not depend on the user).
    for signed_in in (False, True) if scheme == "http" else (False,):
        if signed_in:
            assert auth.login(person.email).status_code == 302
        for endpoint, where, response in [
            *walk(app, client, base_url),
            *extras(app, client, base_url),
        ]:
            check_headers(response, scheme == "https", f"{where} signed_in={signed_in}")
            statuses[response.status_code] += 1
            if signed_in and endpoint != "static":
                check_not_stored(response, where)
            response.close()  # a static file's stream
    # The walk really met the kinds of answer it claims to cover.
    assert {200, 302, 400, 404, 405} <= set(statuses), statuses
    assert sum(statuses.values()) >= 400, statuses


def test_a_500_carries_the_headers_too(app: Flask, client: FlaskClient, monkeypatch) -> None:
    @public
    def boom() -> None:
        raise RuntimeError("boom")

    monkeypatch.setitem(app.view_functions, "home.accessibility", boom)
    for scheme in ("http", "https"):
        response = client.get("/tillganglighet", base_url=f"{scheme}://localhost")
        assert response.status_code == 500
        check_headers(response, scheme == "https", f"500 over {scheme}")


def test_the_header_check_can_fail() -> None:
    class Fake:
        headers: ClassVar[dict[str, str]] = {
            "Content-Security-Policy": "script-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
        }

    with pytest.raises(AssertionError):
        check_headers(Fake(), False, "unsafe-inline")


def set_cookies(response: Any) -> dict[str, str]:
    return {h.split("=", 1)[0]: h for h in response.headers.getlist("Set-Cookie")}


def assert_cookie(header: str, secure: bool) -> None:
    attributes = [part.strip().lower() for part in header.split(";")[1:]]
    assert "httponly" in attributes, header
    assert "samesite=lax" in attributes, header
    assert ("secure" in attributes) is secure, header


@pytest.fixture
def https_cookie_config(app: Flask, database_url: str, tmp_path: Path) -> dict[str, Any]:
    """The cookie settings create_app makes for an https deployment (before `session`:
    building an app re-points the shared engine at the same database)."""
    settings = load_settings(
        environ={},
        env="test",
        database_url=database_url,
        instance_path=tmp_path,
        secret_key=TEST_SECRET,
        base_url="https://larlyft.example",
    )
    https_app = create_app(settings)
    return {
        k: v for k, v in https_app.config.items() if k.endswith(("_COOKIE_SECURE", "_COOKIE_NAME"))
    }


@pytest.mark.usefixtures("csrf_off")
@pytest.mark.parametrize("scheme", ["http", "https"])
def test_session_and_remember_cookies(
    https_cookie_config: dict[str, Any],
    app: Flask,
    client: FlaskClient,
    session: Session,
    monkeypatch,
    scheme: str,
) -> None:
    if scheme == "https":
        assert https_cookie_config == {
            "SESSION_COOKIE_SECURE": True,
            "REMEMBER_COOKIE_SECURE": True,
            "SESSION_COOKIE_NAME": "__Host-session",
            "REMEMBER_COOKIE_NAME": "__Host-remember_token",
        }
        for key, value in https_cookie_config.items():
            monkeypatch.setitem(app.config, key, value)
    prefix = "__Host-" if scheme == "https" else ""
    person = factories.user(session)
    session.commit()
    data = {"email": person.email, "password": factories.PASSWORD, "remember": "y"}
    response = client.post("/login", data=data, base_url=f"{scheme}://localhost")
    cookies = set_cookies(response)
    assert set(cookies) == {f"{prefix}session", f"{prefix}remember_token"}, cookies
    for header in cookies.values():
        assert_cookie(header, secure=scheme == "https")
        if prefix:  # what browsers demand of a __Host- cookie, or they drop it
            attributes = [part.strip().lower() for part in header.split(";")[1:]]
            assert "path=/" in attributes, header
            assert not any(a.startswith("domain=") for a in attributes), header
    expires = re.search(r"Expires=([^;]+)", cookies[f"{prefix}remember_token"])
    assert expires is not None
    lifetime = parsedate_to_datetime(expires.group(1)) - utcnow()
    assert lifetime <= timedelta(days=14, minutes=1)
    assert app.config["REMEMBER_COOKIE_DURATION"] <= 14 * 86400


@pytest.mark.parametrize("proxies", [0, 1])
def test_trusted_proxies_give_the_client_address_and_scheme(
    app: Flask, database_url: str, tmp_path: Path, proxies: int
) -> None:
    """Behind LMS_TRUSTED_PROXIES=1 the app sees the client's address and https (the per-IP
    login limit and HSTS depend on them); without it a forged X-Forwarded-* changes nothing."""
    settings = load_settings(
        environ={},
        env="test",
        database_url=database_url,
        instance_path=tmp_path,
        secret_key=TEST_SECRET,
        base_url="http://localhost",
        trusted_proxies=proxies,
    )
    proxied = create_app(settings)
    seen: list[tuple[str | None, str]] = []
    proxied.before_request(lambda: seen.append((request.remote_addr, request.scheme)) and None)
    headers = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}
    response = proxied.test_client().get(
        "/tillganglighet", headers=headers, environ_base={"REMOTE_ADDR": "10.0.0.2"}
    )
    hsts = response.headers.get("Strict-Transport-Security")
    if proxies:
        assert seen == [("203.0.113.7", "https")]
        assert hsts is not None and "max-age=" in hsts
    else:
        assert seen == [("10.0.0.2", "http")]
        assert hsts is None
