"""Signing in and out, remember-me, password reset and invitations."""

from __future__ import annotations

import re
from datetime import timedelta
from email.utils import parsedate_to_datetime

import pytest
from flask import Flask
from sqlalchemy import select

from lms.accounts import services
from lms.accounts.mails import send_invitation
from lms.accounts.models import AuthToken
from lms.core.outbox import OutboxEmail
from lms.core.passwords import hash_password, needs_rehash
from lms.core.time import utcnow
from tests import factories

pytestmark = pytest.mark.usefixtures("csrf_off")


def _link_from_last_mail(session, kind: str) -> str:
    mail = session.scalars(
        select(OutboxEmail).where(OutboxEmail.kind == kind).order_by(OutboxEmail.id.desc())
    ).first()
    assert mail is not None
    match = re.search(r"http://localhost(/\S+)", mail.body_text)
    assert match
    return match.group(1)


def test_login_and_logout(client, session, auth) -> None:
    person = factories.user(session)
    session.commit()
    assert auth.login(person.email.upper()).headers["Location"] == "/"
    assert client.get("/").status_code == 200
    assert auth.logout().headers["Location"] == "/login"
    assert client.get("/").status_code == 302


def test_logout_needs_post(client, session, auth) -> None:
    person = factories.user(session)
    session.commit()
    auth.login(person.email)
    assert client.get("/logout").status_code == 405
    assert client.get("/").status_code == 200


def test_deactivated_user_cannot_log_in_and_is_logged_out(client, session, auth) -> None:
    person = factories.user(session)
    admin = factories.admin(session)
    session.commit()
    auth.login(person.email)
    services.set_active(session, admin, person, False)
    session.commit()
    assert client.get("/").status_code == 302  # old cookie refused
    assert b"login-error" in auth.login(person.email).data


def test_remember_me_cookie_lasts_at_most_14_days(client, session, auth) -> None:
    person = factories.user(session)
    session.commit()
    response = auth.login(person.email, remember="y")
    cookie = next(
        h for h in response.headers.getlist("Set-Cookie") if h.startswith("remember_token")
    )
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    expires = parsedate_to_datetime(re.search(r"Expires=([^;]+)", cookie).group(1))  # type: ignore[union-attr]
    assert timedelta(days=13) < expires - utcnow() <= timedelta(days=14, minutes=1)


def test_password_change_ends_other_sessions(app: Flask, client, session, auth) -> None:
    person = factories.user(session)
    session.commit()
    other = app.test_client()
    other.post("/login", data={"email": person.email, "password": factories.PASSWORD})
    assert other.get("/").status_code == 200
    auth.login(person.email)
    response = client.post(
        "/profile",
        data={
            "current": factories.PASSWORD,
            "password": "a-new-long-passphrase",
            "confirm": "a-new-long-passphrase",
        },
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200  # this session continues
    assert other.get("/").status_code == 302  # the other one is over


def test_password_reset_flow(client, session, auth) -> None:
    person = factories.user(session)
    session.commit()
    response = client.post("/forgot", data={"email": person.email})
    assert response.headers["Location"] == "/login"
    link = _link_from_last_mail(session, "password_reset")
    assert client.get(link).status_code == 200
    response = client.post(
        link, data={"password": "brand-new-passphrase", "confirm": "brand-new-passphrase"}
    )
    assert response.headers["Location"] == "/login"
    assert auth.login(person.email, password="brand-new-passphrase").status_code == 302
    assert client.get(link).status_code == 404  # used once only


def test_reset_for_unknown_address_says_the_same_and_sends_nothing(client, session) -> None:
    before = session.scalar(select(OutboxEmail.id).order_by(OutboxEmail.id.desc()))
    response = client.post(
        "/forgot", data={"email": "nobody@kultur.example.se"}, follow_redirects=True
    )
    assert response.status_code == 200
    assert session.scalar(select(OutboxEmail.id).order_by(OutboxEmail.id.desc())) == before


def test_expired_reset_link_is_refused(client, session) -> None:
    person = factories.user(session)
    raw = services.issue_token(session, person, "reset", timedelta(hours=2))
    token = session.scalars(select(AuthToken).where(AuthToken.user_id == person.id)).one()
    token.expires_at = utcnow() - timedelta(seconds=1)
    session.commit()
    assert client.get(f"/reset/{raw}").status_code == 404


def test_reset_with_weak_password_shows_error_and_keeps_token(client, session) -> None:
    person = factories.user(session)
    raw = services.issue_token(session, person, "reset", timedelta(hours=2))
    session.commit()
    response = client.post(f"/reset/{raw}", data={"password": "short", "confirm": "short"})
    assert response.status_code == 200
    assert b'aria-invalid="true"' in response.data
    assert client.get(f"/reset/{raw}").status_code == 200


def test_invitation_sets_first_password(app: Flask, client, session, auth) -> None:
    person = factories.user(session, password=None)
    send_invitation(session, person)
    session.commit()
    link = _link_from_last_mail(session, "invitation")
    assert link.startswith("/invite/")
    page = client.get(link)
    assert page.status_code == 200 and person.name.encode() in page.data
    client.post(link, data={"password": "my-first-passphrase", "confirm": "my-first-passphrase"})
    assert auth.login(person.email, password="my-first-passphrase").status_code == 302


def test_invitation_link_cannot_reset_password(client, session) -> None:
    person = factories.user(session, password=None)
    raw = services.issue_token(session, person, "invite", timedelta(days=1))
    session.commit()
    assert client.get(f"/reset/{raw}").status_code == 404


def test_old_hash_parameters_are_upgraded_at_login(client, session, auth) -> None:
    from argon2 import PasswordHasher

    person = factories.user(session)
    person.password_hash = PasswordHasher(time_cost=1, memory_cost=8192).hash(factories.PASSWORD)
    session.commit()
    assert needs_rehash(person.password_hash)
    auth.login(person.email)
    session.refresh(person)
    assert not needs_rehash(person.password_hash or "")


def test_hashes_are_argon2id() -> None:
    assert hash_password("correct-horse-battery").startswith("$argon2id$")


def test_language_switch_is_remembered(client, session, auth) -> None:
    assert b'lang="sv"' in client.get("/login").data
    client.post("/language", data={"lang": "en", "next": "/login"})
    assert b'lang="en"' in client.get("/login").data
    person = factories.user(session)
    session.commit()
    auth.login(person.email)
    client.post("/language", data={"lang": "sv", "next": "//evil.example"})
    session.refresh(person)
    assert person.language == "sv"
