"""Enrolments, lesson progress, quiz attempts, bookings and seats, completions, feedback,
external learning and personal calendar feeds."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.accounts.models import User
from lms.catalog.models import Activity, ActivitySession, Lesson
from lms.core.db import Base
from lms.core.time import local_date, utcnow


class Enrolment(Base):
    """A person taking an activity: enrolled → in progress → completed (or withdrawn)."""

    __tablename__ = "enrolments"
    __table_args__ = (
        UniqueConstraint("user_id", "activity_id"),
        CheckConstraint(
            "status IN ('enrolled', 'in_progress', 'completed', 'withdrawn')", name="status"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    activity_id: Mapped[int] = mapped_column(
        ForeignKey("activities.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(16), default="enrolled")
    current_lesson_id: Mapped[int | None] = mapped_column(
        ForeignKey("lessons.id", ondelete="SET NULL")
    )
    enrolled_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()
    activity: Mapped[Activity] = relationship()

    def __repr__(self) -> str:
        return f"<Enrolment user={self.user_id} activity={self.activity_id} {self.status}>"


class LessonProgress(Base):
    """A person's progress through one lesson of a course."""

    __tablename__ = "lesson_progress"
    __table_args__ = (UniqueConstraint("user_id", "lesson_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id", ondelete="CASCADE"))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]

    lesson: Mapped[Lesson] = relationship()

    def __repr__(self) -> str:
        return f"<LessonProgress user={self.user_id} lesson={self.lesson_id}>"


class QuizAttempt(Base):
    """One graded try at a knowledge check (retries allowed; every score is kept)."""

    __tablename__ = "quiz_attempts"
    __table_args__ = (
        CheckConstraint("score >= 0 AND score <= 1", name="score"),
        Index("ix_quiz_attempts_user_id_activity_id", "user_id", "activity_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"))
    lesson_id: Mapped[int | None] = mapped_column(ForeignKey("lessons.id", ondelete="CASCADE"))
    score: Mapped[float]
    is_passed: Mapped[bool]
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<QuizAttempt user={self.user_id} activity={self.activity_id} {self.score}>"


class Booking(Base):
    """A person's place on a session: booked (holding a seat), waitlisted or cancelled."""

    __tablename__ = "bookings"
    __table_args__ = (
        UniqueConstraint("session_id", "user_id"),
        UniqueConstraint("session_id", "seat"),
        ForeignKeyConstraint(
            ["session_id", "seat"],
            ["session_seats.session_id", "session_seats.seat"],
            ondelete="RESTRICT",
        ),
        CheckConstraint("status IN ('booked', 'waitlisted', 'cancelled')", name="status"),
        CheckConstraint(
            "(status = 'booked' AND seat IS NOT NULL) OR (status <> 'booked' AND seat IS NULL)",
            name="seat_when_booked",
        ),
        CheckConstraint(
            "attendance IS NULL OR attendance IN ('attended', 'no_show')", name="attendance"
        ),
        Index("ix_bookings_session_id_status", "session_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    seat: Mapped[int | None]
    attendance: Mapped[str | None] = mapped_column(String(16))
    is_walk_in: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    cancelled_at: Mapped[datetime | None]
    promoted_at: Mapped[datetime | None]

    session: Mapped[ActivitySession] = relationship()
    user: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<Booking session={self.session_id} user={self.user_id} {self.status}>"


class Completion(Base):
    """A completed occurrence with its credited time; the source of every counted hour."""

    __tablename__ = "completions"
    __table_args__ = (
        UniqueConstraint("user_id", "occurrence_key"),
        CheckConstraint(
            "source IN ('catalogue', 'attendance', 'import', 'external')", name="source"
        ),
        CheckConstraint("credited_minutes >= 0", name="credited_minutes"),
        Index("ix_completions_completed_at", "completed_at"),
        Index("ix_completions_activity_id", "activity_id"),
        # The ESF report's period scans, whole and per organisation or department.
        Index("ix_completions_completed_on", "completed_on"),
        Index("ix_completions_organisation_id_completed_on", "organisation_id", "completed_on"),
        Index("ix_completions_department_id_completed_on", "department_id", "completed_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    activity_id: Mapped[int | None] = mapped_column(
        ForeignKey("activities.id", ondelete="SET NULL")
    )
    session_id: Mapped[int | None] = mapped_column(ForeignKey("sessions.id", ondelete="SET NULL"))
    # "activity:<id>", "session:<id>", "import:<activity>:<date>" or "external:<id>": one
    # completion per user and occurrence, enforced by the unique constraint.
    occurrence_key: Mapped[str] = mapped_column(String(120))
    title: Mapped[str] = mapped_column(String(300), default="")
    completed_at: Mapped[datetime]
    # The Europe/Stockholm date of completed_at (DESIGN §4: periods and months are local), set
    # on insert so reports filter and group by it with plain indexes on every backend.
    completed_on: Mapped[date]
    credited_minutes: Mapped[int]
    source: Mapped[str] = mapped_column(String(16))
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Where the person belonged when they completed (reports keep it if they move later).
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("departments.id", ondelete="SET NULL")
    )
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL")
    )
    is_pre_task_missing: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    activity: Mapped[Activity | None] = relationship()

    def __repr__(self) -> str:
        return f"<Completion user={self.user_id} {self.occurrence_key} {self.credited_minutes}m>"

    @property
    def hours(self) -> float:
        return self.credited_minutes / 60


@event.listens_for(Completion, "before_insert")
def _set_completed_on(_mapper: object, _connection: object, target: Completion) -> None:
    if getattr(target, "completed_on", None) is None:
        target.completed_on = local_date(target.completed_at)


class Feedback(Base):
    """What a person thought of a completed activity (optional, once per completion)."""

    __tablename__ = "feedback"
    __table_args__ = (CheckConstraint("rating BETWEEN 1 AND 5", name="rating"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    completion_id: Mapped[int] = mapped_column(
        ForeignKey("completions.id", ondelete="CASCADE"), unique=True
    )
    rating: Mapped[int]
    comment: Mapped[str] = mapped_column(Text, default="")
    will_apply: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<Feedback completion={self.completion_id} {self.rating}>"


class ExternalLearning(Base):
    """Learning outside the catalogue (a conference, a study visit); counts once approved."""

    __tablename__ = "external_learning"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'approved', 'rejected')", name="status"),
        CheckConstraint("minutes > 0", name="minutes"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    learned_on: Mapped[date]
    minutes: Mapped[int]
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]
    decision_comment: Mapped[str] = mapped_column(Text, default="")
    completion_id: Mapped[int | None] = mapped_column(
        ForeignKey("completions.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])

    def __repr__(self) -> str:
        return f"<ExternalLearning {self.id} user={self.user_id} {self.status}>"


class CalendarFeed(Base):
    """The secret token of a person's personal iCalendar feed."""

    __tablename__ = "calendar_feeds"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<CalendarFeed user={self.user_id}>"
