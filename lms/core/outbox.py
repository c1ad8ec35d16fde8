"""The durable e-mail outbox: every mail is a row first, sent later by a job."""

from __future__ import annotations

import enum
import logging
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    ColumnElement,
    ForeignKey,
    Index,
    Select,
    String,
    Text,
    func,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from lms.core.audit import record_event
from lms.core.db import Base
from lms.core.errors import Conflict, NotFound
from lms.core.i18n import _l
from lms.core.time import utcnow

log = logging.getLogger(__name__)


class MailStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class OutboxEmail(Base):
    __tablename__ = "outbox_emails"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'sent', 'failed')", name="status"),
        CheckConstraint("attempts >= 0", name="attempts"),
        Index("ix_outbox_emails_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    to_address: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(8), default="sv")
    kind: Mapped[str] = mapped_column(String(64))
    is_essential: Mapped[bool] = mapped_column(default=True)
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(16), default=MailStatus.PENDING, index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    # A sender claims a row before sending it, so two senders never send the same mail.
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    claimed_until: Mapped[datetime | None]
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"<OutboxEmail {self.id} {self.kind} to={self.to_address} {self.status}>"


def _clean_header(value: str) -> str:
    # A CR or LF in a header value would let a name inject further headers.
    return " ".join(value.replace("\r", " ").replace("\n", " ").split())


def enqueue_email(
    session: Session,
    *,
    to: str,
    subject: str,
    body_text: str,
    kind: str,
    language: str = "sv",
    body_html: str | None = None,
    dedupe_key: str | None = None,
    is_essential: bool = True,
    user_id: int | None = None,
) -> OutboxEmail | None:
    """Queue a mail; with a dedupe key already queued, do nothing and return None."""
    if dedupe_key is not None:
        existing = session.scalar(
            select(OutboxEmail.id).where(OutboxEmail.dedupe_key == dedupe_key)
        )
        if existing is not None:
            return None
    mail = OutboxEmail(
        to_address=_clean_header(to),
        subject=_clean_header(subject),
        body_text=body_text,
        body_html=body_html,
        kind=kind,
        language=language,
        dedupe_key=dedupe_key,
        is_essential=is_essential,
        user_id=user_id,
    )
    session.add(mail)
    log.info("mail queued: kind=%s to=%s", kind, mail.to_address)
    return mail


# --- looking after the outbox (the sender and the admin page) ----------------------------


def cancel_pending_mail(session: Session, user_ids: list[int]) -> int:
    """Stop every queued mail to people who were just deactivated; returns how many."""
    if not user_ids:
        return 0
    result = session.execute(
        update(OutboxEmail)
        .where(OutboxEmail.user_id.in_(user_ids), OutboxEmail.status == MailStatus.PENDING)
        .values(
            status=MailStatus.FAILED,
            last_error="recipient deactivated",
            claimed_by=None,
            claimed_until=None,
        )
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def is_due(moment: datetime) -> ColumnElement[bool]:
    """Pending mail whose next attempt has come."""
    return (OutboxEmail.status == MailStatus.PENDING) & (OutboxEmail.next_attempt_at <= moment)


def count_due_mail(session: Session, moment: datetime) -> int:
    """How many pending mails are due at `moment`."""
    stmt = select(func.count()).select_from(OutboxEmail).where(is_due(moment))
    return int(session.scalar(stmt) or 0)


def count_mail_by_status(session: Session) -> dict[str, int]:
    """Mails per status, every status present (one query)."""
    rows = session.execute(
        select(OutboxEmail.status, func.count()).group_by(OutboxEmail.status)
    ).all()
    counts = {str(status): 0 for status in MailStatus}
    counts.update({str(status): int(number) for status, number in rows})
    return counts


def list_mail_statement(statuses: list[str]) -> Select[Any]:
    """Mails in any of `statuses`: failed first, newest first (for `paginate`)."""
    return (
        select(OutboxEmail)
        .where(OutboxEmail.status.in_(statuses))
        .order_by(OutboxEmail.status, OutboxEmail.created_at.desc(), OutboxEmail.id.desc())
    )


def _reset(now: datetime) -> dict[str, Any]:
    return {
        "status": MailStatus.PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "last_error": None,
        "claimed_by": None,
        "claimed_until": None,
    }


def retry_failed(session: Session, mail_id: int, *, actor_id: int | None = None) -> OutboxEmail:
    """Queue a failed mail again from scratch (attempts 0, due now); audited."""
    mail = session.get(OutboxEmail, mail_id)
    if mail is None:
        raise NotFound(_l("The mail does not exist."))
    if mail.status != MailStatus.FAILED:
        raise Conflict(_l("Only a failed mail can be sent again."))
    for key, value in _reset(utcnow()).items():
        setattr(mail, key, value)
    session.flush()
    record_event(
        session,
        actor_id=actor_id,
        action="mail.retry",
        object_type="outbox_email",
        object_id=mail.id,
        kind=mail.kind,
    )
    return mail


def retry_all_failed(session: Session, *, actor_id: int | None = None) -> int:
    """Queue every failed mail again from scratch; returns how many; audited."""
    result = session.execute(
        update(OutboxEmail)
        .where(OutboxEmail.status == MailStatus.FAILED)
        .values(**_reset(utcnow())),
        execution_options={"synchronize_session": "fetch"},
    )
    number = int(getattr(result, "rowcount", 0) or 0)
    record_event(
        session,
        actor_id=actor_id,
        action="mail.retry_all",
        object_type="outbox_email",
        object_id="failed",
        count=number,
    )
    return number
