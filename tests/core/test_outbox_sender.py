"""The outbox sender against a real SMTP server in the test process (no mocks of smtplib)."""

from __future__ import annotations

import dataclasses
import logging
import re
import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lms.core import outbox_sender
from lms.core.access import Permission
from lms.core.audit import AuditEvent
from lms.core.db import make_engine
from lms.core.errors import Conflict, NotFound
from lms.core.jobs import JobContext
from lms.core.outbox import (
    MailStatus,
    OutboxEmail,
    enqueue_email,
    retry_all_failed,
    retry_failed,
)
from lms.core.outbox_sender import (
    BATCH_SIZE,
    MAX_ATTEMPTS,
    UNSUBSCRIBE_EXTENSION,
    backoff,
    send_outbox,
)
from lms.core.time import utcnow
from tests import factories
from tests.conftest import make_database
from tests.support import smtp
from tests.support.smtp import RecordingSmtpServer, closed_port, make_tls_files

SUBJECT = "Påminnelse: Lär dig AI-prompta"
log = logging.getLogger("tests.outbox")
smtp_server = smtp.smtp_server  # the fixture: a recording aiosmtpd server on 127.0.0.1


def context(
    app: Flask, session: Session, port: int, now: datetime | None = None, **overrides: Any
) -> JobContext:
    """A JobContext whose SMTP settings point at the test server (the app is session-wide)."""
    settings = dataclasses.replace(
        app.config["LMS"], smtp_host="127.0.0.1", smtp_port=port, **overrides
    )
    return JobContext(
        session=session, now=now or utcnow(), app=app, log=log, settings_override=settings
    )


def queue(session: Session, n: int = 1, **kw: Any) -> list[OutboxEmail]:
    mails = []
    for i in range(n):
        values = {
            "to": f"anna.svensson{i}@kultur.example.se",
            "subject": SUBJECT,
            "body_text": "Hej Anna!\n\nDags för uppföljningen av AI-kursen.",
            "kind": "follow_up_reminder",
        }
        mail = enqueue_email(session, **(values | kw))
        assert mail is not None
        mails.append(mail)
    session.commit()
    return mails


def fresh(session: Session, mail: OutboxEmail) -> OutboxEmail:
    session.expire_all()
    found = session.get(OutboxEmail, mail.id)
    assert found is not None
    return found


def test_pending_mail_is_sent_with_headers_and_both_bodies(app, session, smtp_server) -> None:
    [mail] = queue(session, body_html="<p>Hej <strong>Anna</strong>!</p>", language="sv")
    counts = send_outbox(context(app, session, smtp_server.port))
    assert counts == {"claimed": 1, "sent": 1, "retried": 0, "failed": 0}
    [message] = smtp_server.wait_for(1)
    assert smtp_server.envelopes == [("noreply@larlyft.example", [mail.to_address])]
    assert message["To"] == "anna.svensson0@kultur.example.se"
    assert message["Subject"] == SUBJECT
    assert message["From"] == "Lärlyft <noreply@larlyft.example>"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Content-Language"] == "sv"
    assert message["Message-ID"].startswith(f"<outbox.{mail.id}.")
    assert message["Message-ID"].endswith("@larlyft.example>")
    assert message["Date"].datetime == mail.created_at.replace(microsecond=0)
    assert message["List-Unsubscribe"] is None  # essential mail
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and "Dags för uppföljningen" in text.get_content()
    assert html is not None and "<strong>Anna</strong>" in html.get_content()
    sent = fresh(session, mail)
    assert sent.status == MailStatus.SENT and sent.sent_at is not None
    assert sent.claimed_by is None and sent.claimed_until is None and sent.attempts == 0


def test_text_only_mail_is_a_single_utf8_part(app, session, smtp_server) -> None:
    queue(session, body_text="Åsa, ärende öppnat – välkommen!")
    send_outbox(context(app, session, smtp_server.port))
    [message] = smtp_server.wait_for(1)
    assert message.get_content_type() == "text/plain"
    assert message.get_content_charset() == "utf-8"
    assert message.get_content().strip() == "Åsa, ärende öppnat – välkommen!"


