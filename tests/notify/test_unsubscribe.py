"""The one-click unsubscribe link: works without login, only for its own person, never on GET."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from flask import Flask
from flask_babel import force_locale, gettext
from itsdangerous import BadSignature, URLSafeSerializer

from lms.core.outbox import OutboxEmail
from lms.core.outbox_sender import ClaimedMail
from lms.notify import services
from lms.notify.models import MailMode
from tests import factories
from tests.conftest import TEST_SECRET
from tests.notify.conftest import mails_to

ONE_CLICK = {"List-Unsubscribe": "One-Click"}


def _path(token: str) -> str:
    return f"/meddelanden/avregistrera/{token}"


def _sv(msgid: str) -> str:
    with force_locale("sv"):
        return str(gettext(msgid))


def _csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match
    return match.group(1)


def test_a_token_names_its_own_person(session) -> None:
    one, two = factories.user(session), factories.user(session)
    token = services.unsubscribe_token(one)
    assert services.read_unsubscribe_token(token) == one.id
    assert services.get_unsubscribe_user(session, token) is one
    assert services.unsubscribe_token(two) != token


def test_tampered_and_forged_tokens_are_refused(session) -> None:
    one, two = factories.user(session), factories.user(session)
    token = services.unsubscribe_token(one)
    payload, signature = token.split(".")
    forged_for_two = URLSafeSerializer("guessed-secret", salt=services.UNSUBSCRIBE_SALT).dumps(
        [two.id, "0" * 20]
    )
    other_salt = URLSafeSerializer(TEST_SECRET, salt="another-purpose").dumps([two.id, "x"])
    bad = [
        token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        f"{payload}x.{signature}",
        payload,
        forged_for_two,
        other_salt,
        "",
    ]
    for candidate in bad:
        with pytest.raises(BadSignature):
            services.get_unsubscribe_user(session, candidate)


def test_a_token_does_not_carry_over_to_another_account_with_the_same_id(session) -> None:
    person = factories.user(session)
    # The right id, signed with the real key, but made for another account (a reused id).
    other_account = URLSafeSerializer(TEST_SECRET, salt=services.UNSUBSCRIBE_SALT).dumps(
        [person.id, "f" * 20]
    )
    with pytest.raises(BadSignature):
        services.get_unsubscribe_user(session, other_account)


def test_a_new_secret_key_invalidates_every_token(app: Flask, session) -> None:
    person = factories.user(session)
    token = services.unsubscribe_token(person)
    app.config["SECRET_KEY"] = "a-completely-different-secret-key-0123456789"
    try:
        with pytest.raises(BadSignature):
            services.read_unsubscribe_token(token)
    finally:
        app.config["SECRET_KEY"] = TEST_SECRET


def test_get_asks_and_changes_nothing(client, session) -> None:
    person = factories.user(session)
    session.commit()
    response = client.get(_path(services.unsubscribe_token(person)))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'name="csrf_token"' in html and "<form" in html
    assert client.head(_path(services.unsubscribe_token(person))).status_code == 200
    assert services.get_preference(session, person) == MailMode.IMMEDIATELY


def test_the_confirmation_form_turns_mail_off_without_login(client, session) -> None:
    person = factories.user(session)
    session.commit()
    path = _path(services.unsubscribe_token(person))
    token = _csrf_from(client.get(path).get_data(as_text=True))
    response = client.post(path, data={"csrf_token": token})
    assert response.status_code == 200
    session.expire_all()
    assert services.get_preference(session, person) == MailMode.OFF
    # A second visit says so instead of offering the button again.
    again = client.get(path).get_data(as_text=True)
    assert "<button" not in again.split("<main", 1)[1]


def test_the_form_post_needs_its_csrf_token(client, session) -> None:
    person = factories.user(session)
    session.commit()
    response = client.post(_path(services.unsubscribe_token(person)), data={})
    assert response.status_code == 400
    session.expire_all()
    assert services.get_preference(session, person) == MailMode.IMMEDIATELY


def test_rfc8058_one_click_post_works_without_csrf_and_login(client, session) -> None:
    person = factories.user(session)
    services.notify(session, person, kind="tip", title="Ett tips")
    session.commit()
    [mail] = mails_to(session, person)
    match = re.search(r"http://localhost(/meddelanden/avregistrera/\S+)", mail.body_text)
    assert match
    response = client.post(match.group(1), data=ONE_CLICK)
    assert response.status_code == 200
    session.expire_all()
    assert services.get_preference(session, person) == MailMode.OFF


def test_one_click_with_a_forged_token_changes_nothing(client, session) -> None:
    one, two = factories.user(session), factories.user(session)
    session.commit()
    token = services.unsubscribe_token(one)
    forged = URLSafeSerializer("guessed-secret", salt=services.UNSUBSCRIBE_SALT).dumps(
        [two.id, "0" * 20]
    )
    for bad in (forged, token[:-3] + "abc"):
        response = client.post(_path(bad), data=ONE_CLICK)
        assert response.status_code == 404
        assert _sv("This link is not valid") in response.get_data(as_text=True)
        assert client.get(_path(bad)).status_code == 404
    session.expire_all()
    assert services.get_preference(session, one) == MailMode.IMMEDIATELY
    assert services.get_preference(session, two) == MailMode.IMMEDIATELY


def test_other_endpoints_still_need_csrf(client, session, auth) -> None:
    person = factories.user(session)
    services.notify(session, person, kind="tip", title="Ett tips")
    session.commit()
    auth.login(person.email)
    for path, data in [
        ("/meddelanden/installningar", {"mail_mode": "off"}),
        ("/meddelanden/markera-alla-lasta", ONE_CLICK),
    ]:
        assert client.post(path, data=data).status_code == 400, path
    session.expire_all()
    assert services.get_preference(session, person) == MailMode.IMMEDIATELY
    assert services.count_unread(session, person) == 1


def _claimed(mail: OutboxEmail) -> ClaimedMail:
    return ClaimedMail(
        id=mail.id,
        to_address=mail.to_address,
        subject=mail.subject,
        body_text=mail.body_text,
        body_html=mail.body_html,
        language=mail.language,
        kind=mail.kind,
        is_essential=mail.is_essential,
        user_id=mail.user_id,
        attempts=mail.attempts,
        created_at=mail.created_at,
        claimed_until=None,
    )


def test_list_unsubscribe_url_is_the_link_in_the_mail(session) -> None:
    person, other = factories.user(session), factories.user(session)
    services.notify(session, person, kind="tip", title="Ett tips")
    services.notify(session, person, kind="booking_confirmed", title="Bokad", essential=True)
    session.flush()
    tip, essential = (_claimed(mail) for mail in mails_to(session, person))
    assert services.list_unsubscribe_url(tip) == services.unsubscribe_url(person)
    assert services.list_unsubscribe_url(essential) is None
    # A body carrying someone else's link (or none) gives no header.
    assert services.list_unsubscribe_url(replace(tip, user_id=other.id)) is None
    assert services.list_unsubscribe_url(replace(tip, body_text="Hej")) is None
