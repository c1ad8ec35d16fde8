"""Sessions: renewed at login; after logout, password change or deactivation an old
session cookie (or remember-me cookie) replayed on a fresh client is refused."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from lms.accounts import services
from lms.accounts.models import User
from tests import factories
from tests.conftest import Auth

pytestmark = [pytest.mark.sqlite_only, pytest.mark.usefixtures("csrf_off")]

COOKIES = ("session", "remember_token")


def cookie(client: FlaskClient, name: str) -> str | None:
    found = client.get_cookie(name)
    return found.value if found is not None else None


def replay(app: Flask, name: str, value: str) -> FlaskClient:
    """A fresh client (another browser) carrying only this one captured cookie."""
    fresh = app.test_client()
    fresh.set_cookie(name, value)
    return fresh


def is_signed_in(client: FlaskClient) -> bool:
    response = client.get("/profile")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def test_login_renews_the_session_and_drops_planted_values(
    app: Flask, client: FlaskClient, session: Session, auth: Auth
) -> None:
    person = factories.user(session)
    session.commit()
    client.get("/login")
    with client.session_transaction() as planted:
        planted["planted"] = "by-an-attacker"
        planted["lang"] = "en"
    before = cookie(client, "session")
    assert before is not None
    assert auth.login(person.email).status_code == 302
    after = cookie(client, "session")
    assert after is not None and after != before
    with client.session_transaction() as renewed:
        assert "planted" not in renewed
        assert renewed["lang"] == "en"  # the language is the one thing carried over
        assert renewed["_user_id"] == f"{person.id}:{person.session_version}"
    # The pre-login cookie (which the attacker knows) does not carry the login.
    assert not is_signed_in(replay(app, "session", before))
    assert is_signed_in(replay(app, "session", after))


def _logout(client: FlaskClient, auth: Auth, session: Session, person: User) -> None:
    assert auth.logout().status_code == 302


def _change_password(client: FlaskClient, auth: Auth, session: Session, person: User) -> None:
    data = {"current": factories.PASSWORD, "password": "another-long-phrase", "confirm": ""}
    data["confirm"] = data["password"]
    assert client.post("/profile", data=data).status_code == 302


def _deactivate(client: FlaskClient, auth: Auth, session: Session, person: User) -> None:
    admin = factories.admin(session)
    session.commit()
    services.set_active(session, admin, session.merge(person), False)
    session.commit()


ENDINGS: dict[str, Callable[[FlaskClient, Auth, Session, User], None]] = {
    "logout": _logout,
    "password change": _change_password,
    "deactivation": _deactivate,
}


@pytest.mark.parametrize("ending", list(ENDINGS))
def test_an_old_cookie_is_refused_after_the_session_ends(
    app: Flask, client: FlaskClient, session: Session, auth: Auth, ending: str
) -> None:
    person = factories.user(session)
    session.commit()
    assert auth.login(person.email, remember="y").status_code == 302
    captured = {name: cookie(client, name) for name in COOKIES}
    assert all(captured.values()), captured
    # Before: each captured cookie alone signs a fresh browser in (so the check can fail).
    for name, value in captured.items():
        assert is_signed_in(replay(app, name, value or "")), name
    ENDINGS[ending](client, auth, session, person)
    for name, value in captured.items():
        assert not is_signed_in(replay(app, name, value or "")), (ending, name)


def test_logout_ends_every_session_of_the_user(
    app: Flask, client: FlaskClient, session: Session, auth: Auth
) -> None:
    person = factories.user(session)
    session.commit()
    other = app.test_client()
    other.post("/login", data={"email": person.email, "password": factories.PASSWORD})
    assert is_signed_in(other)
    auth.login(person.email)
    auth.logout()
    assert not is_signed_in(other)  # a per-user session version: signing out ends them all
    assert not is_signed_in(client)


def test_the_session_version_moves_on_every_ending(session: Session) -> None:
    person = factories.user(session)
    admin = factories.admin(session)
    versions: list[Any] = [person.session_version]
    services.end_sessions(session, person)
    versions.append(person.session_version)
    services.set_password(session, person, "yet-another-phrase", actor_id=person.id)
    versions.append(person.session_version)
    services.set_active(session, admin, person, False)
    versions.append(person.session_version)
    assert versions == sorted(set(versions)) and len(versions) == 4
