"""The weekly digest: one mail per person listing what waited, once per week."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from flask import Flask
from flask_babel import force_locale, gettext
from sqlalchemy.orm import Session

from lms.core.jobs import JobContext
from lms.notify import services
from lms.notify.jobs import send_weekly_digest
from lms.notify.models import MailMode, NotificationPreference
from tests import factories
from tests.notify.conftest import mails_to

MONDAY = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)  # Monday 07:00 in Stockholm


def _run(app: Flask, session: Session, now: datetime = MONDAY) -> dict[str, int]:
    ctx = JobContext(session=session, now=now, app=app, log=logging.getLogger("test.digest"))
    return dict(send_weekly_digest(ctx))


def _weekly(session: Session, **kw: object):
    person = factories.user(session, **kw)  # type: ignore[arg-type]
    services.set_mail_mode(session, person, MailMode.WEEKLY)
    return person


def test_digest_groups_pending_notifications_in_one_mail_per_person(app, session) -> None:
    ada, bo = _weekly(session, name="Ada Berg"), _weekly(session, name="Bo Ek")
    immediate = factories.user(session)
    for title in ("Första", "Andra", "Tredje"):
        services.notify(session, ada, kind="tip", title=title, link="/katalog/")
    services.notify(session, bo, kind="tip", title="Bos enda", body="Två rader\nhär")
    services.notify(session, immediate, kind="tip", title="Redan skickad")
    assert _run(app, session) == {"users": 2, "notifications": 4}

    [ada_mail] = mails_to(session, ada)
    assert ada_mail.kind == "digest" and not ada_mail.is_essential
    body = ada_mail.body_text
    assert body.index("Första") < body.index("Andra") < body.index("Tredje")
    assert "http://localhost/katalog/" in body
    assert services.unsubscribe_url(ada) in body
    [bo_mail] = mails_to(session, bo)
    assert "Bos enda" in bo_mail.body_text and "Första" not in bo_mail.body_text
    assert len(mails_to(session, immediate)) == 1  # only its immediate mail

    preference = session.get(NotificationPreference, ada.id)
    assert preference is not None and preference.last_digest_at == MONDAY


def test_a_second_run_in_the_same_week_sends_nothing_more(app, session) -> None:
    ada = _weekly(session)
    services.notify(session, ada, kind="tip", title="Första")
    assert _run(app, session) == {"users": 1, "notifications": 1}
    assert _run(app, session, MONDAY + timedelta(hours=2)) == {"users": 0, "notifications": 0}

    # Something new the same week waits for next week's digest instead of a second mail.
    late = services.notify(session, ada, kind="tip", title="Sent i veckan")
    assert _run(app, session, MONDAY + timedelta(days=3)) == {"users": 0, "notifications": 0}
    assert late is not None and late.is_digest_pending
    assert len(mails_to(session, ada)) == 1
    assert _run(app, session, MONDAY + timedelta(days=7)) == {"users": 1, "notifications": 1}
    assert not late.is_digest_pending
    assert len(mails_to(session, ada)) == 2


def test_digest_is_in_the_persons_language(app, session) -> None:
    sv_person = _weekly(session, name="Ada Berg")
    en_person = _weekly(session, name="Eve Lund")
    en_person.language = "en"
    for person in (sv_person, en_person):
        services.notify(session, person, kind="tip", title="Något")
    _run(app, session)
    [sv_mail] = mails_to(session, sv_person)
    assert sv_mail.body_text.startswith("Hej Ada Berg,")
    with force_locale("sv"):
        assert sv_mail.subject == gettext("Your weekly summary from Lärlyft")
    [en_mail] = mails_to(session, en_person)
    assert en_mail.body_text.startswith("Hello Eve Lund,")
    assert en_mail.language == "en"
    assert en_mail.subject == "Your weekly summary from Lärlyft"


def test_no_digest_for_deactivated_people_or_other_modes(app, session) -> None:
    gone = _weekly(session)
    services.notify(session, gone, kind="tip", title="Innan")
    gone.is_active = False
    off = factories.user(session)
    services.set_mail_mode(session, off, MailMode.OFF)
    services.notify(session, off, kind="tip", title="Av")
    session.flush()
    assert _run(app, session) == {"users": 0, "notifications": 0}
    assert mails_to(session, gone) == [] and mails_to(session, off) == []
