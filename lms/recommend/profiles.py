"""Loading people's profiles (`lms.recommend.data.Profile`) in batches, a constant number of
queries per batch; `loading.load_profiles` is the entry point.

What depends only on the job role or the department (expected levels, what the role has
completed most, the theme months running now) is a `SharedContext`, loaded once and shared
by every batch of a refresh.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lms.accounts.models import JobRole, User
from lms.assessment.models import (
    COUNTED_STATUSES,
    Assessment,
    AssessmentRound,
    DevelopmentPlan,
    GoalActivity,
    GoalStatus,
    PlanGoal,
    Rating,
)
from lms.catalog.models import (
    Activity,
    ActivitySession,
    Status,
    ThemeMonth,
    ThemeMonthActivity,
    ThemeStatus,
    theme_month_departments,
)
from lms.core.time import local_date
from lms.framework.models import RoleExpectation
from lms.progress.models import Booking, Completion, Enrolment
from lms.recommend.data import PlanGoal as GoalData
from lms.recommend.data import Profile, ThemeInfo
from lms.recommend.models import NotInterested

POPULAR_DAYS = 365  # completions this recent count towards what a job role takes most
POPULAR_PER_ROLE = 50
OPEN_GOALS = (GoalStatus.PLANNED, GoalStatus.IN_PROGRESS)
BUSY_ENROLMENTS = ("enrolled", "in_progress")


@dataclass(frozen=True)
class CurrentTheme:
    """A published theme month of this Stockholm month, with its audience."""

    title: str
    departments: frozenset[int]  # empty: everyone
    activity_ids: frozenset[int]

    def is_for(self, department_id: int | None) -> bool:
        return not self.departments or department_id in self.departments


@dataclass(frozen=True)
class SharedContext:
    """What a profile takes from its job role and department rather than from the person."""

    role_names: dict[int, str] = field(default_factory=dict)
    expected: dict[int, dict[int, int]] = field(default_factory=dict)  # role → competence → level
    popular: dict[int, dict[int, int]] = field(default_factory=dict)  # role → activity → people
    themes: tuple[CurrentTheme, ...] = ()  # the month's published themes, oldest first

    def theme_for(self, department_id: int | None) -> ThemeInfo | None:
        for theme in self.themes:
            if theme.is_for(department_id):
                return ThemeInfo(theme.title, theme.activity_ids)
        return None


def _current_themes(session: Session, today: date) -> tuple[CurrentTheme, ...]:
    """The published theme months of `today`'s month with audiences and activities (3 queries),
    in the order the start page shows them (lowest id first)."""
    themes = list(
        session.execute(
            select(ThemeMonth.id, ThemeMonth.title)
            .where(
                ThemeMonth.status == ThemeStatus.PUBLISHED,
                ThemeMonth.year == today.year,
                ThemeMonth.month == today.month,
            )
            .order_by(ThemeMonth.id)
        )
    )
    if not themes:
        return ()
    ids = [theme_id for theme_id, _title in themes]
    targets = theme_month_departments.c
    departments = _grouped(
        session.execute(
            select(targets.theme_month_id, targets.department_id).where(
                targets.theme_month_id.in_(ids)
            )
        )
    )
    activities = _grouped(
        session.execute(
            select(ThemeMonthActivity.theme_month_id, ThemeMonthActivity.activity_id).where(
                ThemeMonthActivity.theme_month_id.in_(ids)
            )
        )
    )
    return tuple(
        CurrentTheme(title, frozenset(departments.get(id_, ())), frozenset(activities.get(id_, ())))
        for id_, title in themes
    )


def _grouped(rows: Iterable[tuple[int, int]]) -> dict[int, set[int]]:
    found: dict[int, set[int]] = {}
    for key, value in rows:
        found.setdefault(key, set()).add(value)
    return found


def _popular(session: Session, role_ids: list[int], now: datetime) -> dict[int, dict[int, int]]:
    """Role → activity → how many active people in the role completed it in the last year;
    the top POPULAR_PER_ROLE published activities of each role, in one grouped query."""
    people = func.count(func.distinct(Completion.user_id))
    rank = (
        func.row_number()
        .over(partition_by=User.job_role_id, order_by=(people.desc(), Completion.activity_id))
        .label("rank")
    )
    grouped = (
        select(User.job_role_id.label("role"), Completion.activity_id, people.label("people"), rank)
        .join(User, User.id == Completion.user_id)
        .join(Activity, Activity.id == Completion.activity_id)
        .where(
            User.job_role_id.in_(role_ids),
            User.is_active.is_(True),
            Activity.status == Status.PUBLISHED,
            Completion.completed_at >= now - timedelta(days=POPULAR_DAYS),
        )
        .group_by(User.job_role_id, Completion.activity_id)
        .subquery()
    )
    rows = session.execute(
        select(grouped.c.role, grouped.c.activity_id, grouped.c.people).where(
            grouped.c.rank <= POPULAR_PER_ROLE
        )
    )
    found: dict[int, dict[int, int]] = {}
    for role_id, activity_id, count in rows:
        found.setdefault(role_id, {})[activity_id] = int(count)
    return found


def load_shared(
    session: Session, now: datetime, role_ids: Collection[int] | None = None
) -> SharedContext:
    """The shared part of profiles for these job roles (every role when None): 6 queries."""
    roles = select(JobRole.id, JobRole.name)
    if role_ids is not None:
        roles = roles.where(JobRole.id.in_(list(role_ids)))
    names = {id_: name for id_, name in session.execute(roles)}
    expected: dict[int, dict[int, int]] = {}
    for role_id, competence_id, level in session.execute(
        select(
            RoleExpectation.job_role_id, RoleExpectation.competence_id, RoleExpectation.level
        ).where(RoleExpectation.job_role_id.in_(list(names)))
    ):
        expected.setdefault(role_id, {})[competence_id] = level
    return SharedContext(
        role_names=names,
        expected=expected,
        popular=_popular(session, list(names), now),
        themes=_current_themes(session, local_date(now)),
    )


# --- the person's own data -------------------------------------------------------------------


@dataclass
class _Assessed:
    assessed: dict[int, int] = field(default_factory=dict)
    agreed: set[int] = field(default_factory=set)
    motivation: dict[int, int] = field(default_factory=dict)
    goals: list[GoalData] = field(default_factory=list)


def _latest_assessments(session: Session, user_ids: list[int]) -> dict[int, int]:
    """User id → id of their latest counted assessment: the round that closed last, then
    the latest submitted (a draft never counts)."""
    rows = session.execute(
        select(
            Assessment.user_id, Assessment.id, AssessmentRound.closes_on, Assessment.submitted_at
        )
        .join(AssessmentRound, AssessmentRound.id == Assessment.round_id)
        .where(Assessment.user_id.in_(user_ids), Assessment.status.in_(COUNTED_STATUSES))
    )
    best: dict[int, tuple[date, datetime | None, int]] = {}
    for user_id, assessment_id, closes_on, submitted_at in rows:
        key = (closes_on, submitted_at, assessment_id)
        current = best.get(user_id)
        if current is None or _later(key, current):
            best[user_id] = key
    return {user_id: key[2] for user_id, key in best.items()}


def _later(a: tuple[date, datetime | None, int], b: tuple[date, datetime | None, int]) -> bool:
    if a[0] != b[0]:
        return a[0] > b[0]
    if a[1] != b[1]:
        return b[1] is None or (a[1] is not None and a[1] > b[1])
    return a[2] > b[2]


def _assessed(session: Session, latest: dict[int, int]) -> dict[int, _Assessed]:
    """Assessment id → levels, agreed set, motivation and open plan goals (2 queries)."""
    found = {assessment_id: _Assessed() for assessment_id in latest.values()}
    if not found:
        return found
    for assessment_id, competence_id, self_level, agreed, motivation in session.execute(
        select(
            Rating.assessment_id,
            Rating.competence_id,
            Rating.self_level,
            Rating.agreed_level,
            Rating.motivation,
        ).where(Rating.assessment_id.in_(list(found)))
    ):
        entry = found[assessment_id]
        level = agreed if agreed is not None else self_level
        if level is not None:
            entry.assessed[competence_id] = level
        if agreed is not None:
            entry.agreed.add(competence_id)
        if motivation is not None:
            entry.motivation[competence_id] = motivation
    _add_goals(session, found)
    return found


def _add_goals(session: Session, found: dict[int, _Assessed]) -> None:
    rows = session.execute(
        select(
            DevelopmentPlan.assessment_id,
            PlanGoal.id,
            PlanGoal.competence_id,
            PlanGoal.target_level,
            GoalActivity.activity_id,
        )
        .join(DevelopmentPlan, DevelopmentPlan.id == PlanGoal.plan_id)
        .outerjoin(GoalActivity, GoalActivity.goal_id == PlanGoal.id)
        .where(DevelopmentPlan.assessment_id.in_(list(found)), PlanGoal.status.in_(OPEN_GOALS))
        .order_by(PlanGoal.position, PlanGoal.id, GoalActivity.position)
    )
    goals: dict[int, tuple[int, int, int, int, set[int]]] = {}
    for assessment_id, goal_id, competence_id, target, activity_id in rows:
        goal = goals.setdefault(goal_id, (assessment_id, goal_id, competence_id, target, set()))
        if activity_id is not None:
            goal[4].add(activity_id)
    for assessment_id, goal_id, competence_id, target, chosen in goals.values():
        found[assessment_id].goals.append(
            GoalData(goal_id, competence_id, target, frozenset(chosen))
        )


@dataclass
class _Sets:
    completed: dict[int, set[int]]
    booked: dict[int, set[int]]
    not_interested: dict[int, set[int]]


def _activity_sets(session: Session, user_ids: list[int], now: datetime) -> _Sets:
    """Per user: completed, booked (or started) and not-interested activity ids (4 queries)."""
    completed = _grouped(
        session.execute(
            select(Completion.user_id, Completion.activity_id).where(
                Completion.user_id.in_(user_ids), Completion.activity_id.is_not(None)
            )
        )
    )
    booked = _grouped(
        session.execute(
            select(Booking.user_id, ActivitySession.activity_id)
            .join(ActivitySession, ActivitySession.id == Booking.session_id)
            .where(
                Booking.user_id.in_(user_ids),
                Booking.status.in_(("booked", "waitlisted")),
                ActivitySession.starts_at > now,
                ActivitySession.is_cancelled.is_(False),
            )
        )
    )
    for user_id, activity_id in session.execute(
        select(Enrolment.user_id, Enrolment.activity_id).where(
            Enrolment.user_id.in_(user_ids), Enrolment.status.in_(BUSY_ENROLMENTS)
        )
    ):
        booked.setdefault(user_id, set()).add(activity_id)
    declined = _grouped(
        session.execute(
            select(NotInterested.user_id, NotInterested.activity_id).where(
                NotInterested.user_id.in_(user_ids)
            )
        )
    )
    return _Sets(completed, booked, declined)


def profiles_of(
    session: Session,
    user_ids: Collection[int],
    now: datetime,
    *,
    shared: SharedContext | None = None,
) -> dict[int, Profile]:
    """See `lms.recommend.loading.load_profiles`."""
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    users = list(
        session.execute(
            select(User.id, User.job_role_id, User.department_id).where(User.id.in_(ids))
        )
    )
    if shared is None:
        shared = load_shared(session, now, {r for _u, r, _d in users if r is not None})
    latest = _latest_assessments(session, ids)
    assessed = _assessed(session, latest)
    sets = _activity_sets(session, ids, now)
    nothing = _Assessed()
    profiles: dict[int, Profile] = {}
    for user_id, role_id, department_id in users:
        own = assessed[latest[user_id]] if user_id in latest else nothing
        role = role_id if role_id is not None else 0  # no job role: no expectations
        profiles[user_id] = Profile(
            user_id=user_id,
            job_role_id=role_id,
            job_role_name=shared.role_names.get(role),
            department_id=department_id,
            # Shared, not copied, between the people of a role: profiles are read-only.
            expected=shared.expected.get(role, {}),
            assessed=own.assessed,
            agreed=frozenset(own.agreed),
            motivation=own.motivation,
            plan_goals=tuple(own.goals),
            completed=frozenset(sets.completed.get(user_id, ())),
            booked=frozenset(sets.booked.get(user_id, ())),
            not_interested=frozenset(sets.not_interested.get(user_id, ())),
            theme=shared.theme_for(department_id),
            popular_in_role=shared.popular.get(role, {}),
        )
    return profiles
