"""Shared iCalendar feeds: a theme month's or a department's sessions behind a secret token.

Calendar programs cannot sign in, so the token in the URL is the credential. Pages only
read tokens (a GET never writes): a missing one is made by a POST from the calendar page
or the theme month page ("Create the calendar address"), and a coordinator can replace
it, which stops the old URL at once. Cancelled sessions stay in
the feeds with STATUS:CANCELLED so subscribed calendars remove them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import format_date
from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lms.accounts.models import Department, User
from lms.catalog.models import Activity, ActivitySession, SharedFeed, ThemeMonth, ThemeMonthActivity
from lms.catalog.queries import for_department
from lms.catalog.theme_queries import list_theme_months_for
from lms.core.audit import record_event
from lms.core.errors import DomainError
from lms.core.i18n import _l
from lms.core.time import start_of_local_day
from lms.core.tokens import is_token_shaped, new_token
from lms.discover.calendar import add_months, published_sessions
from lms.progress.ical import calendar_of

DEPARTMENT_PAST = timedelta(days=30)
DEPARTMENT_AHEAD = timedelta(days=365)


# --- tokens ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SharedFeeds:
    """Feeds by theme month id and by department id."""

    themes: dict[int, SharedFeed]
    departments: dict[int, SharedFeed]


def _create(session: Session, **target: int) -> SharedFeed:
    feed = SharedFeed(token=new_token(), **target)
    try:
        with session.begin_nested():
            session.add(feed)
    except IntegrityError:
        # Another request made this feed a moment ago: theirs is the one.
        existing = session.scalar(select(SharedFeed).filter_by(**target))
        if existing is None:
            raise
        return existing
    return feed


def _list_feeds(session: Session, themes: set[int], departments: set[int]) -> SharedFeeds:
    conditions: list[ColumnElement[bool]] = []
    if themes:
        conditions.append(SharedFeed.theme_month_id.in_(themes))
    if departments:
        conditions.append(SharedFeed.department_id.in_(departments))
    found = list(session.scalars(select(SharedFeed).where(or_(*conditions)))) if conditions else []
    return SharedFeeds(
        themes={f.theme_month_id: f for f in found if f.theme_month_id is not None},
        departments={f.department_id: f for f in found if f.department_id is not None},
    )


def create_feeds(
    session: Session, *, theme_month_ids: Iterable[int] = (), department_ids: Iterable[int] = ()
) -> SharedFeeds:
    """The feeds of these theme months and departments, the missing ones made with fresh
    tokens (idempotent: an existing token is never changed): one query when they all exist,
    plus one insert per new feed."""
    themes, departments = set(theme_month_ids), set(department_ids)
    result = _list_feeds(session, themes, departments)
    for theme_id in sorted(themes - result.themes.keys()):
        result.themes[theme_id] = _create(session, theme_month_id=theme_id)
    for department_id in sorted(departments - result.departments.keys()):
        result.departments[department_id] = _create(session, department_id=department_id)
    return result


def create_theme_feed(session: Session, theme: ThemeMonth) -> SharedFeed:
    """The published theme month's feed, made with a fresh token if it has none yet."""
    if not theme.is_published:
        raise DomainError(_l("The calendar address appears when the theme month is published."))
    return create_feeds(session, theme_month_ids=[theme.id]).themes[theme.id]


def create_department_feed(session: Session, department_id: int) -> SharedFeed:
    """The department's feed, made with a fresh token if it has none yet."""
    return create_feeds(session, department_ids=[department_id]).departments[department_id]


def get_theme_feed(session: Session, theme: ThemeMonth) -> SharedFeed | None:
    """The theme month's feed, or None while it has none."""
    return _list_feeds(session, {theme.id}, set()).themes.get(theme.id)


@dataclass(frozen=True)
class PageFeeds:
    """The shared feeds the calendar page offers: the department's and the theme months'
    (None where the feed has not been made yet)."""

    department: Department | None
    department_feed: SharedFeed | None
    themes: list[tuple[ThemeMonth, SharedFeed | None, date]]  # with the month's first day