def test_enqueueing_the_same_reminder_twice_sends_one_mail(app, session, smtp_server) -> None:
    first = enqueue_email(
        session, to="a@kultur.example.se", subject=SUBJECT, body_text="x", kind="r", dedupe_key="k1"
    )
    again = enqueue_email(
        session, to="a@kultur.example.se", subject=SUBJECT, body_text="x", kind="r", dedupe_key="k1"
    )
    session.commit()
    assert first is not None and again is None
    send_outbox(context(app, session, smtp_server.port))
    assert len(smtp_server.wait_for(1)) == 1
    assert session.scalar(select(func.count()).select_from(OutboxEmail)) == 1


def test_non_essential_mail_carries_list_unsubscribe_when_notify_gives_a_url(
    app, session, smtp_server, monkeypatch
) -> None:
    monkeypatch.setitem(
        app.extensions, UNSUBSCRIBE_EXTENSION, lambda mail: "https://lms.example/profil/notiser"
    )
    queue(session, to="news@kultur.example.se", is_essential=False)
    queue(session, to="reset@kultur.example.se", is_essential=True)
    send_outbox(context(app, session, smtp_server.port))
    by_to = {m["To"]: m for m in smtp_server.wait_for(2)}
    assert by_to["news@kultur.example.se"]["List-Unsubscribe"] == (
        "<https://lms.example/profil/notiser>"
    )
    assert by_to["reset@kultur.example.se"]["List-Unsubscribe"] is None


def test_non_essential_mail_without_an_unsubscribe_url_has_no_header(
    app, session, smtp_server
) -> None:
    assert UNSUBSCRIBE_EXTENSION in app.extensions  # notify's hook, wired by create_app
    queue(session, is_essential=False)  # a body with no unsubscribe link: the hook gives None
    send_outbox(context(app, session, smtp_server.port))
    message = smtp_server.wait_for(1)[0]
    assert message["List-Unsubscribe"] is None and message["List-Unsubscribe-Post"] is None


def test_refused_mail_backs_off_then_fails_after_six_attempts(app, session, smtp_server) -> None:
    [bad] = queue(session, to="slutat@kultur.example.se")
    [good] = queue(session, to="kvar@kultur.example.se")
    smtp_server.refuse("slutat@kultur.example.se")
    now = utcnow() + timedelta(seconds=5)  # the run's clock is the later of ctx.now and now
    waits = []
    for attempt in range(1, MAX_ATTEMPTS + 1):
        counts = send_outbox(context(app, session, smtp_server.port, now=now))
        mail = fresh(session, bad)
        assert mail.attempts == attempt
        assert "550" in (mail.last_error or "")
        assert mail.claimed_by is None
        if attempt < MAX_ATTEMPTS:
            assert counts["retried"] == 1 and mail.status == MailStatus.PENDING
            waits.append(mail.next_attempt_at - now)
            # Not due a moment before its time…
            early = mail.next_attempt_at - timedelta(seconds=1)
            assert send_outbox(context(app, session, smtp_server.port, now=early))["claimed"] == 0
            now = mail.next_attempt_at  # …and due at it.
        else:
            assert counts["failed"] == 1 and mail.status == MailStatus.FAILED
    assert waits == [timedelta(minutes=m) for m in (1, 5, 15, 60, 240)]
    assert [backoff(n) for n in (1, 5, 9)] == [timedelta(minutes=m) for m in (1, 240, 240)]
    # The refusal of one recipient did not hold back the other mail.
    assert fresh(session, good).status == MailStatus.SENT
    assert [m["To"] for m in smtp_server.messages] == ["kvar@kultur.example.se"]


