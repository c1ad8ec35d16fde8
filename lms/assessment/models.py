"""Assessment rounds, self-assessments with ratings, the manager conversation, development plans
(goals with chosen activities) and learning requests."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
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

from lms.accounts.models import Department, JobRole, Organisation, User
from lms.catalog.models import Activity
from lms.core.db import Base
from lms.core.time import utcnow
from lms.framework.models import Competence

LEVELS = range(1, 6)


class AssessmentStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    REVIEWED = "reviewed"
    FOLLOWED_UP = "followed_up"


# Assessments whose ratings count in analytics and that a manager may review.
COUNTED_STATUSES = (
    AssessmentStatus.SUBMITTED,
    AssessmentStatus.REVIEWED,
    AssessmentStatus.FOLLOWED_UP,
)


class GoalStatus(enum.StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    DROPPED = "dropped"


class RequestStatus(enum.StrEnum):
    OPEN = "open"
    ANSWERED = "answered"


round_organisations = Table(
    "assessment_round_organisations",
    Base.metadata,
    Column("round_id", ForeignKey("assessment_rounds.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "organisation_id",
        ForeignKey("organisations.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)

round_departments = Table(
    "assessment_round_departments",
    Base.metadata,
    Column("round_id", ForeignKey("assessment_rounds.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "department_id",
        ForeignKey("departments.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)


class AssessmentRound(Base):
    """A period in which the targeted staff self-assess and hold their conversations.

    Open from `opens_on` to `closes_on` inclusive (Europe/Stockholm dates). Targets: everyone
    in `organisations` plus everyone in `departments`. `announced_at` is set once the opening
    has been told, so the job never tells anyone twice.
    """

    __tablename__ = "assessment_rounds"
    __table_args__ = (CheckConstraint("closes_on >= opens_on", name="period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    opens_on: Mapped[date]
    closes_on: Mapped[date]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    announced_at: Mapped[datetime | None]

    organisations: Mapped[list[Organisation]] = relationship(
        secondary=round_organisations, order_by=Organisation.name
    )
    departments: Mapped[list[Department]] = relationship(
        secondary=round_departments, order_by=Department.name
    )

    def __repr__(self) -> str:
        return f"<AssessmentRound {self.id} {self.name!r}>"


class Assessment(Base):
    """One person's assessment in one round: draft → submitted → reviewed → followed up.

    `job_role_id` and `department_id` are the person's at the last write before review, so a
    round's analytics keep the role and department the person had when assessed.
    """

    __tablename__ = "assessments"
    __table_args__ = (
        UniqueConstraint("round_id", "user_id"),
        CheckConstraint(
            "status IN ('draft', 'submitted', 'reviewed', 'followed_up')", name="status"
        ),
        Index("ix_assessments_round_status", "round_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("assessment_rounds.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=AssessmentStatus.DRAFT)
    job_role_id: Mapped[int | None] = mapped_column(ForeignKey("job_roles.id", ondelete="SET NULL"))
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("departments.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None]
    # The conversation (step 2): notes visible to both, held when the manager marks it.
    conversation_notes: Mapped[str] = mapped_column(Text, default="")
    reviewed_at: Mapped[datetime | None]
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The follow-up talk (step 4): planned date, then recorded when held.
    follow_up_on: Mapped[date | None]
    followed_up_at: Mapped[datetime | None]
    followed_up_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    follow_up_notes: Mapped[str] = mapped_column(Text, default="")

    round: Mapped[AssessmentRound] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    job_role: Mapped[JobRole | None] = relationship()
    department: Mapped[Department | None] = relationship()
    ratings: Mapped[list[Rating]] = relationship(
        back_populates="assessment", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Assessment {self.id} round={self.round_id} user={self.user_id} {self.status}>"

    @property
    def is_draft(self) -> bool:
        return self.status == AssessmentStatus.DRAFT


class Rating(Base):
    """Self level, motivation and comment for one competence, and the level agreed in the talk.

    Both levels are kept: `self_level` is the employee's, `agreed_level` (with who and when)
    the one agreed with the manager. In a draft any value may still be empty.
    """

    __tablename__ = "ratings"
    __table_args__ = (
        UniqueConstraint("assessment_id", "competence_id"),
        CheckConstraint("self_level BETWEEN 1 AND 5", name="self_level"),
        CheckConstraint("agreed_level BETWEEN 1 AND 5", name="agreed_level"),
        CheckConstraint("motivation BETWEEN 1 AND 5", name="motivation"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id", ondelete="CASCADE"))
    competence_id: Mapped[int] = mapped_column(
        ForeignKey("competences.id", ondelete="RESTRICT"), index=True
    )
    self_level: Mapped[int | None]
    motivation: Mapped[int | None]
    comment: Mapped[str] = mapped_column(Text, default="")
    agreed_level: Mapped[int | None]
    agreed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    agreed_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    assessment: Mapped[Assessment] = relationship(back_populates="ratings")
    competence: Mapped[Competence] = relationship()

    def __repr__(self) -> str:
        return (
            f"<Rating {self.id} competence={self.competence_id} "
            f"self={self.self_level} agreed={self.agreed_level}>"
        )

    @property
    def assessed_level(self) -> int | None:
        """DESIGN §4: the agreed level when the manager has set one, else the self level."""
        return self.agreed_level if self.agreed_level is not None else self.self_level


class DevelopmentPlan(Base):
    """The plan made in the conversation: goals for the needs, one per assessment."""

    __tablename__ = "development_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(
        ForeignKey("assessments.id", ondelete="CASCADE"), unique=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    assessment: Mapped[Assessment] = relationship()
    goals: Mapped[list[PlanGoal]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="PlanGoal.position"
    )

    def __repr__(self) -> str:
        return f"<DevelopmentPlan {self.id} assessment={self.assessment_id}>"


class PlanGoal(Base):
    """A goal: reach `target_level` in a competence by `due_on` through the chosen activities."""

    __tablename__ = "plan_goals"
    __table_args__ = (
        UniqueConstraint("plan_id", "competence_id"),
        CheckConstraint("target_level BETWEEN 1 AND 5", name="target_level"),
        CheckConstraint("status IN ('planned', 'in_progress', 'done', 'dropped')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("development_plans.id", ondelete="CASCADE"))
    competence_id: Mapped[int] = mapped_column(
        ForeignKey("competences.id", ondelete="RESTRICT"), index=True
    )
    target_level: Mapped[int]
    due_on: Mapped[date | None]
    status: Mapped[str] = mapped_column(String(16), default=GoalStatus.PLANNED)
    note: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    plan: Mapped[DevelopmentPlan] = relationship(back_populates="goals")
    competence: Mapped[Competence] = relationship()
    activities: Mapped[list[GoalActivity]] = relationship(
        back_populates="goal", cascade="all, delete-orphan", order_by="GoalActivity.position"
    )

    def __repr__(self) -> str:
        return f"<PlanGoal {self.id} competence={self.competence_id} {self.status}>"


class GoalActivity(Base):
    """An activity chosen for a goal; `completed_at` is set when the person completes it."""

    __tablename__ = "goal_activities"

    goal_id: Mapped[int] = mapped_column(
        ForeignKey("plan_goals.id", ondelete="CASCADE"), primary_key=True
    )
    activity_id: Mapped[int] = mapped_column(
        ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    completed_at: Mapped[datetime | None]

    goal: Mapped[PlanGoal] = relationship(back_populates="activities")
    activity: Mapped[Activity] = relationship()

    def __repr__(self) -> str:
        return f"<GoalActivity goal={self.goal_id} activity={self.activity_id}>"


class LearningRequest(Base):
    """ "Önska en läraktivitet": a wish for learning the catalogue lacks, answered with an activity.

    `department_id` is the requester's when asking, so coordinators' aggregates stay put.
    """

    __tablename__ = "learning_requests"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'answered')", name="status"),
        Index("ix_learning_requests_status_competence", "status", "competence_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    competence_id: Mapped[int] = mapped_column(ForeignKey("competences.id", ondelete="RESTRICT"))
    goal_id: Mapped[int | None] = mapped_column(
        ForeignKey("plan_goals.id", ondelete="SET NULL"), index=True
    )
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("departments.id", ondelete="SET NULL")
    )
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=RequestStatus.OPEN)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    answer_activity_id: Mapped[int | None] = mapped_column(
        ForeignKey("activities.id", ondelete="SET NULL")
    )
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    answered_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    competence: Mapped[Competence] = relationship()
    department: Mapped[Department | None] = relationship()
    answer_activity: Mapped[Activity | None] = relationship()

    def __repr__(self) -> str:
        return f"<LearningRequest {self.id} competence={self.competence_id} {self.status}>"