def get_page_feeds(
    session: Session, user: User, department: Department | None, today: date
) -> PageFeeds:
    """The department's feed and those of the theme months meant for `user` from today's
    month on, as far as they exist: three queries (theme months and their audiences, feeds)."""
    themes = list_theme_months_for(session, user, today)
    found = _list_feeds(session, {t.id for t in themes}, {department.id} if department else set())
    return PageFeeds(
        department=department,
        department_feed=found.departments.get(department.id) if department else None,
        themes=[(t, found.themes.get(t.id), date(t.year, t.month, 1)) for t in themes],
    )


def get_feed(session: Session, feed_id: int) -> SharedFeed | None:
    return session.get(SharedFeed, feed_id)


def reset_feed(session: Session, feed: SharedFeed, *, actor_id: int | None) -> SharedFeed:
    """A new secret token: the old feed URL stops working at once (audited, as a leaked
    address is the usual reason)."""
    feed.token = new_token()
    record_event(
        session,
        actor_id=actor_id,
        action="shared_feed.reset",
        object_type="shared_feed",
        object_id=feed.id,
        theme_month_id=feed.theme_month_id,
        department_id=feed.department_id,
    )
    session.flush()
    return feed


# --- content ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedTarget:
    """A feed with what it shows: exactly one of `theme` and `department` is set."""

    feed: SharedFeed
    theme: ThemeMonth | None
    department: Department | None


def get_feed_target(session: Session, token: str) -> FeedTarget | None:
    """The feed with this token and its theme month or department, in one query."""
    if not is_token_shaped(token):
        return None
    row = session.execute(
        select(SharedFeed, ThemeMonth, Department)
        .outerjoin(ThemeMonth, ThemeMonth.id == SharedFeed.theme_month_id)
        .outerjoin(Department, Department.id == SharedFeed.department_id)
        .where(SharedFeed.token == token)
    ).first()
    if row is None:
        return None
    feed, theme, department = row
    return FeedTarget(feed, theme, department)


def theme_month_bounds(theme: ThemeMonth) -> tuple[datetime, datetime]:
    """The theme month's first local midnight and the next month's, in UTC."""
    first = date(theme.year, theme.month, 1)
    return start_of_local_day(first), start_of_local_day(add_months(first, 1))


def list_theme_feed_sessions(session: Session, theme: ThemeMonth) -> list[ActivitySession]:
    """Sessions (cancelled too) of the theme's curated published activities that start
    within the theme month, Stockholm time."""
    starts, ends = theme_month_bounds(theme)
    stmt = (
        published_sessions()
        .join(ThemeMonthActivity, ThemeMonthActivity.activity_id == Activity.id)
        .where(
            ThemeMonthActivity.theme_month_id == theme.id,
            ActivitySession.starts_at >= starts,
            ActivitySession.starts_at < ends,
        )
    )
    return list(session.scalars(stmt))


def list_department_feed_sessions(
    session: Session, department_id: int, now: datetime
) -> list[ActivitySession]:
    """Sessions (cancelled too) of published activities for everyone or aimed at the
    department, from 30 days back to a year ahead."""
    stmt = published_sessions().where(
        for_department(department_id),
        ActivitySession.starts_at >= now - DEPARTMENT_PAST,
        ActivitySession.starts_at < now + DEPARTMENT_AHEAD,
    )
    return list(session.scalars(stmt))


def feed_name(target: FeedTarget) -> str:
    """The calendar's name in calendar programs (X-WR-CALNAME)."""
    if target.theme is not None:
        month = format_date(date(target.theme.year, target.theme.month, 1), "LLLL yyyy")
        return str(
            _l("Lärlyft: %(title)s (theme month %(month)s)", title=target.theme.title, month=month)
        )
    name = target.department.name if target.department is not None else ""
    return str(_l("Lärlyft: sessions for %(department)s", department=name))


def render_feed(session: Session, token: str, base_url: str, now: datetime) -> bytes | None:
    """The iCalendar body of the feed with this token; None when there is no such feed or
    it belongs to a theme month that is not published."""
    target = get_feed_target(session, token)
    if target is None:
        return None
    if target.theme is not None:
        if not target.theme.is_published:
            return None
        sessions = list_theme_feed_sessions(session, target.theme)
    elif target.department is not None:
        sessions = list_department_feed_sessions(session, target.department.id, now)
    else:  # pragma: no cover - the check constraint makes one of them set
        return None
    return calendar_of(sessions, base_url, now, name=feed_name(target))