def test_unreachable_server_keeps_mail_pending_until_it_is_back(app, session, smtp_server) -> None:
    mails = queue(session, 3)
    down = closed_port()
    now = utcnow() + timedelta(seconds=5)
    for attempt in range(1, 9):  # more outages than MAX_ATTEMPTS: still never failed
        counts = send_outbox(context(app, session, down, now=now))
        assert counts == {"claimed": 3, "sent": 0, "retried": 3, "failed": 0}
        for mail in mails:
            row = fresh(session, mail)
            assert row.status == MailStatus.PENDING and row.attempts == attempt
            assert row.claimed_by is None
            assert "could not reach the mail server" in (row.last_error or "")
            assert row.next_attempt_at - now == min(backoff(attempt), timedelta(minutes=15))
        now = fresh(session, mails[0]).next_attempt_at
    assert smtp_server.messages == []
    counts = send_outbox(context(app, session, smtp_server.port, now=now))
    assert counts["sent"] == 3
    assert send_outbox(context(app, session, smtp_server.port, now=now))["claimed"] == 0
    assert sorted(m["To"] for m in smtp_server.wait_for(3)) == sorted(m.to_address for m in mails)
    assert all(fresh(session, m).status == MailStatus.SENT for m in mails)


def test_server_stopped_and_started_again_gets_every_mail_once(app, session) -> None:
    server = RecordingSmtpServer()  # not started: its port refuses connections
    try:
        mails = queue(session, 4)
        send_outbox(context(app, session, server.port))
        assert {fresh(session, m).status for m in mails} == {MailStatus.PENDING}
        server.start()
        later = utcnow() + timedelta(minutes=1)
        assert send_outbox(context(app, session, server.port, now=later))["sent"] == 4
        server.stop()
        server.start()
        assert send_outbox(context(app, session, server.port, now=later))["claimed"] == 0
        ids = server.message_ids()
        assert len(ids) == 4 and len(set(ids)) == 4
    finally:
        server.stop()


def test_starttls_and_login_when_configured(app, session, tmp_path, monkeypatch) -> None:
    server = RecordingSmtpServer(tls=make_tls_files(tmp_path), login=("larlyft", "rätt-lösen"))
    server.start()
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "smtp-cert.pem"))  # trust the test CA
    secure = {"smtp_starttls": True, "smtp_user": "larlyft", "smtp_password": "ratt-losen"}
    try:
        [wrong] = queue(session, to="fel@kultur.example.se")
        counts = send_outbox(context(app, session, server.port, **secure))
        assert counts == {"claimed": 1, "sent": 0, "retried": 1, "failed": 0}  # 535: stays
        assert "535" in (fresh(session, wrong).last_error or "")
        server.stop()
        server = RecordingSmtpServer(tls=make_tls_files(tmp_path), login=("larlyft", "ratt-losen"))
        server.start()
        later = utcnow() + timedelta(minutes=2)
        plain = send_outbox(context(app, session, server.port, now=later))
        assert plain["sent"] == 0 and server.messages == []  # no STARTTLS: the server refuses
        even_later = later + timedelta(minutes=10)
        counts = send_outbox(context(app, session, server.port, now=even_later, **secure))
        assert counts["sent"] == 1 and server.logins == ["larlyft"]
        assert [m["To"] for m in server.wait_for(1)] == ["fel@kultur.example.se"]
    finally:
        server.stop()


def test_unexpected_error_gives_the_claims_back(app, session, smtp_server, monkeypatch) -> None:
    mails = queue(session, 2)

    def broken(*args: Any) -> Any:
        raise RuntimeError("a bug while building the message")

    monkeypatch.setattr(outbox_sender, "build_message", broken)
    with pytest.raises(RuntimeError):
        send_outbox(context(app, session, smtp_server.port))
    for mail in mails:
        row = fresh(session, mail)
        assert row.status == MailStatus.PENDING and row.claimed_by is None and row.attempts == 0
    monkeypatch.undo()
    assert send_outbox(context(app, session, smtp_server.port))["sent"] == 2


def test_mail_claimed_by_another_sender_is_left_alone(app, session, smtp_server) -> None:
    taken, free = queue(session, 2)
    taken.claimed_by = "other-host:4242:abc"
    taken.claimed_until = utcnow() + timedelta(minutes=5)
    session.commit()
    counts = send_outbox(context(app, session, smtp_server.port))
    assert counts["claimed"] == 1 and counts["sent"] == 1
    assert [m["To"] for m in smtp_server.wait_for(1)] == [free.to_address]
    row = fresh(session, taken)
    assert row.status == MailStatus.PENDING and row.claimed_by == "other-host:4242:abc"


