"""The start page's reads: what a signed-in person sees first, in a constant number of queries.

Learning comes first: the theme month, open tasks, where the person left off, their booked
sessions, what is new for their department and what they saved. Every list is cut to a
few rows in SQL, so the page costs the same whatever the size of the catalogue.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, aliased, contains_eager

from lms.accounts.models import Department, User
from lms.catalog.models import (
    Activity,
    ActivitySession,
    Lesson,
    Status,
    ThemeMonth,
    activity_departments,
)
from lms.catalog.queries import CatalogEntry, upcoming_sessions
from lms.catalog.saved import SavedEntry, count_saved, list_saved
from lms.catalog.theme_queries import list_theme_months_for
from lms.core.access import Permission
from lms.core.time import local_date
from lms.progress.models import Booking, Enrolment, LessonProgress
from lms.recommend.queries import START_PAGE, RecommendedItem, list_recommended
from lms.transfer.queries import DUE, OVERDUE, PREPARE, TaskItem, list_my_tasks

THEMES = 2  # the current theme month and one published early for a coming month
FOR_DEPARTMENT = 4
BOOKINGS = 3
TASKS = 3
IN_PROGRESS = 3
SAVED = 3
TO_DO = (OVERDUE, PREPARE, DUE)


@dataclass(frozen=True)
class ThemeCard:
    """A theme month on the start page: this month's theme, or a coming one."""

    theme: ThemeMonth
    is_current: bool

    @property
    def first_day(self) -> date:
        """The month's first day, for printing the month's name ("december")."""
        return date(self.theme.year, self.theme.month, 1)


@dataclass(frozen=True)
class TaskOverview:
    """The person's open Transfer of Training tasks: counts by state and the most urgent few."""

    counts: Counter[str] = field(default_factory=Counter)
    next: list[TaskItem] = field(default_factory=list)

    @property
    def to_do(self) -> int:
        return sum(self.counts[state] for state in TO_DO)


@dataclass(frozen=True)
class ContinueItem:
    """An activity the person started and has not completed, with where to pick it up."""

    activity: Activity
    last_active_at: datetime | None
    next_lesson_slug: str | None = None
    next_lesson_title: str | None = None
    next_lesson_number: int = 0
    lesson_count: int = 0


@dataclass(frozen=True)
class UpcomingBookings:
    """The person's next few booked (or waitlisted) sessions and how many there are in all."""

    bookings: list[Booking] = field(default_factory=list)
    total: int = 0


@dataclass(frozen=True)
class StartPage:
    """Everything the start page shows."""

    themes: list[ThemeCard]
    department: Department | None
    for_department: list[CatalogEntry]
    upcoming: UpcomingBookings
    tasks: TaskOverview
    in_progress: list[ContinueItem]
    saved: list[SavedEntry]
    saved_count: int
    team_size: int = 0
    # "Rekommenderat för dig", best first; the section is hidden while it is empty.
    recommended: list[RecommendedItem] = field(default_factory=list)

    @property
    def has_own_learning(self) -> bool:
        """Whether the person has anything going on; without it the page shows a first step."""
        return bool(
            self.upcoming.bookings or self.tasks.to_do or self.in_progress or self.saved_count
        )


def list_for_department(
    session: Session, department_id: int, now: datetime, *, limit: int = FOR_DEPARTMENT
) -> list[CatalogEntry]:
    """Published activities aimed explicitly at the department, newest first (one query).

    Activities for everyone are left out on purpose: this section is about what was made
    for *this* department, the catalogue holds the rest.
    """
    targets = activity_departments.c
    upcoming = upcoming_sessions(now)
    stmt = (
        select(Activity, upcoming.c.next_starts_at)
        .join(activity_departments, targets.activity_id == Activity.id)
        .outerjoin(upcoming, upcoming.c.activity_id == Activity.id)
        .where(targets.department_id == department_id, Activity.status == Status.PUBLISHED)
        .order_by(
            func.coalesce(Activity.published_at, Activity.created_at).desc(), Activity.id.desc()
        )
        .limit(limit)
    )
    return [CatalogEntry(activity, next_at) for activity, next_at in session.execute(stmt)]


def list_upcoming_bookings(
    session: Session, user: User, now: datetime, *, limit: int = BOOKINGS
) -> UpcomingBookings:
    """`user`'s booked and waitlisted sessions that have not ended, soonest first (one query)."""
    stmt = (
        select(Booking, func.count().over())
        .join(Booking.session)
        .join(ActivitySession.activity)
        .where(
            Booking.user_id == user.id,
            Booking.status.in_(("booked", "waitlisted")),
            ActivitySession.is_cancelled.is_(False),
            ActivitySession.ends_at > now,
        )
        .options(contains_eager(Booking.session).contains_eager(ActivitySession.activity))
        .order_by(ActivitySession.starts_at, Booking.id)
        .limit(limit)
    )
    rows = session.execute(stmt).all()
    return UpcomingBookings([booking for booking, _ in rows], int(rows[0][1]) if rows else 0)


