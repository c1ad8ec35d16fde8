"""Reads for browsing the catalogue: the filtered list, an activity's page, a course's lessons."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    Subquery,
    and_,
    column,
    exists,
    func,
    or_,
    select,
    table,
)
from sqlalchemy.orm import Session, selectinload

from lms.accounts.models import User
from lms.catalog.models import (
    Activity,
    ActivityCompetence,
    ActivitySession,
    Lesson,
    Status,
    activity_departments,
    activity_subjects,
)
from lms.catalog.search import search_clauses, search_table
from lms.catalog.services import can_edit
from lms.core.pagination import Page
from lms.core.quiz import Option, Question
from lms.core.time import utcnow
from lms.framework.models import Competence, CompetenceArea, Subject

PER_PAGE = 24
MAX_QUERY_LENGTH = 200


class Duration(enum.StrEnum):
    SHORT = "short"  # at most 15 minutes
    MEDIUM = "medium"  # 16–60 minutes
    LONG = "long"  # more than an hour


@dataclass(frozen=True)
class CatalogFilter:
    """The catalogue's search and filters; every one optional and all combinable."""

    text: str = ""
    area: str | None = None  # competence area code, "4"
    competence: str | None = None  # competence code, "4.2"
    subject: str | None = None  # subject slug
    my_department: bool = False  # for the viewer's department (or for everyone)
    department_id: int | None = None  # for this department (or for everyone)
    format: str | None = None
    level: str | None = None
    delivery: str | None = None
    duration: Duration | None = None
    upcoming: bool = False  # only activities with an upcoming session


@dataclass(frozen=True)
class CatalogEntry:
    """One row of the catalogue: the activity and the start of its next session, if any."""

    activity: Activity
    next_session_at: datetime | None


def upcoming_sessions(now: datetime) -> Subquery:
    """Per activity, the start of its next session that is not cancelled."""
    return (
        select(
            ActivitySession.activity_id,
            func.min(ActivitySession.starts_at).label("next_starts_at"),
        )
        .where(ActivitySession.starts_at > now, ActivitySession.is_cancelled.is_(False))
        .group_by(ActivitySession.activity_id)
        .subquery("upcoming")
    )


def _has_competence(condition: ColumnElement[bool]) -> ColumnElement[bool]:
    return exists(
        select(ActivityCompetence.activity_id)
        .join(Competence, Competence.id == ActivityCompetence.competence_id)
        .join(CompetenceArea, CompetenceArea.id == Competence.area_id)
        .where(ActivityCompetence.activity_id == Activity.id, condition)
    )


def _has_subject(slug: str) -> ColumnElement[bool]:
    return exists(
        select(activity_subjects.c.activity_id)
        .join(Subject, Subject.id == activity_subjects.c.subject_id)
        .where(activity_subjects.c.activity_id == Activity.id, Subject.slug == slug)
    )


def for_department(department_id: int | None) -> ColumnElement[bool]:
    """Open to everyone (no target departments) or aimed at the department (also used by the
    calendar and the shared department feeds, so they follow the catalogue's rule)."""
    targets = activity_departments.c
    aimed = select(targets.activity_id).where(targets.activity_id == Activity.id)
    if department_id is None:
        return ~exists(aimed)
    return or_(~exists(aimed), exists(aimed.where(targets.department_id == department_id)))


_for_department = for_department  # the earlier private name


def _for_duration(duration: Duration) -> ColumnElement[bool]:
    if duration is Duration.SHORT:
        return Activity.minutes <= 15
    if duration is Duration.MEDIUM:
        return and_(Activity.minutes > 15, Activity.minutes <= 60)
    return Activity.minutes > 60


def _conditions(filters: CatalogFilter, user: User | None) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [Activity.status == Status.PUBLISHED]
    if filters.area:
        conditions.append(_has_competence(CompetenceArea.code == filters.area))
    if filters.competence:
        conditions.append(_has_competence(Competence.code == filters.competence))
    if filters.subject:
        conditions.append(_has_subject(filters.subject))
    if filters.my_department:
        conditions.append(_for_department(user.department_id if user else None))
    if filters.department_id is not None:
        conditions.append(_for_department(filters.department_id))
    equal = {"format": Activity.format, "level": Activity.level, "delivery": Activity.delivery}
    for name, attribute in equal.items():
        if getattr(filters, name):
            conditions.append(attribute == getattr(filters, name))
    if filters.duration:
        conditions.append(_for_duration(filters.duration))
    return conditions