def test_expired_claim_of_a_crashed_sender_is_taken_over(app, session, smtp_server) -> None:
    [mail] = queue(session)
    mail.claimed_by = "crashed-host:1:abc"
    mail.claimed_until = utcnow() - timedelta(seconds=1)
    session.commit()
    assert send_outbox(context(app, session, smtp_server.port))["sent"] == 1
    row = fresh(session, mail)
    assert row.status == MailStatus.SENT and row.claimed_by is None


def test_running_the_sender_twice_sends_each_mail_once(app, session, smtp_server) -> None:
    queue(session, BATCH_SIZE + 30)  # more than one batch in a run
    first = send_outbox(context(app, session, smtp_server.port))
    second = send_outbox(context(app, session, smtp_server.port))
    assert first["sent"] == BATCH_SIZE + 30 and second["claimed"] == 0
    ids = smtp_server.message_ids()
    assert len(ids) == BATCH_SIZE + 30 and len(set(ids)) == len(ids)


def test_line_breaks_cannot_inject_headers_or_recipients(app, session, smtp_server) -> None:
    injected = "Hej\r\nBcc: spion@evil.example\r\n\r\nfalsk brödtext"
    [folded] = queue(session, to="anna@kultur.example.se", subject=injected)
    [bad_to] = queue(session, to="anna@kultur.example.se\r\nBcc: spion@evil.example")
    # Rows written past enqueue_email (an old import, a bug) are checked again on sending.
    raw = [
        OutboxEmail(to_address="anna@kultur.example.se", subject=injected, body_text="x", kind="t"),
        OutboxEmail(
            to_address="anna@kultur.example.se\nBcc: spion@evil.example",
            subject="s",
            body_text="x",
            kind="t",
        ),
        OutboxEmail(
            to_address="anna@kultur.example.se, spion@evil.example",
            subject="s",
            body_text="x",
            kind="t",
        ),
    ]
    session.add_all(raw)
    session.commit()
    counts = send_outbox(context(app, session, smtp_server.port))
    assert counts["sent"] == 2 and counts["failed"] == 3
    messages = smtp_server.wait_for(2)
    for message in messages:
        assert message["Bcc"] is None and message["To"] == "anna@kultur.example.se"
        assert message["Subject"] == "Hej Bcc: spion@evil.example falsk brödtext"
    assert all(rcpts == ["anna@kultur.example.se"] for _, rcpts in smtp_server.envelopes)
    for mail in (bad_to, raw[1], raw[2]):
        row = fresh(session, mail)
        assert row.status == MailStatus.FAILED
        assert "recipient" in (row.last_error or "")
    assert fresh(session, folded).status == MailStatus.SENT


def test_without_smtp_host_mail_waits_and_the_run_says_so_once(
    app, session, smtp_server, caplog
) -> None:
    [mail] = queue(session)
    caplog.set_level(logging.INFO, logger="tests.outbox")
    ctx = context(app, session, smtp_server.port)
    ctx.settings_override = dataclasses.replace(ctx.settings, smtp_host="")
    assert send_outbox(ctx) == {"claimed": 0, "sent": 0, "retried": 0, "failed": 0}
    notes = [r.getMessage() for r in caplog.records if "not configured" in r.getMessage()]
    assert notes == ["mail is not configured (LMS_SMTP_HOST is empty): 1 mails wait"]
    row = fresh(session, mail)
    assert row.status == MailStatus.PENDING and row.attempts == 0 and row.claimed_by is None
    assert smtp_server.messages == []


def test_settings_override_leaves_the_app_settings_alone(app, session) -> None:
    ctx = context(app, session, 2525)
    assert ctx.settings.smtp_port == 2525
    assert app.config["LMS"].smtp_host == ""
    plain = JobContext(session=session, now=utcnow(), app=app, log=log)
    assert plain.settings is app.config["LMS"]


def _fail(session: Session, mail: OutboxEmail) -> None:
    mail.status = MailStatus.FAILED
    mail.attempts = MAX_ATTEMPTS
    mail.last_error = "SMTPRecipientsRefused: 550"
    session.commit()


