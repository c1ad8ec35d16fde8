"""The per-user recommendation cache and its freshness.

Each person's top `engine.TOP` recommendations are stored as `Recommendation` rows
(position 1 = best, reasons as JSON) so that pages read them in one query. A
`RecommendationState` row says when they were computed and whether something that
concerns the person changed since (`stale_since`):

- `refresh_users` recomputes many people at once (the nightly job, the stale job, the CLI):
  the catalogue is loaded once, people in batches of BATCH;
- `ensure_fresh` recomputes one person on the spot when their cache is missing or stale
  (one query when it is fresh);
- `mark_stale` and `users_affected_by` are what the signal receivers use.

Every function writes through the caller's session and never commits.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, delete, exists, insert, or_, select, union
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from lms.accounts.models import User
from lms.assessment.gaps import need
from lms.assessment.models import DevelopmentPlan, GoalActivity, PlanGoal
from lms.catalog.models import (
    ActivityCompetence,
    ThemeMonth,
    ThemeMonthActivity,
    ThemeStatus,
    activity_departments,
    activity_job_roles,
    theme_month_departments,
)
from lms.core.time import local_date, utcnow
from lms.framework.models import RoleExpectation
from lms.recommend import engine
from lms.recommend.data import Profile
from lms.recommend.data import Recommendation as Ranked
from lms.recommend.loading import load_pool, load_profiles, load_shared
from lms.recommend.models import Recommendation, RecommendationState
from lms.recommend.profiles import OPEN_GOALS

BATCH = 500  # people per batch: their profiles, deletes and inserts
ID_CHUNK = 1000  # ids per IN list, far below every backend's bind-parameter limit

__all__ = ["ensure_fresh", "mark_stale", "refresh_users", "users_affected_by"]


def _chunks(ids: Sequence[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield list(ids[start : start + size])


def _active_ids(session: Session, user_ids: Collection[int] | None) -> list[int]:
    stmt = select(User.id).where(User.is_active.is_(True)).order_by(User.id)
    if user_ids is None:
        return list(session.scalars(stmt))
    found: list[int] = []
    for chunk in _chunks(sorted(set(user_ids)), ID_CHUNK):
        found += session.scalars(stmt.where(User.id.in_(chunk)))
    return found


def refresh_users(
    session: Session,
    user_ids: Collection[int] | None,
    *,
    now: datetime,
    after_batch: Callable[[], None] | None = None,
) -> int:
    """Recompute and store the cache of these active users (None: every active user).

    The catalogue and what depends on job roles and theme months are loaded once; people
    are loaded, ranked and stored BATCH at a time, and `after_batch` (the jobs and the
    command pass `session.commit`) runs after each, so a refresh of the whole organisation
    never holds the state rows (PostgreSQL) or the database (SQLite) locked for long.
    Returns how many were refreshed. Changes marked after `now` (the refresh's start) stay
    marked, so they are not lost.
    """
    ids = _active_ids(session, user_ids)
    if not ids:
        return 0
    pool = load_pool(session, now)
    shared = load_shared(session, now)
    for batch in _chunks(ids, BATCH):
        profiles = load_profiles(session, batch, now, shared=shared)
        _store(session, {user_id: _rank(profiles[user_id], pool) for user_id in batch}, now)
        if after_batch is not None:
            after_batch()
    return len(ids)


def _rank(profile: Profile, pool: engine.CandidatePool) -> list[Ranked]:
    return engine.rank(profile, pool, limit=engine.TOP)


def ensure_fresh(session: Session, user: User, *, now: datetime) -> bool:
    """Refresh `user`'s cache now if it was never computed or is stale; True when it did.

    One query when the cache is fresh. Otherwise a constant number: the person's profile,
    then a pool of only what can matter to them (the competences they need, or all their job
    role expects when nothing is assessed; their plan's competences and activities; the
    theme month's and their role's popular activities), so it ranks as a full refresh does.
    """
    state = session.execute(
        select(RecommendationState.refreshed_at, RecommendationState.stale_since).where(
            RecommendationState.user_id == user.id
        )
    ).first()
    if state is not None and state.refreshed_at is not None and state.stale_since is None:
        return False
    profile = load_profiles(session, [user.id], now).get(user.id)
    if profile is None:
        return False
    pool = load_pool(
        session, now, competence_ids=_competences(profile), activity_ids=_activities(profile)
    )
    _store(session, {user.id: _rank(profile, pool)}, now)
    return True


def _competences(profile: Profile) -> set[int]:
    """The competences the engine scores for the person: their needs (every expected one in
    the cold start, when nothing is assessed) and their plan goals' competences."""
    goals = {goal.competence_id for goal in profile.plan_goals}
    if not profile.assessed:
        return set(profile.expected) | goals
    needs = {c for c, level in profile.expected.items() if need(level, profile.assessed.get(c))}
    return needs | goals


def _activities(profile: Profile) -> set[int]:
    chosen = {activity_id for goal in profile.plan_goals for activity_id in goal.activity_ids}
    themed = set(profile.theme.activity_ids) if profile.theme is not None else set()
    return chosen | themed | set(profile.popular_in_role)


# --- storing ---------------------------------------------------------------------------------


def _upsert(session: Session) -> Any:
    """The backend's INSERT … ON CONFLICT for recommendation_states (SQLite or PostgreSQL)."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(RecommendationState)


def _store(session: Session, ranked: Mapping[int, list[Ranked]], now: datetime) -> None:
    """Replace these people's rows and mark them refreshed at `now`.

    The state rows are written first: on PostgreSQL that locks them, so two refreshes of
    one person (two pages at once) take turns instead of inserting the same rows twice.
    """
    ids = sorted(ranked)
    stmt = _upsert(session)
    state = RecommendationState.stale_since
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=[RecommendationState.user_id],
            set_={
                "refreshed_at": stmt.excluded.refreshed_at,
                # A change marked after this refresh began is not in what it read: keep it.
                "stale_since": case((state > now, state), else_=None),
            },
        ),
        [{"user_id": user_id, "refreshed_at": now, "stale_since": None} for user_id in ids],
    )
    session.execute(delete(Recommendation).where(Recommendation.user_id.in_(ids)))
    rows = [
        {
            "user_id": user_id,
            "activity_id": item.activity_id,
            "position": position,
            "score": item.score,
            "competence_id": item.competence_id,
            "reasons": [reason.to_json() for reason in item.reasons],
            "computed_at": now,
        }
        for user_id in ids
        for position, item in enumerate(ranked[user_id], start=1)
    ]
    if rows:
        session.execute(insert(Recommendation.__table__), rows)  # type: ignore[arg-type]


def mark_stale(session: Session, user_ids: Collection[int], *, now: datetime) -> None:
    """Mark these people's caches as stale since `now` (creating the state row if missing)."""
    ids = sorted(set(user_ids))
    if not ids:
        return
    stmt = _upsert(session)
    state = RecommendationState.stale_since
    marked = stmt.on_conflict_do_update(
        index_elements=[RecommendationState.user_id],
        # The latest mark wins: a refresh that began before it must not clear it.
        set_={
            "stale_since": case(
                (state > stmt.excluded.stale_since, state), else_=stmt.excluded.stale_since
            )
        },
    )
    for chunk in _chunks(ids, ID_CHUNK):
        session.execute(
            marked,
            [{"user_id": user_id, "refreshed_at": None, "stale_since": now} for user_id in chunk],
        )


# --- who a change concerns -------------------------------------------------------------------


def _in_audience() -> ColumnElement[bool]:
    """The user (of the query two levels up) is in the target departments and roles of the
    activity of the ActivityCompetence row (one level up)."""
    departments, roles = activity_departments.c, activity_job_roles.c
    activity_id = ActivityCompetence.activity_id
    aimed = exists().where(departments.activity_id == activity_id)
    mine = exists().where(
        departments.activity_id == activity_id, departments.department_id == User.department_id
    )
    for_roles = exists().where(roles.activity_id == activity_id)
    my_role = exists().where(
        roles.activity_id == activity_id, roles.job_role_id == User.job_role_id
    )
    # User is two levels up: say so, or the subqueries would read users of their own.
    mine = mine.correlate(User, ActivityCompetence)
    my_role = my_role.correlate(User, ActivityCompetence)
    return and_(or_(~aimed, mine), or_(~for_roles, my_role))


def _affected(ids: list[int], now: datetime) -> Any:
    """One UNION of everyone a change of these activities can concern (see users_affected_by).

    Each part is a semi-join (EXISTS) per person, so a person matching many of the
    activities' competences is still one row: no large intermediate result to deduplicate.
    """
    active = User.is_active.is_(True)
    cached = (
        select(Recommendation.user_id)
        .join(User, User.id == Recommendation.user_id)
        .where(Recommendation.activity_id.in_(ids), active)
    )
    developing = ActivityCompetence.activity_id.in_(ids)
    expects = (
        select(ActivityCompetence.activity_id)
        .join(RoleExpectation, RoleExpectation.competence_id == ActivityCompetence.competence_id)
        .where(
            developing,
            RoleExpectation.job_role_id == User.job_role_id,
            _in_audience(),
        )
        .correlate(User)
        .exists()
    )
    wants = (
        select(PlanGoal.id)
        .join(DevelopmentPlan, DevelopmentPlan.id == PlanGoal.plan_id)
        .join(ActivityCompetence, ActivityCompetence.competence_id == PlanGoal.competence_id)
        .where(
            developing,
            DevelopmentPlan.user_id == User.id,
            PlanGoal.status.in_(OPEN_GOALS),
            _in_audience(),
        )
        .correlate(User)
        .exists()
    )
    chosen = (
        select(DevelopmentPlan.user_id)
        .join(PlanGoal, PlanGoal.plan_id == DevelopmentPlan.id)
        .join(GoalActivity, GoalActivity.goal_id == PlanGoal.id)
        .join(User, User.id == DevelopmentPlan.user_id)
        .where(GoalActivity.activity_id.in_(ids), active)
    )
    by_role = select(User.id).where(active, expects)
    by_goal = select(User.id).where(active, wants)
    return union(cached, by_role, by_goal, chosen, _theme_audience(ids, now))


def _theme_audience(ids: list[int], now: datetime) -> Any:
    """Active people for whom a theme month running now, with one of the activities, is."""
    today = local_date(now)
    targets = theme_month_departments.c
    aimed = exists().where(targets.theme_month_id == ThemeMonth.id)
    mine = (
        exists()
        .where(targets.theme_month_id == ThemeMonth.id, targets.department_id == User.department_id)
        .correlate(ThemeMonth, User)  # User is two levels up: say so, or it is not correlated
    )
    themed = exists().where(
        ThemeMonthActivity.theme_month_id == ThemeMonth.id,
        ThemeMonthActivity.activity_id.in_(ids),
    )
    current = (
        select(ThemeMonth.id)
        .where(
            ThemeMonth.status == ThemeStatus.PUBLISHED,
            ThemeMonth.year == today.year,
            ThemeMonth.month == today.month,
            themed,
            or_(~aimed, mine),
        )
        .exists()
    )
    return select(User.id).where(User.is_active.is_(True), current)


def users_affected_by(
    session: Session, activity_ids: Collection[int], *, now: datetime | None = None
) -> set[int]:
    """The active people whose recommendations a change of these activities can change.

    Those holding a cached row for one of them; those in an activity's audience (its target
    departments and job roles; none = everyone) whose job role expects one of its
    competences, or whose open plan goals are on one of them or chose it; and, when one is in
    a theme month running now, that theme month's audience. One query per ID_CHUNK ids.
    """
    found: set[int] = set()
    for chunk in _chunks(sorted(set(activity_ids)), ID_CHUNK):
        found.update(session.scalars(_affected(chunk, now or utcnow())))
    return found
