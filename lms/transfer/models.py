"""Pre-tasks and follow-up tasks attached to an activity (Transfer of Training)."""

from __future__ import annotations

import enum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.catalog.models import Activity
from lms.core.db import Base


class TaskPhase(enum.StrEnum):
    PRE = "pre"
    FOLLOW_UP = "follow_up"


class TaskKind(enum.StrEnum):
    REFLECTION = "reflection"
    CHECKLIST = "checklist"
    MANAGER = "manager"


class TransferTask(Base):
    """Something to do before (pre) or after (follow_up) an activity."""

    __tablename__ = "transfer_tasks"
    __table_args__ = (
        CheckConstraint("phase IN ('pre', 'follow_up')", name="phase"),
        CheckConstraint("kind IN ('reflection', 'checklist', 'manager')", name="kind"),
        CheckConstraint(
            "(phase = 'pre' AND due_days IS NULL) OR (phase = 'follow_up' AND due_days > 0)",
            name="due_days",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(
        ForeignKey("activities.id", ondelete="CASCADE"), index=True
    )
    phase: Mapped[str] = mapped_column(String(16))
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(String(200))
    instructions: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(16), default=TaskKind.REFLECTION)
    is_required: Mapped[bool] = mapped_column(default=False)
    due_days: Mapped[int | None]
    is_shared_with_owner: Mapped[bool] = mapped_column(default=False)
    prompt: Mapped[str | None] = mapped_column(Text)
    items: Mapped[list[Any]] = mapped_column(JSON, default=list)

    activity: Mapped[Activity] = relationship()

    def __repr__(self) -> str:
        return f"<TransferTask {self.phase} {self.activity_id}#{self.position}>"