def test_retry_failed_queues_the_mail_again_and_is_audited(app, session, smtp_server) -> None:
    [mail] = queue(session)
    _fail(session, mail)
    retry_failed(session, mail.id, actor_id=None)
    session.commit()
    row = fresh(session, mail)
    assert row.status == MailStatus.PENDING and row.attempts == 0 and row.last_error is None
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "mail.retry"))
    assert event is not None and event.object_id == str(mail.id)
    assert send_outbox(context(app, session, smtp_server.port))["sent"] == 1


def test_retry_failed_refuses_unknown_and_unfailed_mail(session) -> None:
    [mail] = queue(session)
    with pytest.raises(Conflict):
        retry_failed(session, mail.id)
    with pytest.raises(NotFound):
        retry_failed(session, 987654)


def test_retry_all_failed_counts_and_audits(session) -> None:
    mails = queue(session, 3)
    for mail in mails[:2]:
        _fail(session, mail)
    assert retry_all_failed(session) == 2
    session.commit()
    assert {fresh(session, m).status for m in mails} == {MailStatus.PENDING}
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "mail.retry_all"))
    assert event is not None and event.details_dict == {"count": 2}


# --- concurrency on committed data: real connections, real threads ---------------------


@pytest.fixture
def own_database(backend: str, tmp_path: Path) -> str:
    """A separate, migrated database whose rows are committed for real (not rolled back)."""
    return make_database(backend, tmp_path, pg_name="outbox_threads")


def test_concurrent_senders_send_every_mail_exactly_once(
    app, own_database, smtp_server, monkeypatch
) -> None:
    monkeypatch.setattr(outbox_sender, "BATCH_SIZE", 10)  # many small claims interleave
    engine = make_engine(own_database)
    total = 400
    try:
        with Session(engine) as setup:
            for n in range(total):
                enqueue_email(
                    setup, to=f"p{n}@kultur.example.se", subject=SUBJECT, body_text="x", kind="k"
                )
            setup.commit()
        results: dict[int, list[dict[str, int]]] = {0: [], 1: [], 2: []}
        errors: list[BaseException] = []

        def worker(number: int) -> None:
            try:
                for _ in range(4):
                    with Session(engine, expire_on_commit=False) as own:
                        results[number].append(send_outbox(context(app, own, smtp_server.port)))
            except BaseException as error:  # reported below, in the test's thread
                errors.append(error)

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert errors == []
        ids = smtp_server.message_ids()
        assert len(ids) == total and len(set(ids)) == total
        sent_by = [sum(r["sent"] for r in runs) for runs in results.values()]
        assert sum(sent_by) == total
        assert sum(1 for n in sent_by if n) >= 2, sent_by  # they really did compete
        with Session(engine) as check:
            statuses = check.execute(
                select(OutboxEmail.status, func.count()).group_by(OutboxEmail.status)
            ).all()
        assert dict(statuses) == {"sent": total}
    finally:
        engine.dispose()


# --- the admin page ----------------------------------------------------------------------


@pytest.fixture
def admin(session, auth):
    person = factories.admin(session, name="Peter Sjöberg")
    session.commit()
    auth.login(person.email)
    return person


def _mails_in_every_state(session: Session) -> dict[str, OutboxEmail]:
    failed, pending, sent = queue(session, 3)
    _fail(session, failed)
    sent.status = MailStatus.SENT
    sent.sent_at = utcnow()
    session.commit()
    return {"failed": failed, "pending": pending, "sent": sent}


def test_mail_page_lists_failed_and_pending_with_counts(client, session, admin) -> None:
    mails = _mails_in_every_state(session)
    page = client.get("/admin/mail").get_data(as_text=True)
    assert mails["failed"].to_address in page and mails["pending"].to_address in page
    assert mails["sent"].to_address not in page
    assert "SMTPRecipientsRefused: 550" in page and SUBJECT in page
    assert re.search(r'href="/admin/mail"[^>]*aria-current="page"', page)
    failed_only = client.get("/admin/mail?status=failed").get_data(as_text=True)
    assert mails["failed"].to_address in failed_only
    assert mails["pending"].to_address not in failed_only
    sent_only = client.get("/admin/mail?status=sent").get_data(as_text=True)
    assert mails["sent"].to_address in sent_only
    assert mails["failed"].to_address not in sent_only


