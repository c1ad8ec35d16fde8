"""Activities, their competences and audiences, course lessons, sessions, revisions, uploads."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.accounts.models import Department, JobRole, User
from lms.core.db import Base
from lms.core.time import utcnow
from lms.framework.models import Competence, Subject


class Format(enum.StrEnum):
    NANOLESSON = "nanolesson"
    ELEARNING = "elearning"
    COURSE = "course"
    LECTURE = "lecture"
    WORKSHOP = "workshop"
    COACHING = "coaching"
    NETWORK = "network"
    EXTERNAL = "external"


SCHEDULED_FORMATS = frozenset({Format.LECTURE, Format.WORKSHOP, Format.COACHING, Format.NETWORK})
SELF_PACED_FORMATS = frozenset({Format.NANOLESSON, Format.ELEARNING, Format.COURSE})


class Level(enum.StrEnum):
    GRUND = "grund"
    FORDJUPNING = "fördjupning"
    SPETS = "spets"


class Delivery(enum.StrEnum):
    DIGITAL = "digital"
    PHYSICAL = "physical"
    HYBRID = "hybrid"


class Status(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


def _in(column: str, values: type[enum.StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


activity_subjects = Table(
    "activity_subjects",
    Base.metadata,
    Column("activity_id", ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "subject_id", ForeignKey("subjects.id", ondelete="CASCADE"), primary_key=True, index=True
    ),
)
activity_departments = Table(
    "activity_departments",
    Base.metadata,
    Column("activity_id", ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "department_id",
        ForeignKey("departments.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)
activity_job_roles = Table(
    "activity_job_roles",
    Base.metadata,
    Column("activity_id", ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "job_role_id", ForeignKey("job_roles.id", ondelete="CASCADE"), primary_key=True, index=True
    ),
)
activity_owners = Table(
    "activity_owners",
    Base.metadata,
    Column("activity_id", ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Activity(Base):
    """Anything a person can take part in: a nano-lesson, a course, a workshop…"""

    __tablename__ = "activities"
    __table_args__ = (
        CheckConstraint(_in("format", Format), name="format"),
        CheckConstraint(_in("level", Level), name="level"),
        CheckConstraint(_in("delivery", Delivery), name="delivery"),
        CheckConstraint(_in("status", Status), name="status"),
        CheckConstraint("minutes > 0", name="minutes"),
        CheckConstraint("language IN ('sv', 'en')", name="language"),
        Index("ix_activities_status_format", "status", "format"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    quiz: Mapped[list[Any]] = mapped_column(JSON, default=list)
    format: Mapped[str] = mapped_column(String(16))
    level: Mapped[str] = mapped_column(String(16))
    delivery: Mapped[str] = mapped_column(String(16))
    minutes: Mapped[int]
    status: Mapped[str] = mapped_column(String(16), default=Status.DRAFT, index=True)
    language: Mapped[str] = mapped_column(String(8), default="sv")
    is_repeatable: Mapped[bool] = mapped_column(default=False)
    url: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    published_at: Mapped[datetime | None]

    competence_links: Mapped[list[ActivityCompetence]] = relationship(
        back_populates="activity",
        cascade="all, delete-orphan",
        order_by="ActivityCompetence.position",
    )
    subjects: Mapped[list[Subject]] = relationship(
        secondary=activity_subjects, order_by=Subject.position
    )
    departments: Mapped[list[Department]] = relationship(
        secondary=activity_departments, order_by=Department.name
    )
    job_roles: Mapped[list[JobRole]] = relationship(
        secondary=activity_job_roles, order_by=JobRole.name
    )
    owners: Mapped[list[User]] = relationship(secondary=activity_owners, order_by=User.email)
    lessons: Mapped[list[Lesson]] = relationship(
        back_populates="course", cascade="all, delete-orphan", order_by="Lesson.position"
    )
    sessions: Mapped[list[ActivitySession]] = relationship(
        back_populates="activity",
        cascade="all, delete-orphan",
        order_by="ActivitySession.starts_at",
    )

    def __repr__(self) -> str:
        return f"<Activity {self.slug} {self.status}>"

    @property
    def is_scheduled(self) -> bool:
        return self.format in SCHEDULED_FORMATS

    @property
    def is_published(self) -> bool:
        return self.status == Status.PUBLISHED


class ActivityCompetence(Base):
    """How much an activity develops a competence (0 < weight ≤ 1)."""

    __tablename__ = "activity_competences"
    __table_args__ = (CheckConstraint("weight > 0 AND weight <= 1", name="weight"),)

    activity_id: Mapped[int] = mapped_column(
        ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True
    )
    competence_id: Mapped[int] = mapped_column(
        ForeignKey("competences.id", ondelete="RESTRICT"), primary_key=True, index=True
    )
    weight: Mapped[float]
    position: Mapped[int] = mapped_column(default=0)

    activity: Mapped[Activity] = relationship(back_populates="competence_links")
    competence: Mapped[Competence] = relationship()

    def __repr__(self) -> str:
        return f"<ActivityCompetence {self.activity_id}:{self.competence_id} {self.weight}>"


class Lesson(Base):
    """One step of a course, in order; a course is complete when its required lessons are."""

    __tablename__ = "lessons"
    __table_args__ = (
        UniqueConstraint("course_id", "slug"),
        CheckConstraint("minutes > 0", name="minutes"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(
        ForeignKey("activities.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    slug: Mapped[str] = mapped_column(String(120))
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    minutes: Mapped[int]
    is_required: Mapped[bool] = mapped_column(default=True)
    body: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    quiz: Mapped[list[Any]] = mapped_column(JSON, default=list)

    course: Mapped[Activity] = relationship(back_populates="lessons")

    def __repr__(self) -> str:
        return f"<Lesson {self.course_id}#{self.position} {self.slug}>"


class ActivitySession(Base):
    """A dated occurrence of a scheduled activity (a workshop on a Tuesday at 13:00)."""

    __tablename__ = "sessions"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("capacity > 0", name="capacity"),
        Index("ix_sessions_starts_at", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(
        ForeignKey("activities.id", ondelete="CASCADE"), index=True
    )
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    place: Mapped[str] = mapped_column(String(200), default="")
    online_url: Mapped[str | None] = mapped_column(String(500))
    capacity: Mapped[int]
    is_cancelled: Mapped[bool] = mapped_column(default=False)
    # Booking closes and cancelling is refused after these times (None: at the start).
    booking_deadline: Mapped[datetime | None]
    cancel_deadline: Mapped[datetime | None]
    # Bumped on every change so calendar programs update the event (iCalendar SEQUENCE).
    sequence: Mapped[int] = mapped_column(default=0, server_default="0")

    activity: Mapped[Activity] = relationship(back_populates="sessions")

    def __repr__(self) -> str:
        return f"<ActivitySession {self.activity_id} {self.starts_at:%Y-%m-%d %H:%M}>"

    @property
    def minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)


class SessionSeat(Base):
    """The seats of a session, 1..capacity: a booking holds one, so none can over-book."""

    __tablename__ = "session_seats"
    __table_args__ = (CheckConstraint("seat >= 1", name="seat"),)

    session_id: Mapped[int] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True
    )
    seat: Mapped[int] = mapped_column(primary_key=True)

    def __repr__(self) -> str:
        return f"<SessionSeat {self.session_id}#{self.seat}>"


class ActivityRevision(Base):
    """A saved version of an activity's text and metadata, for history, diff and restore."""

    __tablename__ = "activity_revisions"
    __table_args__ = (UniqueConstraint("activity_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(
        ForeignKey("activities.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    meta: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    note: Mapped[str] = mapped_column(String(200), default="")

    author: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<ActivityRevision {self.activity_id} r{self.number}>"


class Upload(Base):
    """An image uploaded for use in Markdown, stored under the instance folder."""

    __tablename__ = "uploads"
    __table_args__ = (CheckConstraint("size_bytes > 0", name="size"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    original_name: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<Upload {self.name}>"


class ThemeStatus(enum.StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    PUBLISHED = "published"


theme_month_departments = Table(
    "theme_month_departments",
    Base.metadata,
    Column("theme_month_id", ForeignKey("theme_months.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "department_id",
        ForeignKey("departments.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)


class ThemeMonth(Base):
    """A month's curated theme ("Oktober: Informationssäkerhet") published to its audience.

    Draft → scheduled (publishes itself on `publish_on`, a Stockholm date) → published.
    A published theme month whose month has passed is in the archive. `announced_at` is
    set when its audience has been told, so the announcement goes out once.
    """

    __tablename__ = "theme_months"
    __table_args__ = (
        UniqueConstraint("year", "month", "slug"),
        CheckConstraint("month >= 1 AND month <= 12", name="month"),
        CheckConstraint(_in("status", ThemeStatus), name="status"),
        CheckConstraint("status != 'scheduled' OR publish_on IS NOT NULL", name="scheduled_on"),
        Index("ix_theme_months_status_month", "status", "year", "month"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int]
    month: Mapped[int]
    slug: Mapped[str] = mapped_column(String(120))
    title: Mapped[str] = mapped_column(String(200))
    intro: Mapped[str] = mapped_column(Text, default="")
    intro_html: Mapped[str] = mapped_column(Text, default="")
    banner_id: Mapped[int | None] = mapped_column(ForeignKey("uploads.id", ondelete="SET NULL"))
    banner_alt: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[str] = mapped_column(String(16), default=ThemeStatus.DRAFT)
    publish_on: Mapped[date | None]
    published_at: Mapped[datetime | None]
    announced_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    banner: Mapped[Upload | None] = relationship()
    activity_links: Mapped[list[ThemeMonthActivity]] = relationship(
        back_populates="theme_month",
        cascade="all, delete-orphan",
        order_by="ThemeMonthActivity.position",
    )
    departments: Mapped[list[Department]] = relationship(
        secondary=theme_month_departments, order_by=Department.name
    )

    def __repr__(self) -> str:
        return f"<ThemeMonth {self.key} {self.status}>"

    @property
    def key(self) -> str:
        """`2026-10-informationssakerhet`: the package file name and the stable key."""
        return f"{self.year:04d}-{self.month:02d}-{self.slug}"

    @property
    def year_month(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def is_published(self) -> bool:
        return self.status == ThemeStatus.PUBLISHED


class ThemeMonthActivity(Base):
    """An activity curated into a theme month, in the coordinator's order."""

    __tablename__ = "theme_month_activities"

    theme_month_id: Mapped[int] = mapped_column(
        ForeignKey("theme_months.id", ondelete="CASCADE"), primary_key=True
    )
    activity_id: Mapped[int] = mapped_column(
        ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    position: Mapped[int] = mapped_column(default=0)

    theme_month: Mapped[ThemeMonth] = relationship(back_populates="activity_links")
    activity: Mapped[Activity] = relationship()

    def __repr__(self) -> str:
        return f"<ThemeMonthActivity {self.theme_month_id}#{self.position} {self.activity_id}>"


class SavedActivity(Base):
    """An activity a person saved for later ("Spara till senare")."""

    __tablename__ = "saved_activities"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    activity_id: Mapped[int] = mapped_column(
        ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    activity: Mapped[Activity] = relationship()

    def __repr__(self) -> str:
        return f"<SavedActivity {self.user_id}:{self.activity_id}>"


class SharedFeed(Base):
    """The secret token of a shared iCalendar feed: a theme month's or a department's sessions.

    Exactly one of `theme_month_id` and `department_id` is set. Anyone in the organisation
    may see the URL on the calendar page; the token keeps it from being guessed, and
    resetting it stops the old URL at once.
    """

    __tablename__ = "shared_feeds"
    __table_args__ = (
        CheckConstraint("(theme_month_id IS NULL) != (department_id IS NULL)", name="one_target"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    theme_month_id: Mapped[int | None] = mapped_column(
        ForeignKey("theme_months.id", ondelete="CASCADE"), unique=True
    )
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("departments.id", ondelete="CASCADE"), unique=True
    )
    token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<SharedFeed {self.theme_month_id or '-'}:{self.department_id or '-'}>"
