"""The durable e-mail outbox: every mail is a row first, sent later by a job."""

from __future__ import annotations

import enum
import logging
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from lms.core.db import Base
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
    )
    session.add(mail)
    log.info("mail queued: kind=%s to=%s", kind, mail.to_address)
    return mail
