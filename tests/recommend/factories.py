"""Database builders for the recommendation tests (the cache, its freshness and the pages).

Each builds a realistic situation in a few words: a librarian with a submitted
self-assessment on given competences, an activity on a competence, a session with seats,
a booking, a completion, a theme month running now. Competence codes are those of
`tests.catalog.factories.framework()`; ratings are `(self level, motivation[, agreed])`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from itertools import count
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from lms.accounts.models import Department, JobRole, User
from lms.assessment.models import (
    Assessment,
    AssessmentRound,
    AssessmentStatus,
    DevelopmentPlan,
    GoalActivity,
    GoalStatus,
    PlanGoal,
)
from lms.catalog import themes
from lms.catalog.models import Activity, ActivitySession, ThemeMonth
from lms.catalog.schedule import sync_seats
from lms.core.access import Permission
from lms.core.time import local_date, utcnow
from lms.framework.models import RoleExpectation
from lms.progress.models import Booking, Completion
from lms.recommend.models import NotInterested
from tests import factories
from tests.assessment import factories as af
from tests.catalog import factories as cf

# What a librarian is expected to master (4.1 and 5.1 do not apply to the role).
LIBRARIAN_EXPECTED = {"1.1": 3, "1.2": 3, "2.1": 2, "4.2": 3}
_seq = count(1)


def librarian_role(session: Session, name: str = "Bibliotekarie") -> JobRole:
    """The job role with LIBRARIAN_EXPECTED (created once per test, then reused)."""
    role = factories.job_role(session, name)
    if session.scalar(select(exists().where(RoleExpectation.job_role_id == role.id))):
        return role
    return cf.role_with_expectations(session, name, LIBRARIAN_EXPECTED)


def person(
    session: Session,
    *,
    role: JobRole | None = None,
    dept: Department | None = None,
    name: str | None = None,
    **kw: Any,
) -> User:
    """An employee at Stadsbiblioteket, a librarian unless another role is given."""
    return factories.user(
        session,
        role=role or librarian_role(session),
        dept=dept or factories.department(session, "Stadsbiblioteket"),
        name=name or f"Elin Lindqvist {next(_seq)}",
        **kw,
    )


def closed_round(
    session: Session, name: str | None = None, *, closes_on: date | None = None
) -> AssessmentRound:
    """An assessment round that closed `closes_on` (a month ago by default)."""
    closes_on = closes_on or local_date(utcnow()) - timedelta(days=30)
    return af.assessment_round(
        session,
        name or f"Skattning {closes_on:%Y-%m} nr {next(_seq)}",
        opens_on=closes_on - timedelta(days=28),
        closes_on=closes_on,
    )


def assessment(
    session: Session,
    user: User,
    ratings: Mapping[str, af.RatingValues],
    *,
    round_: AssessmentRound | None = None,
    status: AssessmentStatus = AssessmentStatus.SUBMITTED,
    agreed_by: User | None = None,
) -> Assessment:
    """`user`'s assessment with these ratings, in a round of its own unless one is given."""
    return af.assessment(
        session, user, round_ or closed_round(session), ratings, status=status, agreed_by=agreed_by
    )


def assessed_person(session: Session, ratings: Mapping[str, af.RatingValues], **kw: Any) -> User:
    """A librarian (or `role=`) with a submitted self-assessment on these competences,
    e.g. `{"4.2": (2, 5)}`: self level 2, motivation 5 in 4.2 (a gap of 1 for a librarian)."""
    status = kw.pop("status", AssessmentStatus.SUBMITTED)
    made = person(session, **kw)
    assessment(session, made, ratings, status=status)
    return made


def plan_goal(
    session: Session,
    made: Assessment,
    code: str,
    *,
    activities: Sequence[Activity] = (),
    target_level: int = 3,
    status: GoalStatus = GoalStatus.PLANNED,
) -> PlanGoal:
    """A goal on competence `code` in the assessment's plan (the plan is made if missing)."""
    fw = cf.framework(session)
    plan = session.scalar(select(DevelopmentPlan).where(DevelopmentPlan.assessment_id == made.id))
    if plan is None:
        plan = DevelopmentPlan(assessment_id=made.id, user_id=made.user_id)
        session.add(plan)
        session.flush()
    goal = PlanGoal(
        plan_id=plan.id,
        competence_id=fw.competences[code].id,
        target_level=target_level,
        status=status,
        position=len(plan.goals),
    )
    goal.activities = [
        GoalActivity(activity_id=activity.id, position=n) for n, activity in enumerate(activities)
    ]
    session.add(goal)
    session.flush()
    session.expire(plan, ["goals"])
    return goal


