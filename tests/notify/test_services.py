"""notify(): the notification, and mail as the person's preference and language say."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from lms.core.errors import NotFound
from lms.core.i18n import _l
from lms.core.outbox import OutboxEmail
from lms.notify import services
from lms.notify.models import MailMode, Notification
from tests import factories
from tests.notify.conftest import mails_to


def test_notify_creates_a_notification_and_mails_at_once_by_default(session) -> None:
    person = factories.user(session)
    note = services.notify(
        session,
        person,
        kind="booking",
        title="Bokningen är klar",
        body="Torsdag 9.00",
        link="/katalog/",
    )
    assert note is not None and note.user_id == person.id and note.read_at is None
    assert not note.is_digest_pending
    [mail] = mails_to(session, person)
    assert mail.to_address == person.email
    assert mail.kind == "booking" and mail.subject == "Bokningen är klar"
    assert not mail.is_essential
    assert "Torsdag 9.00" in mail.body_text
    assert "http://localhost/katalog/" in mail.body_text


def test_weekly_mode_waits_for_the_digest(session) -> None:
    person = factories.user(session)
    services.set_mail_mode(session, person, MailMode.WEEKLY)
    note = services.notify(session, person, kind="tip", title="Ny temamånad")
    assert note is not None and note.is_digest_pending
    assert mails_to(session, person) == []


def test_off_mode_sends_no_mail_but_keeps_the_notification(session) -> None:
    person = factories.user(session)
    services.set_mail_mode(session, person, MailMode.OFF)
    note = services.notify(session, person, kind="tip", title="Ny temamånad")
    assert note is not None and not note.is_digest_pending
    assert mails_to(session, person) == []


@pytest.mark.parametrize("mode", list(MailMode))
def test_essential_mail_goes_at_once_whatever_the_preference(session, mode) -> None:
    person = factories.user(session)
    services.set_mail_mode(session, person, mode)
    note = services.notify(
        session, person, kind="booking_confirmed", title="Bokning bekräftad", essential=True
    )
    assert note is not None and note.is_essential and not note.is_digest_pending
    [mail] = mails_to(session, person)
    assert mail.is_essential and mail.kind == "booking_confirmed"


def test_unsubscribe_link_only_in_non_essential_mail(session) -> None:
    person = factories.user(session)
    services.notify(session, person, kind="tip", title="Ett tips")
    services.notify(session, person, kind="booking_confirmed", title="Bekräftad", essential=True)
    tip, essential = mails_to(session, person)
    link = services.unsubscribe_url(person)
    assert link.startswith("http://localhost/meddelanden/avregistrera/")
    assert link in tip.body_text
    assert "avregistrera" not in essential.body_text
    assert "/meddelanden/installningar" not in essential.body_text


def test_a_dedupe_key_makes_the_second_call_a_no_op(session) -> None:
    person = factories.user(session)
    first = services.notify(session, person, kind="reminder", title="Påminnelse", dedupe_key="r:1")
    again = services.notify(session, person, kind="reminder", title="Påminnelse", dedupe_key="r:1")
    assert first is not None and again is None
    count = session.scalar(select(func.count()).where(Notification.user_id == person.id))
    assert count == 1
    [mail] = mails_to(session, person)
    assert mail.dedupe_key == "notify:r:1"


def test_a_long_dedupe_key_still_fits_the_mail_key(session) -> None:
    person = factories.user(session)
    key = "x" * 200
    services.notify(session, person, kind="reminder", title="Påminnelse", dedupe_key=key)
    [mail] = mails_to(session, person)
    assert mail.dedupe_key is not None and len(mail.dedupe_key) <= 200


@pytest.mark.parametrize("essential", [False, True])
def test_deactivated_people_get_no_notification_and_no_mail(session, essential) -> None:
    person = factories.user(session)
    person.is_active = False
    session.flush()
    note = services.notify(session, person, kind="tip", title="Hej", essential=essential)
    assert note is None
    assert session.scalar(select(func.count()).where(Notification.user_id == person.id)) == 0
    assert session.scalar(select(func.count()).where(OutboxEmail.to_address == person.email)) == 0


@pytest.mark.parametrize(
    ("language", "subject", "greeting"),
    [("sv", "Min profil", "Hej "), (None, "Min profil", "Hej "), ("en", "My profile", "Hello ")],
)
def test_mail_and_title_are_in_the_persons_language(session, language, subject, greeting) -> None:
    person = factories.user(session, name="Ada Berg")
    person.language = language
    note = services.notify(session, person, kind="tip", title=_l("My profile"))
    assert note is not None and note.title == subject
    [mail] = mails_to(session, person)
    assert mail.subject == subject
    assert mail.language == (language or "sv")
    assert mail.body_text.startswith(f"{greeting}Ada Berg,")


def test_a_kind_with_its_own_html_template_gets_an_html_body(app, session) -> None:
    from jinja2 import ChoiceLoader, DictLoader

    original = app.jinja_env.loader
    app.jinja_env.loader = ChoiceLoader(
        [DictLoader({"notify/mail/special.html": "<p>{{ notification.title }}</p>"}), original]
    )
    app.jinja_env.cache.clear()
    try:
        person = factories.user(session)
        services.notify(session, person, kind="special", title="Särskilt")
        services.notify(session, person, kind="plain", title="Vanligt")
    finally:
        app.jinja_env.loader = original
        app.jinja_env.cache.clear()
    special, plain = mails_to(session, person)
    assert special.body_html == "<p>Särskilt</p>" and "Särskilt" in special.body_text
    assert plain.body_html is None


def test_a_javascript_link_is_refused(session) -> None:
    person = factories.user(session)
    for bad in ("javascript:alert(1)", "//evil.example/x", "katalog/"):
        with pytest.raises(ValueError):
            services.notify(session, person, kind="tip", title="Hej", link=bad)


def test_leaving_the_weekly_digest_drops_what_was_waiting(session) -> None:
    person = factories.user(session)
    services.set_mail_mode(session, person, MailMode.WEEKLY)
    note = services.notify(session, person, kind="tip", title="Väntar")
    assert note is not None and note.is_digest_pending
    services.set_mail_mode(session, person, MailMode.OFF)
    session.refresh(note)
    assert not note.is_digest_pending
    assert services.get_preference(session, person) == MailMode.OFF


def test_mark_read_only_the_owners_notification(session) -> None:
    me, other = factories.user(session), factories.user(session)
    mine = services.notify(session, me, kind="tip", title="Mitt")
    theirs = services.notify(session, other, kind="tip", title="Deras")
    assert mine is not None and theirs is not None
    assert services.count_unread(session, me) == 1
    with pytest.raises(NotFound):
        services.mark_read(session, me, theirs.id)
    with pytest.raises(NotFound):
        services.mark_read(session, me, 10**9)
    assert theirs.read_at is None
    services.mark_read(session, me, mine.id)
    assert mine.read_at is not None
    assert services.count_unread(session, me) == 0
    assert services.count_unread(session, other) == 1


def test_mark_all_read_touches_only_mine(session) -> None:
    me, other = factories.user(session), factories.user(session)
    for n in range(3):
        services.notify(session, me, kind="tip", title=f"Mitt {n}")
    services.notify(session, other, kind="tip", title="Deras")
    assert services.mark_all_read(session, me) == 3
    assert services.count_unread(session, me) == 0
    assert services.count_unread(session, other) == 1
    assert services.mark_all_read(session, me) == 0
