"""The outbox sender: claims due mails, sends them over one SMTP connection, retries with backoff.

Transactions. Unlike other jobs, `send_outbox` commits `ctx.session` itself, several times:

1. once before claiming, so the claim starts a fresh transaction (on SQLite a transaction
   that read and then writes fails with "database is locked" when another writer came
   in between, WAL snapshots);
2. right after claiming a batch: the claim (`claimed_by`, `claimed_until`) must be
   visible to every other sender *before* anything is sent, or two schedulers could
   send the same mail; the claimed rows are then read as plain `ClaimedMail`s and that
   read is ended at once, for the same SQLite reason;
3. after every mail: a mail the SMTP server accepted is marked sent at once, so a
   crash later in the batch never sends it again.

The runner's final commit then has nothing left to do. Whatever the runner had added to
the session before calling the job is committed with the first of these commits. After an
unexpected error the run gives its claims back before the error propagates.

Claiming. On PostgreSQL the due rows are chosen with `SELECT … FOR UPDATE SKIP LOCKED` inside
the claiming `UPDATE`, so two senders never wait for or take each other's rows; on SQLite,
which serialises writers, the same `UPDATE … WHERE id IN (…) AND (claim free or expired)` is
atomic by itself. Each run claims under its own worker id and re-reads exactly the rows it
claimed. A claim lasts `CLAIM_SECONDS`; the sender stops before it runs out, so a claim
taken over after a crash never means two senders at once.

Failures. A mail the server refuses waits 1, 5, 15, 60 and 240 minutes and is failed at the
sixth attempt. An unreachable server (or a failing STARTTLS or login) is not the mails'
fault: the whole batch stays pending, attempts counted, waiting at most 15 minutes, never
failed. A row that cannot be a valid mail (not exactly one recipient) is failed at once.
Due times and backoff count from the run's clock, the later of `ctx.now` and the wall clock;
claims from the wall clock.

Delivery is at least once by nature (SMTP has no transactions): only a crash between the
server's "250 OK" and the commit that marks the row sent can repeat a mail, after the
claim expired. The Message-ID is stable across attempts so receivers can spot that.
"""

from __future__ import annotations

import logging
import os
import re
import smtplib
import socket
import ssl
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, getaddresses, parseaddr
from typing import Any

from flask import Flask
from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.orm import Session

from lms.core.jobs import JobContext
from lms.core.outbox import MailStatus, OutboxEmail, count_due_mail, is_due
from lms.core.time import utcnow

log = logging.getLogger(__name__)

BACKOFF_MINUTES = (1, 5, 15, 60, 240)  # wait after the 1st, 2nd, … failed attempt
MAX_ATTEMPTS = 6  # the sixth failed attempt marks a mail failed
OUTAGE_BACKOFF_CAP_MINUTES = 15  # an unreachable server never waits longer than this
BATCH_SIZE = 100
CLAIM_SECONDS = 300
SMTP_TIMEOUT_SECONDS = 30
RUN_BUDGET_SECONDS = 45  # a run claims no new batch after this; it runs every minute
UNSUBSCRIBE_EXTENSION = "lms_unsubscribe_url"
_ADDRESS = re.compile(r"[^@\s,;:<>()\[\]\"\\]+@[^@\s,;:<>()\[\]\"\\]+\.[^@\s,;:<>()\[\]\"\\]+")

_URL = re.compile(r"https?://[^\s<>]+")


@dataclass(frozen=True)
class ClaimedMail:
    """A claimed outbox row as plain data: it stays valid across the sender's commits."""

    id: int
    to_address: str
    subject: str
    body_text: str
    body_html: str | None
    language: str
    kind: str
    is_essential: bool
    user_id: int | None
    attempts: int
    created_at: datetime
    claimed_until: datetime | None


UnsubscribeUrl = Callable[[ClaimedMail], str | None]


class MailRejected(ValueError):
    """The row cannot become a valid mail (e.g. not exactly one recipient): never retried."""


@dataclass
class SendCounts:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0


