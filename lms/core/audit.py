"""The audit trail: who did what to what, when (security-relevant actions)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, Session, mapped_column

from lms.core.db import Base
from lms.core.time import utcnow


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[str] = mapped_column(String(64))
    details: Mapped[str] = mapped_column(Text, default="{}")

    def __repr__(self) -> str:
        return f"<AuditEvent {self.action} {self.object_type}:{self.object_id}>"

    @property
    def details_dict(self) -> dict[str, Any]:
        loaded = json.loads(self.details or "{}")
        return loaded if isinstance(loaded, dict) else {}


def record_event(
    session: Session,
    *,
    actor_id: int | None,
    action: str,
    object_type: str,
    object_id: object,
    **details: Any,
) -> AuditEvent:
    """Add an audit event to the session (the caller commits)."""
    event = AuditEvent(
        actor_id=actor_id,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        details=json.dumps(details, ensure_ascii=False, sort_keys=True, default=str),
    )
    session.add(event)
    return event
