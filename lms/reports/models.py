"""Programmes (funded projects with targets) and the summaries that keep their ESF reports fast.

A programme covers a period and a set of organisations and departments: a completion counts
for it when its Stockholm date lies in the period and the organisation or department the
person belonged to at completion takes part (a whole organisation, or single departments).

The three `programme_*` summary tables hold each programme's counted completions (DESIGN §4:
credited minutes > 0, every source) pre-aggregated, kept in step with every completion
written or removed and rebuilt whole when the programme's period or coverage changes. Their
keys use 0 for "no organisation / department / activity" (no foreign keys: they are derived
data, rebuilt nightly, and must never block a delete).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.accounts.models import Department, Organisation
from lms.core.db import Base
from lms.core.time import utcnow


class Programme(Base):
    """A funded project ("Digitalt kompetenslyft") with its period and targets."""

    __tablename__ = "programmes"
    __table_args__ = (
        CheckConstraint("ends_on >= starts_on", name="period"),
        CheckConstraint(
            "target_participants IS NULL OR target_participants > 0", name="target_participants"
        ),
        CheckConstraint("target_hours IS NULL OR target_hours > 0", name="target_hours"),
        CheckConstraint(
            "target_hours_per_participant IS NULL OR target_hours_per_participant > 0",
            name="target_hours_per_participant",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    target_participants: Mapped[int | None]
    target_hours: Mapped[int | None]
    target_hours_per_participant: Mapped[float | None]
    # When the summary tables were last rebuilt whole (None: never, the report reads raw rows).
    summary_built_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    organisations: Mapped[list[Organisation]] = relationship(
        secondary="programme_organisations", order_by="Organisation.name"
    )
    departments: Mapped[list[Department]] = relationship(
        secondary="programme_departments", order_by="Department.name"
    )

    def __repr__(self) -> str:
        return f"<Programme {self.slug}>"


class ProgrammeOrganisation(Base):
    """An organisation taking part with all its departments."""

    __tablename__ = "programme_organisations"

    programme_id: Mapped[int] = mapped_column(
        ForeignKey("programmes.id", ondelete="CASCADE"), primary_key=True
    )
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class ProgrammeDepartment(Base):
    """A single department taking part (its organisation need not take part whole)."""

    __tablename__ = "programme_departments"

    programme_id: Mapped[int] = mapped_column(
        ForeignKey("programmes.id", ondelete="CASCADE"), primary_key=True
    )
    department_id: Mapped[int] = mapped_column(
        ForeignKey("departments.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class ProgrammeParticipant(Base):
    """One person's counted completions in a programme, per organisation and department
    they belonged to at completion (a person who moved has one row per department)."""

    __tablename__ = "programme_participants"
    __table_args__ = (CheckConstraint("minutes > 0 AND completions > 0", name="counted"),)

    programme_id: Mapped[int] = mapped_column(
        ForeignKey("programmes.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    organisation_key: Mapped[int] = mapped_column(primary_key=True)
    department_key: Mapped[int] = mapped_column(primary_key=True)
    minutes: Mapped[int]
    completions: Mapped[int]
    # The Stockholm date of the first counted completion in this row (new participants/month).
    first_on: Mapped[date]


class ProgrammeMonthHours(Base):
    """Counted minutes per month, organisation, department and source."""

    __tablename__ = "programme_month_hours"
    __table_args__ = (CheckConstraint("minutes > 0 AND completions > 0", name="counted"),)

    programme_id: Mapped[int] = mapped_column(
        ForeignKey("programmes.id", ondelete="CASCADE"), primary_key=True
    )
    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # "2023-09"
    organisation_key: Mapped[int] = mapped_column(primary_key=True)
    department_key: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(16), primary_key=True)
    minutes: Mapped[int]
    completions: Mapped[int]


class ProgrammeActivityHours(Base):
    """Counted minutes, completions and people per activity, organisation and department
    (activity_key 0: learning outside the catalogue — imports without an activity, external)."""

    __tablename__ = "programme_activity_hours"
    __table_args__ = (
        CheckConstraint("minutes > 0 AND completions > 0 AND participants > 0", name="counted"),
    )

    programme_id: Mapped[int] = mapped_column(
        ForeignKey("programmes.id", ondelete="CASCADE"), primary_key=True
    )
    organisation_key: Mapped[int] = mapped_column(primary_key=True)
    department_key: Mapped[int] = mapped_column(primary_key=True)
    activity_key: Mapped[int] = mapped_column(primary_key=True)
    minutes: Mapped[int]
    completions: Mapped[int]
    participants: Mapped[int]
