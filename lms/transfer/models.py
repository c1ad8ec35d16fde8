"""Pre-tasks and follow-up tasks attached to an activity (Transfer of Training)."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.accounts.models import User
from lms.catalog.models import Activity
from lms.core.db import Base
from lms.core.time import utcnow


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


class ResponseStatus(enum.StrEnum):
    OPEN = "open"  # a follow-up waiting for its answer, or a checklist partly ticked
    AWAITING_MANAGER = "awaiting_manager"  # "discuss with your manager", not yet confirmed
    DONE = "done"  # accepted: the answer is in (and confirmed, for a manager task)


PRE_SCOPE = "pre"


class TaskResponse(Base):
    """One person's answer to one task: a pre-task once, a follow-up once per completion.

    `scope` is "pre" for a pre-task and "completion:<id>" for a follow-up opened by that
    completion, so the unique constraint makes double submits harmless on both.
    """

    __tablename__ = "task_responses"
    __table_args__ = (
        UniqueConstraint("task_id", "user_id", "scope"),
        CheckConstraint("status IN ('open', 'awaiting_manager', 'done')", name="status"),
        Index("ix_task_responses_due", "status", "due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(
        ForeignKey("transfer_tasks.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    scope: Mapped[str] = mapped_column(String(40))
    # The completion that opened a follow-up (progress sits above transfer: named by table).
    completion_id: Mapped[int | None] = mapped_column(
        ForeignKey("completions.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(20), default=ResponseStatus.OPEN)
    text: Mapped[str] = mapped_column(Text, default="")
    checked: Mapped[list[Any]] = mapped_column(JSON, default=list)
    due_on: Mapped[date | None]
    submitted_at: Mapped[datetime | None]
    done_at: Mapped[datetime | None]
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    manager_note: Mapped[str] = mapped_column(Text, default="")
    # When each reminder went out: the dedupe keys of notifications expire with retention.
    reminded_due_at: Mapped[datetime | None]
    reminded_overdue_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    task: Mapped[TransferTask] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    confirmed_by: Mapped[User | None] = relationship(foreign_keys=[confirmed_by_id])

    @property
    def is_done(self) -> bool:
        return self.status == ResponseStatus.DONE

    def __repr__(self) -> str:
        return f"<TaskResponse task={self.task_id} user={self.user_id} {self.scope} {self.status}>"