def backoff(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed attempt (1 → 1 min, … 5+ → 240 min)."""
    index = min(max(attempts, 1), len(BACKOFF_MINUTES)) - 1
    return timedelta(minutes=BACKOFF_MINUTES[index])


def register_unsubscribe_url(app: Flask, url_for_mail: UnsubscribeUrl) -> None:
    """Let a higher package (notify) give the List-Unsubscribe URL of non-essential mails."""
    app.extensions[UNSUBSCRIBE_EXTENSION] = url_for_mail


# --- building a message ---------------------------------------------------------------


def _one_line(value: str) -> str:
    # str.split() also splits on every character email treats as a line break.
    return " ".join(value.split())


def _recipient(value: str) -> tuple[str, str]:
    """The To header and envelope address of a row, refusing anything but one address."""
    if _one_line(value) != value.strip():
        raise MailRejected("the recipient contains a line break")
    pairs = getaddresses([value])
    if len(pairs) != 1 or not _ADDRESS.fullmatch(pairs[0][1]):
        raise MailRejected("the recipient is not exactly one e-mail address")
    name, address = pairs[0]
    return formataddr((_one_line(name), address)), address


def message_domain(settings: Any) -> str:
    """The domain of Message-IDs: the sender address's, stable for a deployment."""
    domain = parseaddr(settings.smtp_from)[1].rpartition("@")[2]
    return domain if re.fullmatch(r"[A-Za-z0-9.-]+", domain) else "larlyft.invalid"


def build_message(
    mail: ClaimedMail, settings: Any, unsubscribe_url: str | None = None
) -> EmailMessage:
    """The e-mail of an outbox row: text, optional HTML alternative, headers for robots."""
    to_header, _address = _recipient(mail.to_address)
    message = EmailMessage()
    message["From"] = _one_line(settings.smtp_from)
    message["To"] = to_header
    message["Subject"] = _one_line(mail.subject)
    message["Date"] = format_datetime(mail.created_at)
    created = int(mail.created_at.timestamp())
    message["Message-ID"] = f"<outbox.{mail.id}.{created}@{message_domain(settings)}>"
    message["Auto-Submitted"] = "auto-generated"
    message["X-Auto-Response-Suppress"] = "All"  # no out-of-office replies (Exchange)
    if unsubscribe_url and not mail.is_essential and _URL.fullmatch(unsubscribe_url):
        message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"  # RFC 8058
    message.set_content(mail.body_text)
    if mail.body_html:
        message.add_alternative(mail.body_html, subtype="html")
    # After the bodies: set_content() drops every Content-* header set before it.
    message["Content-Language"] = _one_line(mail.language)
    return message


# --- claiming and sending -------------------------------------------------------------


def _claimable(moment: datetime) -> ColumnElement[bool]:
    return or_(OutboxEmail.claimed_until.is_(None), OutboxEmail.claimed_until < moment)


def claim_batch(session: Session, worker: str, due_at: datetime, limit: int) -> list[ClaimedMail]:
    """Claim up to `limit` due, unclaimed mails for `worker`, commit, and return them."""
    wall = utcnow()
    candidates = (
        select(OutboxEmail.id)
        .where(is_due(due_at), _claimable(wall))
        .order_by(OutboxEmail.next_attempt_at, OutboxEmail.id)
        .limit(limit)
        .with_for_update(skip_locked=True)  # PostgreSQL; SQLite serialises writers anyway
    )
    session.execute(
        update(OutboxEmail)
        .where(OutboxEmail.id.in_(candidates.scalar_subquery()), _claimable(wall))
        .values(claimed_by=worker, claimed_until=wall + timedelta(seconds=CLAIM_SECONDS)),
        execution_options={"synchronize_session": False},
    )
    session.commit()
    columns = [getattr(OutboxEmail, f.name) for f in fields(ClaimedMail)]
    rows = session.execute(
        select(*columns)
        .where(OutboxEmail.claimed_by == worker, OutboxEmail.status == MailStatus.PENDING)
        .order_by(OutboxEmail.next_attempt_at, OutboxEmail.id)
    ).all()
    # End the read at once: on SQLite a transaction that read and then writes fails with
    # "database is locked" when another sender wrote meanwhile (WAL snapshots).
    session.commit()
    return [ClaimedMail(**row._asdict()) for row in rows]


class SmtpConnection:
    """One SMTP connection per run (STARTTLS and login when configured)."""

    def __init__(self, settings: Any) -> None:
        s = settings
        self.sender = parseaddr(s.smtp_from)[1]
        self.client = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=SMTP_TIMEOUT_SECONDS)
        try:
            if s.smtp_starttls:
                self.client.starttls(context=ssl.create_default_context())
            if s.smtp_user:
                self.client.login(s.smtp_user, s.smtp_password)
        except BaseException:
            self.client.close()
            raise

    def send(self, message: EmailMessage, recipient: str) -> None:
        self.client.send_message(message, from_addr=self.sender, to_addrs=[recipient])

    def close(self) -> None:
        try:
            self.client.quit()
        except (smtplib.SMTPException, OSError):
            self.client.close()


