"""In-app notifications and each person's preference for non-essential mail."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lms.core.db import Base
from lms.core.time import utcnow


class MailMode(enum.StrEnum):
    """How non-essential mail reaches a person (essential mail always goes at once)."""

    IMMEDIATELY = "immediately"
    WEEKLY = "weekly"
    OFF = "off"


class Notification(Base):
    """Something a person should know, shown in the app (and mailed per their preference)."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_id_read_at", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str | None] = mapped_column(String(500))
    is_essential: Mapped[bool] = mapped_column(default=False)
    is_digest_pending: Mapped[bool] = mapped_column(default=False, index=True)
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"<Notification {self.id} {self.kind} user={self.user_id}>"


class NotificationPreference(Base):
    """A person's choice for non-essential mail; no row means the default (immediately)."""

    __tablename__ = "notification_preferences"
    __table_args__ = (
        CheckConstraint("mail_mode IN ('immediately', 'weekly', 'off')", name="mail_mode"),
    )

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    mail_mode: Mapped[str] = mapped_column(String(16), default=MailMode.IMMEDIATELY)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_digest_at: Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"<NotificationPreference user={self.user_id} {self.mail_mode}>"