def catalog_statement(
    filters: CatalogFilter, user: User | None, now: datetime | None = None
) -> Select[Activity, datetime | None]:
    """The published activities matching the filters with their next session start, ranked
    by the search when there is one and otherwise in Swedish alphabetical order."""
    upcoming = upcoming_sessions(now or utcnow())
    stmt = (
        select(Activity, upcoming.c.next_starts_at)
        .outerjoin(upcoming, upcoming.c.activity_id == Activity.id)
        .outerjoin(search_table, search_table.c.activity_id == Activity.id)
        .where(*_conditions(filters, user))
    )
    if filters.upcoming:
        stmt = stmt.where(upcoming.c.next_starts_at.is_not(None))
    order: list[Any] = [search_table.c.title_key.nulls_last(), Activity.id]
    if filters.text.strip():
        clauses = search_clauses(filters.text[:MAX_QUERY_LENGTH])
        stmt = stmt.where(clauses.condition)
        order.insert(0, clauses.rank)
    return stmt.order_by(*order)


def list_catalog_page(
    session: Session,
    filters: CatalogFilter,
    user: User | None,
    page: int = 1,
    per_page: int = PER_PAGE,
    now: datetime | None = None,
) -> Page[CatalogEntry]:
    """One page of the catalogue in a constant number of queries (count, rows, competences)."""
    stmt = catalog_statement(filters, user, now)
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    pages = max(1, -(-total // per_page))
    page = max(1, min(page, pages))
    rows = session.execute(
        stmt.options(
            selectinload(Activity.competence_links).joinedload(ActivityCompetence.competence)
        )
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    items = [CatalogEntry(activity, next_at) for activity, next_at in rows]
    return Page(items=items, page=page, per_page=per_page, total=total)


def list_catalog_slugs(session: Session, filters: CatalogFilter, user: User | None) -> list[str]:
    """The slugs of every match, in catalogue order (for tests and exports)."""
    stmt = catalog_statement(filters, user).with_only_columns(Activity.slug)
    return list(session.scalars(stmt))


# --- one activity ----------------------------------------------------------------------------


def get_visible_activity(session: Session, slug: str, user: User) -> Activity | None:
    """The activity with what its page shows, or None when it does not exist or is a draft or
    archived and `user` may not edit it (they must not learn that it exists)."""
    stmt = (
        select(Activity)
        .where(Activity.slug == slug)
        .options(
            selectinload(Activity.competence_links)
            .joinedload(ActivityCompetence.competence)
            .joinedload(Competence.area),
            selectinload(Activity.subjects),
            selectinload(Activity.departments),
            selectinload(Activity.job_roles),
            selectinload(Activity.owners),
            selectinload(Activity.lessons),
        )
    )
    activity = session.scalar(stmt)
    if activity is None or (not activity.is_published and not can_edit(user, activity)):
        return None
    return activity


def list_upcoming_sessions(
    session: Session, activity: Activity, now: datetime | None = None
) -> list[ActivitySession]:
    stmt = (
        select(ActivitySession)
        .where(
            ActivitySession.activity_id == activity.id,
            ActivitySession.starts_at > (now or utcnow()),
            ActivitySession.is_cancelled.is_(False),
        )
        .order_by(ActivitySession.starts_at)
    )
    return list(session.scalars(stmt))


@dataclass(frozen=True)
class PreTask:
    title: str
    is_required: bool


# Pre-tasks belong to lms.transfer, which sits above the catalogue; reading its table by name
# shows them on the activity page without an upward import.
_transfer_tasks = table(
    "transfer_tasks",
    column("activity_id"),
    column("phase"),
    column("position"),
    column("title"),
    column("is_required"),
)


def list_pre_tasks(session: Session, activity: Activity) -> list[PreTask]:
    """What to do before the activity (Transfer of Training), in order."""
    t = _transfer_tasks.c
    rows = session.execute(
        select(t.title, t.is_required)
        .where(t.activity_id == activity.id, t.phase == "pre")
        .order_by(t.position, t.title)
    )
    return [PreTask(title=title, is_required=bool(required)) for title, required in rows]


# --- course lessons --------------------------------------------------------------------------


@dataclass(frozen=True)
class LessonPage:
    """A lesson with its place in the course path."""

    lesson: Lesson
    number: int  # 1-based
    total: int
    previous: Lesson | None
    next: Lesson | None


def get_lesson_page(course: Activity, lesson_slug: str) -> LessonPage | None:
    """A lesson of a course (its lessons already loaded) with the previous and next one."""
    lessons = list(course.lessons)
    for index, lesson in enumerate(lessons):
        if lesson.slug == lesson_slug:
            return LessonPage(
                lesson=lesson,
                number=index + 1,
                total=len(lessons),
                previous=lessons[index - 1] if index > 0 else None,
                next=lessons[index + 1] if index + 1 < len(lessons) else None,
            )
    return None


def stored_questions(quiz: Sequence[Mapping[str, Any]]) -> list[Question]:
    """The knowledge-check questions from their stored JSON (dataclass asdict of Question)."""
    return [
        Question(
            text=str(item["text"]),
            kind=item.get("kind", "single"),
            options=tuple(
                Option(
                    text=str(option["text"]),
                    correct=bool(option.get("correct", False)),
                    feedback=str(option.get("feedback", "")),
                )
                for option in item.get("options", ())
            ),
        )
        for item in quiz or ()
    ]