def _is_mail_error(error: OSError) -> bool:
    """True when the server refused this one mail and the connection is still good."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code != 421 for code, _ in error.recipients.values())
    if isinstance(error, smtplib.SMTPSenderRefused | smtplib.SMTPDataError):
        return error.smtp_code != 421  # 421: the server is closing the connection
    return isinstance(error, smtplib.SMTPNotSupportedError)


def _error_text(error: BaseException) -> str:
    """The server's answer ("550 5.1.1 No such user") or the error, for the admin page."""
    if isinstance(error, smtplib.SMTPRecipientsRefused) and error.recipients:
        code, reply = next(iter(error.recipients.values()))
        text = f"{code} {_decoded(reply)}"
    elif isinstance(error, smtplib.SMTPResponseException):
        text = f"{error.smtp_code} {_decoded(error.smtp_error)}"
    else:
        text = str(error) or type(error).__name__
    return text[:1000]


def _decoded(reply: bytes | str) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else reply


class _Sender:
    """One run of the sender: its worker id, its SMTP connection, its counts."""

    def __init__(self, ctx: JobContext) -> None:
        self.session = ctx.session
        self.settings = ctx.settings
        self.unsubscribe: UnsubscribeUrl | None = ctx.app.extensions.get(UNSUBSCRIBE_EXTENSION)
        self.worker = f"{socket.gethostname()[:120]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
        self.connection: SmtpConnection | None = None
        self.counts = SendCounts()

    def finish(self, mail: ClaimedMail, commit: bool = True, **values: Any) -> bool:
        """Store the outcome of a claimed mail and release its claim; False if it was lost."""
        result = self.session.execute(
            update(OutboxEmail)
            .where(OutboxEmail.id == mail.id, OutboxEmail.claimed_by == self.worker)
            .values(claimed_by=None, claimed_until=None, **values),
            execution_options={"synchronize_session": False},
        )
        if commit:
            self.session.commit()
        if getattr(result, "rowcount", 1) == 0:
            log.error("mail %s: the claim was taken over by another sender", mail.id)
            return False
        return True

    def release(self, mails: list[ClaimedMail]) -> None:
        """Give claimed but unsent mails back unchanged, for the next run."""
        for mail in mails:
            self.finish(mail, commit=False)
        self.session.commit()

    def fail(self, mail: ClaimedMail, error: str, now: datetime, outage: bool = False) -> None:
        """Count a failed attempt: retry after the backoff, or give up after MAX_ATTEMPTS.

        An unreachable server is not the mail's fault: the mail stays pending however often
        that happens, and waits at most OUTAGE_BACKOFF_CAP_MINUTES.
        """
        attempts = mail.attempts + 1
        if attempts >= MAX_ATTEMPTS and not outage:
            self.finish(mail, status=MailStatus.FAILED, attempts=attempts, last_error=error)
            self.counts.failed += 1
            log.warning("mail %s failed for good after %d attempts: %s", mail.id, attempts, error)
            return
        wait = backoff(attempts)
        if outage:
            wait = min(wait, timedelta(minutes=OUTAGE_BACKOFF_CAP_MINUTES))
        self.finish(
            mail, commit=not outage, attempts=attempts, last_error=error, next_attempt_at=now + wait
        )
        self.counts.retried += 1

    def unsubscribe_url(self, mail: ClaimedMail) -> str | None:
        if self.unsubscribe is None or mail.is_essential:
            return None
        try:
            return self.unsubscribe(mail)
        except Exception:  # a broken hook must not stop the mail itself
            log.exception("mail %s: no List-Unsubscribe URL", mail.id)
            return None

    def send_one(self, connection: SmtpConnection, mail: ClaimedMail, now: datetime) -> bool:
        """Send one claimed mail and store the outcome; False when the connection broke."""
        try:
            message = build_message(mail, self.settings, self.unsubscribe_url(mail))
            recipient = _recipient(mail.to_address)[1]
        except (ValueError, TypeError) as error:  # MailRejected and anything email refuses
            self.finish(mail, status=MailStatus.FAILED, last_error=str(error))
            self.counts.failed += 1
            log.warning("mail %s cannot be sent: %s", mail.id, error)
            return True
        try:
            connection.send(message, recipient)
        except OSError as error:  # smtplib's errors are OSErrors too
            self.fail(mail, _error_text(error), now)
            return _is_mail_error(error)
        if self.finish(mail, status=MailStatus.SENT, sent_at=utcnow(), last_error=None):
            self.counts.sent += 1
        return True

    def connect(self, batch: list[ClaimedMail], now: datetime) -> SmtpConnection | None:
        """The run's connection, opened once; on failure the whole batch stays pending."""
        if self.connection is None:
            try:
                self.connection = SmtpConnection(self.settings)
            except (OSError, ValueError) as error:  # ValueError: smtplib on a non-ASCII login
                text = f"could not reach the mail server: {_error_text(error)}"
                log.warning("%s; %d mails stay pending", text, len(batch))
                for mail in batch:
                    self.fail(mail, text, now, outage=True)
                self.session.commit()
        return self.connection

    def send_batch(self, batch: list[ClaimedMail], now: datetime) -> bool:
        """Send a claimed batch; False when the run should stop (server gone, claim expiring)."""
        connection = self.connect(batch, now)
        if connection is None:
            return False
        margin = timedelta(seconds=2 * SMTP_TIMEOUT_SECONDS + 5)
        for index, mail in enumerate(batch):
            if mail.claimed_until is None or utcnow() + margin > mail.claimed_until:
                self.release(batch[index:])  # never send on a claim about to expire
                return False
            if not self.send_one(connection, mail, now):
                self.release(batch[index + 1 :])
                self.close()
                return False
        return True

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def abandon(self) -> None:
        """After an unexpected error: give back every claim of this run (else they expire)."""
        try:
            self.session.rollback()
            self.session.execute(
                update(OutboxEmail)
                .where(OutboxEmail.claimed_by == self.worker)
                .values(claimed_by=None, claimed_until=None),
                execution_options={"synchronize_session": False},
            )
            self.session.commit()
        except Exception:
            self.session.rollback()
            log.exception("outbox: claims of %s are left to expire", self.worker)


def send_outbox(ctx: JobContext) -> dict[str, int]:
    """Send every due mail (the `send_outbox` job); commits by itself, see the module doc."""
    if not ctx.settings.smtp_host:
        waiting = count_due_mail(ctx.session, max(ctx.now, utcnow()))
        ctx.log.info("mail is not configured (LMS_SMTP_HOST is empty): %d mails wait", waiting)
        return asdict(SendCounts())
    ctx.session.commit()
    sender = _Sender(ctx)
    deadline = time.monotonic() + RUN_BUDGET_SECONDS
    try:
        while time.monotonic() < deadline:
            now = max(ctx.now, utcnow())
            batch = claim_batch(ctx.session, sender.worker, now, BATCH_SIZE)
            sender.counts.claimed += len(batch)
            if not batch or not sender.send_batch(batch, now) or len(batch) < BATCH_SIZE:
                break
    except BaseException:
        sender.abandon()
        raise
    finally:
        sender.close()
    if sender.counts.claimed:
        ctx.log.info("outbox: %s", asdict(sender.counts))
    return asdict(sender.counts)


# --- the admin page's reads and writes ------------------------------------------------