def test_retry_button_queues_a_failed_mail_again_and_is_audited(
    client, session, admin, auth
) -> None:
    mails = _mails_in_every_state(session)
    token = auth.csrf_token("/admin/mail")
    assert token
    response = client.post(f"/admin/mail/{mails['failed'].id}/retry", data={"csrf_token": token})
    assert response.status_code == 302
    row = fresh(session, mails["failed"])
    assert row.status == MailStatus.PENDING and row.attempts == 0
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "mail.retry")).one()
    assert event.actor_id == admin.id and event.object_id == str(row.id)
    again = client.post(f"/admin/mail/{row.id}/retry", data={"csrf_token": token})
    assert again.status_code == 302  # no longer failed: a message, not an error page
    assert fresh(session, row).status == MailStatus.PENDING
    assert client.post("/admin/mail/987654/retry", data={"csrf_token": token}).status_code == 302


def test_retry_all_button_queues_every_failed_mail_and_is_audited(
    client, session, admin, auth
) -> None:
    mails = queue(session, 3)
    for mail in mails:
        _fail(session, mail)
    token = auth.csrf_token("/admin/mail")
    response = client.post("/admin/mail/retry-failed", data={"csrf_token": token})
    assert response.status_code == 302
    assert {fresh(session, m).status for m in mails} == {MailStatus.PENDING}
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "mail.retry_all")).one()
    assert event.actor_id == admin.id and event.details_dict == {"count": 3}


def test_retry_without_csrf_token_is_refused(client, session, admin) -> None:
    mails = _mails_in_every_state(session)
    assert client.post(f"/admin/mail/{mails['failed'].id}/retry").status_code == 400
    assert client.post("/admin/mail/retry-failed").status_code == 400
    assert fresh(session, mails["failed"]).status == MailStatus.FAILED


@pytest.mark.parametrize("permissions", [Permission.NONE, Permission.COORDINATOR])
def test_mail_page_and_retries_are_for_admins_only(client, session, auth, permissions) -> None:
    mails = _mails_in_every_state(session)
    person = factories.user(session, permissions=permissions)
    session.commit()
    auth.login(person.email)
    token = auth.csrf_token()
    assert client.get("/admin/mail").status_code == 403
    retry = client.post(f"/admin/mail/{mails['failed'].id}/retry", data={"csrf_token": token})
    assert retry.status_code == 403
    assert client.post("/admin/mail/retry-failed", data={"csrf_token": token}).status_code == 403
    assert fresh(session, mails["failed"]).status == MailStatus.FAILED


def test_mail_page_runs_a_constant_number_of_queries(client, session, admin, count_queries) -> None:
    queue(session, 3)
    with count_queries() as few:
        assert client.get("/admin/mail").status_code == 200
    for mail in queue(session, 120):
        if mail.id % 2:
            _fail(session, mail)
    with count_queries() as many:
        assert client.get("/admin/mail?page=2").status_code == 200
    assert few.count == many.count, set(many.statements) ^ set(few.statements)
    assert few.count <= 6, few.statements


def test_claim_is_committed_before_the_mail_is_sent(
    app, own_database, smtp_server, monkeypatch
) -> None:
    """While a mail goes over SMTP, every other connection already sees it claimed."""
    engine = make_engine(own_database)
    seen: list[tuple[str | None, str]] = []
    send = outbox_sender.SmtpConnection.send

    def send_and_look(self: Any, message: Any, recipient: str) -> None:
        with Session(engine) as other:  # another connection, as another scheduler has
            row = other.scalars(
                select(OutboxEmail).where(OutboxEmail.to_address == recipient)
            ).one()
            seen.append((row.claimed_by, row.status))
        send(self, message, recipient)

    monkeypatch.setattr(outbox_sender.SmtpConnection, "send", send_and_look)
    try:
        with Session(engine) as setup:
            queue(setup, 3)
        with Session(engine, expire_on_commit=False) as own:
            assert send_outbox(context(app, own, smtp_server.port))["sent"] == 3
        assert len(seen) == 3
        assert all(worker and status == MailStatus.PENDING for worker, status in seen), seen
        assert len({worker for worker, _ in seen}) == 1
    finally:
        engine.dispose()
