"""Operations: a 500 is a generic page and one structured event; failed logins and
authorization denials are logged as structured events without secrets.

Production config refusals (DEBUG, a missing, short or well-known secret, http base URL)
are in tests/test_config.py.
"""

from __future__ import annotations

import logging
from html import unescape
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from lms.core.access import Permission, public
from lms.core.events import format_event
from tests import factories
from tests.catalog.conftest import sv
from tests.conftest import Auth

pytestmark = pytest.mark.sqlite_only

SECRET_PASSWORD = "s3cret-Passphrase-XYZ"
EXCEPTION_TEXT = "database said: password=s3cret-Passphrase-XYZ"


def events(caplog: pytest.LogCaptureFixture, name: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if getattr(r, "event", None) == name]


def fields_of(record: logging.LogRecord) -> dict[str, Any]:
    return dict(record.fields)  # type: ignore[attr-defined]


def assert_no_secret(caplog: pytest.LogCaptureFixture, *secrets: str) -> None:
    logged = "\n".join(
        f"{r.getMessage()} {r.exc_text or ''} {getattr(r, 'fields', '')}" for r in caplog.records
    )
    for secret in secrets:
        assert secret and secret not in logged, secret


@pytest.fixture
def broken_page(app: Flask, monkeypatch) -> str:
    @public
    def boom() -> None:
        raise RuntimeError(EXCEPTION_TEXT)

    monkeypatch.setitem(app.view_functions, "home.accessibility", boom)
    return "/tillganglighet"


@pytest.mark.usefixtures("csrf_off")
def test_a_500_is_a_generic_page_and_one_structured_event(
    client: FlaskClient, session: Session, auth: Auth, caplog, broken_page: str
) -> None:
    person = factories.user(session)
    session.commit()
    auth.login(person.email)
    cookie = client.get_cookie("session")
    assert cookie is not None
    caplog.set_level(logging.INFO)
    caplog.clear()  # auth.login read a CSRF token from the (broken) page
    response = client.get(broken_page, headers={"X-Request-ID": "req-0123456789"})
    assert response.status_code == 500
    page = unescape(response.get_data(as_text=True))
    assert sv("Something went wrong on our side") in page
    for leak in ("Traceback", "RuntimeError", EXCEPTION_TEXT, "s3cret", "boom", 'File "'):
        assert leak not in page, leak
    (event,) = events(caplog, "request.error")
    fields = fields_of(event)
    assert fields["request_id"] == "req-0123456789"
    assert fields["method"] == "GET" and fields["route"] == "/tillganglighet"
    assert fields["user_id"] == person.id and fields["error"] == "RuntimeError"
    assert "boom" in fields["stack"]  # where it happened, for the operator
    assert event.getMessage().startswith("event=request.error ")
    assert_no_secret(caplog, EXCEPTION_TEXT, cookie.value)


@pytest.mark.usefixtures("csrf_off")
def test_the_500_page_is_english_for_english_readers(client: FlaskClient, broken_page: str) -> None:
    client.post("/language", data={"lang": "en", "next": "/"})
    response = client.get(broken_page)
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.get_data(as_text=True)


@pytest.mark.usefixtures("csrf_off")
def test_failed_logins_are_logged_without_the_password_or_address(
    client: FlaskClient, session: Session, caplog
) -> None:
    person = factories.user(session)
    session.commit()
    caplog.set_level(logging.INFO)
    for email in (person.email, "nobody@kultur.example.se", f"{SECRET_PASSWORD}@typo.se"):
        client.post("/login", data={"email": email, "password": SECRET_PASSWORD})
    failed = events(caplog, "login.failed")
    assert len(failed) == 3
    assert {fields_of(r)["ip"] for r in failed} == {"127.0.0.1"}
    assert len({fields_of(r)["account"] for r in failed}) == 3  # told apart, not named
    assert_no_secret(caplog, SECRET_PASSWORD, person.email)


@pytest.mark.usefixtures("csrf_off")
def test_a_successful_login_is_logged_with_the_user_only(
    client: FlaskClient, session: Session, caplog
) -> None:
    person = factories.user(session)
    session.commit()
    caplog.set_level(logging.INFO)
    client.post("/login", data={"email": person.email, "password": factories.PASSWORD})
    succeeded = events(caplog, "login.succeeded")
    assert [fields_of(r)["user_id"] for r in succeeded] == [person.id]
    assert not events(caplog, "login.failed")
    assert_no_secret(caplog, factories.PASSWORD, person.email)


@pytest.mark.usefixtures("csrf_off")
def test_a_throttled_login_is_logged(app: Flask, client: FlaskClient, caplog) -> None:
    caplog.set_level(logging.INFO)
    for _ in range(app.config["LMS"].login_attempts_per_account + 1):
        client.post("/login", data={"email": "a@b.se", "password": SECRET_PASSWORD})
    assert len(events(caplog, "login.throttled")) == 1
    assert_no_secret(caplog, SECRET_PASSWORD)


def test_authorization_denials_are_logged_with_the_user(
    client: FlaskClient, session: Session, auth: Auth, caplog
) -> None:
    person = factories.user(session, permissions=Permission.NONE)
    session.commit()
    auth.login(person.email)
    cookie = client.get_cookie("session")
    assert cookie is not None
    caplog.set_level(logging.INFO)
    assert client.get("/admin/users").status_code == 403
    assert client.get("/mitt-larande/team").status_code == 403
    denied = events(caplog, "access.denied")
    assert [fields_of(r)["route"] for r in denied] == ["/admin/users", "/mitt-larande/team"]
    assert {fields_of(r)["user_id"] for r in denied} == {person.id}
    assert_no_secret(caplog, cookie.value)


def test_an_object_level_404_is_logged_but_an_unknown_url_is_not(
    client: FlaskClient, session: Session, auth: Auth, caplog
) -> None:
    admin = factories.admin(session)
    session.commit()
    auth.login(admin.email)
    caplog.set_level(logging.INFO)
    assert client.get("/admin/users/999999").status_code == 404
    assert client.get("/no/such/page").status_code == 404
    (event,) = events(caplog, "access.not_found")
    assert fields_of(event)["route"].startswith("/admin/users/<")


def test_a_refused_csrf_token_is_logged(client: FlaskClient, caplog) -> None:
    caplog.set_level(logging.INFO)
    assert (
        client.post("/login", data={"email": "a@b.se", "csrf_token": "forged"}).status_code == 400
    )
    assert len(events(caplog, "csrf.refused")) == 1


def test_event_values_cannot_forge_a_second_line() -> None:
    line = format_event("login.failed", {"route": "/x\r\nevent=access.granted user_id=1"})
    assert "\n" not in line and "\r" not in line
    assert line.count("event=") == 2 and line.startswith("event=login.failed ")
    assert '"/x\\r\\nevent=access.granted user_id=1"' in line