def activity_on(session: Session, *codes: str, **kw: Any) -> Activity:
    """A published activity developing these competences (weight 1 each), saved for real."""
    competences = kw.pop("competences", None) or {code: 1.0 for code in codes}
    return cf.activity(session, competences=competences, **kw)


def scheduled(
    session: Session,
    *codes: str,
    starts_in: timedelta = timedelta(days=14),
    capacity: int = 20,
    cancelled: bool = False,
    now: datetime | None = None,
    **kw: Any,
) -> tuple[Activity, ActivitySession]:
    """A published workshop on these competences with one session (its seats made)."""
    kw.setdefault("format", "workshop")
    kw.setdefault("delivery", "physical")
    made = activity_on(session, *(codes or ("4.2",)), **kw)
    occurrence = add_session(
        session, made, starts_in=starts_in, capacity=capacity, cancelled=cancelled, now=now
    )
    return made, occurrence


def add_session(session: Session, made: Activity, **kw: Any) -> ActivitySession:
    occurrence = cf.session_of(session, made, **kw)
    sync_seats(session, occurrence)
    return occurrence


def book(
    session: Session, user: User, occurrence: ActivitySession, status: str = "booked"
) -> Booking:
    """A booking holding the next seat (or a waitlist place), written straight to the table."""
    seat = None
    if status == "booked":
        taken = session.scalar(
            select(func.count(Booking.id)).where(
                Booking.session_id == occurrence.id, Booking.status == "booked"
            )
        )
        seat = (taken or 0) + 1
    booking = Booking(session_id=occurrence.id, user_id=user.id, status=status, seat=seat)
    session.add(booking)
    session.flush()
    return booking


def fill(session: Session, occurrence: ActivitySession) -> list[User]:
    """Book every seat of the session with new colleagues."""
    people = [factories.user(session, password=None) for _ in range(occurrence.capacity)]
    for someone in people:
        book(session, someone, occurrence)
    return people


def complete(
    session: Session, user: User, made: Activity, *, when: datetime | None = None
) -> Completion:
    """A catalogue completion of `made` by `user` (`when`: now by default)."""
    completed_at = when or utcnow()
    completion = Completion(
        user_id=user.id,
        activity_id=made.id,
        occurrence_key=f"activity:{made.id}:{completed_at.isoformat()}",
        title=made.title,
        completed_at=completed_at,
        credited_minutes=made.minutes,
        source="catalogue",
        department_id=user.department_id,
        organisation_id=user.organisation_id,
    )
    session.add(completion)
    session.flush()
    return completion


def not_interested(session: Session, user: User, made: Activity) -> NotInterested:
    mark = NotInterested(user_id=user.id, activity_id=made.id)
    session.add(mark)
    session.flush()
    return mark


def coordinator(session: Session) -> User:
    return factories.user(session, name="Karin Holm", permissions=Permission.COORDINATOR)


def theme_now(
    session: Session,
    activities: Iterable[Activity],
    *,
    title: str = "Informationssäkerhet",
    departments: Sequence[Department] = (),
    actor: User | None = None,
    now: datetime | None = None,
) -> ThemeMonth:
    """A theme month of this Stockholm month with these activities, published now."""
    now = now or utcnow()
    today = local_date(now)
    actor = actor or coordinator(session)
    data = themes.ThemeMonthData(
        year=today.year, month=today.month, title=title, slug="",
        intro="Månadens tema: **informationssäkerhet** i vardagen.",
        departments=list(departments),
    )  # fmt: skip
    made = themes.create_theme_month(session, actor, data)
    for chosen in activities:
        themes.add_activity(session, actor, made, chosen.id)
    themes.publish_now(session, actor, made, now)
    return made