def summarise_tasks(
    session: Session, user: User, today: date, now: datetime, *, limit: int = TASKS
) -> TaskOverview:
    """Counts of the person's open tasks and the most urgent few (`list_my_tasks`: two queries)."""
    tasks = list_my_tasks(session, user, today=today, now=now)
    open_items = [item for group in tasks.to_do for item in group.items if item.state in TO_DO]
    open_items.sort(key=TaskItem.sort_key)
    return TaskOverview(counts=tasks.counts, next=open_items[:limit])


def list_in_progress(
    session: Session, user: User, *, limit: int = IN_PROGRESS
) -> list[ContinueItem]:
    """Activities `user` started and has not completed, most recently active first (one query).

    For a course, the lesson to continue with: the one the enrolment points at (set when a
    lesson is completed), else the first lesson.
    """
    first_lesson = (
        select(Lesson.id)
        .where(Lesson.course_id == Enrolment.activity_id)
        .order_by(Lesson.position, Lesson.id)
        .limit(1)
        .scalar_subquery()
    )
    following = aliased(Lesson, name="following")
    counted = aliased(Lesson, name="counted")
    number = (
        select(func.count(counted.id))
        .where(counted.course_id == Enrolment.activity_id, counted.position <= following.position)
        .scalar_subquery()
    )
    total = (
        select(func.count(counted.id))
        .where(counted.course_id == Enrolment.activity_id)
        .scalar_subquery()
    )
    lesson_activity = (
        select(
            Lesson.course_id.label("course_id"),
            func.max(func.coalesce(LessonProgress.completed_at, LessonProgress.started_at)).label(
                "last_at"
            ),
        )
        .join(Lesson, Lesson.id == LessonProgress.lesson_id)
        .where(LessonProgress.user_id == user.id)
        .group_by(Lesson.course_id)
        .subquery("lesson_activity")
    )
    last_active = func.coalesce(
        lesson_activity.c.last_at, Enrolment.started_at, Enrolment.enrolled_at
    )
    stmt = (
        select(Activity, last_active, following.slug, following.title, number, total)
        .select_from(Enrolment)
        .join(Activity, Activity.id == Enrolment.activity_id)
        .outerjoin(lesson_activity, lesson_activity.c.course_id == Enrolment.activity_id)
        .outerjoin(
            following,
            and_(
                following.course_id == Enrolment.activity_id,
                following.id == func.coalesce(Enrolment.current_lesson_id, first_lesson),
            ),
        )
        .where(
            Enrolment.user_id == user.id,
            Enrolment.status == "in_progress",
            Activity.status == Status.PUBLISHED,
        )
        .order_by(last_active.desc(), Activity.id.desc())
        .limit(limit)
    )
    return [
        ContinueItem(activity, last_at, slug, title, int(n or 0), int(count or 0))
        for activity, last_at, slug, title, n, count in session.execute(stmt)
    ]


def count_direct_reports(session: Session, manager: User) -> int:
    """How many active people report directly to `manager` (for the team shortcut)."""
    stmt = select(func.count(User.id)).where(
        User.manager_id == manager.id, User.is_active.is_(True)
    )
    return int(session.scalar(stmt) or 0)


def build_start_page(session: Session, user: User, *, now: datetime) -> StartPage:
    """Everything on `user`'s start page, in a constant number of queries.

    The recommendations are read from the cache as it is: the view refreshes a stale cache
    first (`lms.recommend.views.refresh_recommendations`), in a unit of work of its own.
    """
    today = local_date(now)
    themes = list_theme_months_for(session, user, today, limit=THEMES)
    department_id = user.department_id
    return StartPage(
        themes=[
            ThemeCard(theme, (theme.year, theme.month) == (today.year, today.month))
            for theme in themes
        ],
        department=user.department,
        for_department=(
            list_for_department(session, department_id, now) if department_id is not None else []
        ),
        upcoming=list_upcoming_bookings(session, user, now),
        tasks=summarise_tasks(session, user, today, now),
        in_progress=list_in_progress(session, user),
        saved=list_saved(session, user, limit=SAVED, now=now),
        saved_count=count_saved(session, user),
        team_size=count_direct_reports(session, user) if user.has(Permission.MANAGER) else 0,
        recommended=list_recommended(session, user, now=now, limit=START_PAGE),
    )
