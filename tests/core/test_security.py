"""Security headers, CSRF, safe redirects and login throttling."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from lms.core.security import is_safe_next
from tests import factories


@pytest.mark.parametrize("path", ["/login", "/tillganglighet", "/forgot", "/no-such-page"])
def test_security_headers_on_public_pages(client, path: str) -> None:
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "style-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "Strict-Transport-Security" not in response.headers  # plain http here


def test_hsts_behind_https(client) -> None:
    response = client.get("/login", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_signed_in_pages_are_not_cached_and_carry_headers(client, session, auth) -> None:
    admin = factories.admin(session)
    session.commit()
    auth.login(admin.email)
    for path in ["/", "/profile", "/admin/", "/admin/users", "/admin/audit", "/admin/departments"]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == "no-store", path
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_templates_have_no_inline_script_or_style(app: Flask) -> None:
    from pathlib import Path

    from lms.config import REPO_ROOT

    # A <script src> from our own static files is fine; script or style inside a page is not.
    inline = re.compile(
        r"<script(?![^>]*\bsrc=)|<style|\sstyle=|\son[a-z]+=|javascript:", re.IGNORECASE
    )
    offenders = [
        path.name
        for path in Path(REPO_ROOT / "templates").rglob("*.html")
        if inline.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_post_without_csrf_token_is_refused(client, session) -> None:
    person = factories.user(session)
    session.commit()
    response = client.post("/login", data={"email": person.email, "password": factories.PASSWORD})
    assert response.status_code == 400
    assert "Location" not in response.headers


def test_post_with_wrong_csrf_token_is_refused(client) -> None:
    client.get("/login")
    response = client.post("/login", data={"email": "a@b.se", "password": "x", "csrf_token": "bad"})
    assert response.status_code == 400


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "http:evil.example",
        "/%0d%0aLocation:%20https://evil",
        "/\r\nLocation: https://evil",
        " //evil.example",
        "https:/evil.example",
        "",
        "evil.example",
        "/\tevil",
        "///evil.example",
    ],
)
def test_off_site_next_is_not_safe(target: str) -> None:
    assert not is_safe_next(target)


@pytest.mark.parametrize("target", ["/", "/profile", "/admin/users?page=2", "/a/b#c"])
def test_same_site_next_is_safe(target: str) -> None:
    assert is_safe_next(target)


@pytest.mark.usefixtures("csrf_off")
@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example", "/\\evil.example"])
def test_login_ignores_off_site_next(client, session, auth, target: str) -> None:
    person = factories.user(session)
    session.commit()
    response = auth.login(person.email, next=target)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


@pytest.mark.usefixtures("csrf_off")
def test_login_follows_same_site_next(client, session, auth) -> None:
    person = factories.user(session)
    session.commit()
    response = auth.login(person.email, next="/profile")
    assert response.headers["Location"] == "/profile"


@pytest.mark.usefixtures("csrf_off")
def test_repeated_wrong_passwords_throttle_the_account(app: Flask, client, session, auth) -> None:
    person = factories.user(session)
    session.commit()
    limit = app.config["LMS"].login_attempts_per_account
    for _ in range(limit):
        response = auth.login(person.email, password="wrong-password-123")
        assert response.status_code == 200
    # Even the right password is refused now, with a clear message.
    response = auth.login(person.email)
    assert response.status_code == 429
    assert b"login-error" in response.data
    assert client.get("/").status_code == 302  # still signed out


@pytest.mark.usefixtures("csrf_off")
def test_throttle_is_per_ip_across_accounts(app: Flask, client, session, auth) -> None:
    limit = app.config["LMS"].login_attempts_per_ip
    for n in range(limit):
        auth.login(f"nobody{n}@kultur.example.se", password="wrong-password-123")
    person = factories.user(session)
    session.commit()
    assert auth.login(person.email).status_code == 429


@pytest.mark.usefixtures("csrf_off")
def test_unknown_and_known_users_get_the_same_answer(client, session, auth) -> None:
    person = factories.user(session)
    session.commit()
    known = auth.login(person.email, password="wrong-password-123")
    unknown = auth.login("nobody@kultur.example.se", password="wrong-password-123")
    assert known.status_code == unknown.status_code == 200
    assert b"login-error" in known.data and b"login-error" in unknown.data
