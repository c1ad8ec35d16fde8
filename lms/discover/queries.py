"""Reads for the theme month page and the theme archive, in a constant number of queries
whatever the number of activities."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, case, exists, false, func, select
from sqlalchemy.orm import Session, selectinload

from lms.accounts.models import User
from lms.catalog import theme_queries
from lms.catalog.models import (
    Activity,
    ActivityCompetence,
    ActivitySession,
    Status,
    ThemeMonth,
    ThemeMonthActivity,
)
from lms.discover.rules import parse_year_month
from lms.progress.booking_queries import count_booked
from lms.progress.models import Completion

SESSIONS_PER_ACTIVITY = 3


# --- theme months ----------------------------------------------------------------------------


def get_published_theme_month(session: Session, year_month: str, slug: str) -> ThemeMonth | None:
    """A published theme month by its URL parts; None for a bad month, a draft or a scheduled one
    (learners must not see a theme before it is published, nor learn that it exists)."""
    parsed = parse_year_month(year_month)
    if parsed is None:
        return None
    theme = theme_queries.get_theme_month(session, parsed[0], parsed[1], slug)
    return theme if theme is not None and theme.is_published else None


@dataclass(frozen=True)
class SessionSeats:
    """A coming session and how many seats are still free (capacity − booked)."""

    session: ActivitySession
    free_seats: int


@dataclass(frozen=True)
class ThemeItem:
    """A curated activity with its next sessions and whether the viewer has done it."""

    activity: Activity
    sessions: list[SessionSeats]
    is_done: bool

    @property
    def next_session_at(self) -> datetime | None:
        return self.sessions[0].session.starts_at if self.sessions else None


def _with_card_details(session: Session, activities: Sequence[Activity]) -> None:
    """Load the competences the activity cards show for all `activities` in one query."""
    if activities:
        session.scalars(
            select(Activity)
            .where(Activity.id.in_([a.id for a in activities]))
            .options(
                selectinload(Activity.competence_links).joinedload(ActivityCompetence.competence)
            )
        ).all()


def list_next_sessions(
    session: Session, activity_ids: Sequence[int], now: datetime, per_activity: int
) -> dict[int, list[SessionSeats]]:
    """Up to `per_activity` coming, not cancelled sessions per activity with their free seats
    (two queries: the sessions ranked per activity in SQL, then the booked seats)."""
    if not activity_ids:
        return {}
    rank = (
        func.row_number()
        .over(partition_by=ActivitySession.activity_id, order_by=ActivitySession.starts_at)
        .label("rank")
    )
    ranked = (
        select(ActivitySession.id, rank)
        .where(
            ActivitySession.activity_id.in_(activity_ids),
            ActivitySession.starts_at > now,
            ActivitySession.is_cancelled.is_(False),
        )
        .subquery()
    )
    found = list(
        session.scalars(
            select(ActivitySession)
            .join(ranked, ranked.c.id == ActivitySession.id)
            .where(ranked.c.rank <= per_activity)
            .order_by(ActivitySession.starts_at, ActivitySession.id)
        )
    )
    booked = count_booked(session, [s.id for s in found])
    result: dict[int, list[SessionSeats]] = {}
    for occurrence in found:
        free = max(occurrence.capacity - booked.get(occurrence.id, 0), 0)
        result.setdefault(occurrence.activity_id, []).append(SessionSeats(occurrence, free))
    return result


def _completed_ids(session: Session, user: User, activity_ids: Sequence[int]) -> set[int]:
    if not activity_ids:
        return set()
    stmt = select(Completion.activity_id).where(
        Completion.user_id == user.id, Completion.activity_id.in_(activity_ids)
    )
    return {activity_id for activity_id in session.scalars(stmt) if activity_id is not None}


def list_theme_items(
    session: Session, theme: ThemeMonth, user: User, now: datetime
) -> list[ThemeItem]:
    """The theme's published activities in the coordinator's order, each with its next
    sessions and whether `user` has completed it."""
    activities = theme_queries.list_theme_activities(session, theme)
    _with_card_details(session, activities)
    ids = [a.id for a in activities]
    sessions = list_next_sessions(session, ids, now, SESSIONS_PER_ACTIVITY)
    done = _completed_ids(session, user, ids)
    return [ThemeItem(a, sessions.get(a.id, []), a.id in done) for a in activities]


@dataclass(frozen=True)
class ReachCounts:
    """Active people in the viewer's department and organisation, and how many of them have
    completed at least one of the theme's activities (at any time)."""

    department_done: int
    department_total: int
    organisation_done: int
    organisation_total: int


def count_theme_reach(session: Session, theme: ThemeMonth, user: User) -> ReachCounts:
    """The reach of a theme month in `user`'s department and organisation, in one query."""
    has_done = exists(
        select(Completion.id)
        .join(ThemeMonthActivity, ThemeMonthActivity.activity_id == Completion.activity_id)
        .where(Completion.user_id == User.id, ThemeMonthActivity.theme_month_id == theme.id)
    )
    in_department: ColumnElement[bool] = (
        User.department_id == user.department_id if user.department_id is not None else false()
    )
    row = session.execute(
        select(
            func.count(case((and_(in_department, has_done), 1))),
            func.count(case((in_department, 1))),
            func.count(case((has_done, 1))),
            func.count(),
        ).where(User.is_active.is_(True), User.organisation_id == user.organisation_id)
    ).one()
    return ReachCounts(*(int(n or 0) for n in row))


@dataclass(frozen=True)
class ThemeSummary:
    """A theme month in a list, with how many published activities it gathers."""

    theme: ThemeMonth
    activity_count: int


def _count_theme_activities(session: Session, theme_ids: Sequence[int]) -> dict[int, int]:
    if not theme_ids:
        return {}
    stmt = (
        select(ThemeMonthActivity.theme_month_id, func.count())
        .join(Activity, Activity.id == ThemeMonthActivity.activity_id)
        .where(
            ThemeMonthActivity.theme_month_id.in_(theme_ids),
            Activity.status == Status.PUBLISHED,
        )
        .group_by(ThemeMonthActivity.theme_month_id)
    )
    return {theme_id: int(n) for theme_id, n in session.execute(stmt)}


def summarise_themes(session: Session, themes: Sequence[ThemeMonth]) -> list[ThemeSummary]:
    """The theme months with their numbers of published activities (one query)."""
    counts = _count_theme_activities(session, [t.id for t in themes])
    return [ThemeSummary(t, counts.get(t.id, 0)) for t in themes]


def list_theme_summaries(session: Session) -> list[ThemeSummary]:
    """Every published theme month, newest month first, with its number of activities."""
    return summarise_themes(session, theme_queries.list_published_theme_months(session))
