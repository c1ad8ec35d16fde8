"""From notify() to the SMTP server and back: the unsubscribe header is the user's own link."""

from __future__ import annotations

import dataclasses
import logging
import re

from sqlalchemy import select

from lms.accounts import services as accounts
from lms.core.jobs import JobContext
from lms.core.outbox import MailStatus, OutboxEmail
from lms.core.outbox_sender import send_outbox
from lms.core.time import utcnow
from lms.notify.models import MailMode
from lms.notify.services import get_preference, notify
from tests import factories
from tests.support import smtp

smtp_server = smtp.smtp_server


def _context(app, session, port):
    settings = dataclasses.replace(app.config["LMS"], smtp_host="127.0.0.1", smtp_port=port)
    return JobContext(
        session=session,
        now=utcnow(),
        app=app,
        log=logging.getLogger("tests"),
        settings_override=settings,
    )


def test_non_essential_mail_carries_a_one_click_unsubscribe_that_works(
    app, client, session, smtp_server
) -> None:
    person = factories.user(session, email="fatima.ahmed@kultur.example.se")
    notify(
        session,
        person,
        kind="theme_month",
        title="Temamånad: Informationssäkerhet",
        body="Oktober handlar om informationssäkerhet.",
        link="/katalog/",
    )
    session.commit()
    send_outbox(_context(app, session, smtp_server.port))
    [message] = smtp_server.wait_for(1)
    header = message["List-Unsubscribe"]
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = re.fullmatch(r"<(https?://[^>]+)>", header).group(1)  # type: ignore[union-attr]
    path = url.split("://", 1)[1].split("/", 1)[1]
    response = client.post("/" + path, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code in (200, 204)
    session.expire_all()
    assert get_preference(session, person) == MailMode.OFF


def test_deactivating_a_person_stops_their_queued_mail(app, session, smtp_server) -> None:
    admin = factories.admin(session)
    person = factories.user(session)
    notify(session, person, kind="reminder", title="Påminnelse", essential=True)
    session.commit()
    accounts.set_active(session, admin, person, False)
    session.commit()
    send_outbox(_context(app, session, smtp_server.port))
    mail = session.scalars(select(OutboxEmail).where(OutboxEmail.user_id == person.id)).one()
    assert mail.status == MailStatus.FAILED and mail.last_error == "recipient deactivated"
    assert smtp_server.messages == []
