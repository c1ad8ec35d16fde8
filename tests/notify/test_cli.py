"""`lms notify send`: an operator tells one person something."""

from __future__ import annotations

from sqlalchemy import select

from lms.notify import services
from lms.notify.models import Notification
from tests import factories
from tests.notify.conftest import mails_to


def test_send_creates_a_notification_and_mail(app, session) -> None:
    person = factories.user(session)
    session.commit()
    result = app.test_cli_runner().invoke(
        args=[
            "lms",
            "notify",
            "send",
            person.email.upper(),
            "--title",
            "Hej",
            "--link",
            "/katalog/",
        ]
    )
    assert result.exit_code == 0, result.output
    [note] = session.scalars(select(Notification).where(Notification.user_id == person.id))
    assert note.title == "Hej" and note.link == "/katalog/"
    assert services.count_unread(session, person) == 1
    assert len(mails_to(session, person)) == 1


def test_send_refuses_unknown_people_and_bad_links(app, session) -> None:
    person = factories.user(session)
    session.commit()
    runner = app.test_cli_runner()
    unknown = runner.invoke(args=["lms", "notify", "send", "nobody@example.se", "--title", "Hej"])
    assert unknown.exit_code != 0 and "no account" in unknown.output
    bad = runner.invoke(
        args=["lms", "notify", "send", person.email, "--title", "Hej", "--link", "javascript:x"]
    )
    assert bad.exit_code != 0
    assert services.count_unread(session, person) == 0


def test_send_to_a_deactivated_person_does_nothing(app, session) -> None:
    person = factories.user(session)
    person.is_active = False
    session.commit()
    result = app.test_cli_runner().invoke(
        args=["lms", "notify", "send", person.email, "--title", "Hej", "--essential"]
    )
    assert result.exit_code == 0, result.output
    assert "deactivated" in result.output
    assert mails_to(session, person) == []
    assert services.count_unread(session, person) == 0
