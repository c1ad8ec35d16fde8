"""Reads for the subject, competence area and department entrances and their indexes, each
page in a constant number of queries whatever the size of the catalogue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from sqlalchemy import ColumnElement, exists, func, select
from sqlalchemy.orm import Session, aliased, joinedload, selectinload

from lms.accounts.models import Department, Organisation, User
from lms.catalog.models import (
    Activity,
    ActivityCompetence,
    ActivitySession,
    Status,
    ThemeMonth,
    ThemeStatus,
    activity_departments,
    activity_subjects,
    theme_month_departments,
)
from lms.catalog.queries import CatalogEntry, CatalogFilter, catalog_statement
from lms.catalog.search import search_table
from lms.discover.queries import ThemeSummary, summarise_themes
from lms.framework.models import Competence, CompetenceArea, Subject

PER_LEVEL = 30  # an entrance shows this many per level; the catalogue lists the rest
T = TypeVar("T")


@dataclass(frozen=True)
class EntranceActivities:
    """An entrance's activities, at most `per_level` of each level, and each level's total."""

    entries: list[CatalogEntry]
    level_totals: dict[str, int]
    per_level: int

    @property
    def total(self) -> int:
        return sum(self.level_totals.values())


def list_entrance_activities(
    session: Session,
    filters: CatalogFilter,
    user: User,
    now: datetime,
    *,
    condition: ColumnElement[bool] | None = None,
    per_level: int = PER_LEVEL,
) -> EntranceActivities:
    """The published activities the catalogue shows for `filters` (and `condition`): the
    first `per_level` of each level in the catalogue's Swedish alphabetical order, with the
    next session and the competences the cards show, and how many each level has.

    One query ranks and counts within each level (window functions), so a subject with a
    thousand activities costs what one with ten does; the catalogue holds the rest.
    """
    stmt = catalog_statement(filters, user, now)
    if condition is not None:
        stmt = stmt.where(condition)
    order = (search_table.c.title_key.nulls_last(), Activity.id)
    ranked = (
        stmt.add_columns(
            func.row_number().over(partition_by=Activity.level, order_by=order).label("place"),
            func.count().over(partition_by=Activity.level).label("level_total"),
        )
        .order_by(None)
        .subquery("ranked")
    )
    picked = aliased(Activity, ranked)
    rows = session.execute(
        select(picked, ranked.c.next_starts_at, ranked.c.level_total)
        .where(ranked.c.place <= per_level)
        .order_by(ranked.c.level, ranked.c.place)
        .options(selectinload(picked.competence_links).joinedload(ActivityCompetence.competence))
    ).all()
    totals = {activity.level: int(total) for activity, _, total in rows}
    entries = [CatalogEntry(activity, next_at) for activity, next_at, _ in rows]
    return EntranceActivities(entries=entries, level_totals=totals, per_level=per_level)


def get_subject(session: Session, slug: str) -> Subject | None:
    return session.scalar(select(Subject).where(Subject.slug == slug))


def get_area(session: Session, code: str) -> CompetenceArea | None:
    """A competence area with its competences in order."""
    stmt = (
        select(CompetenceArea)
        .where(CompetenceArea.code == code)
        .options(selectinload(CompetenceArea.competences))
    )
    return session.scalar(stmt)


def get_department(session: Session, department_id: int) -> Department | None:
    stmt = (
        select(Department)
        .where(Department.id == department_id)
        .options(joinedload(Department.organisation))
    )
    return session.scalar(stmt)


def targets_department(department_id: int) -> ColumnElement[bool]:
    """Activities aimed explicitly at the department (not those open to everyone)."""
    targets = activity_departments.c
    return exists(
        select(targets.activity_id).where(
            targets.activity_id == Activity.id, targets.department_id == department_id
        )
    )


def list_department_theme_months(session: Session, department_id: int) -> list[ThemeSummary]:
    """The published theme months aimed at the department, newest month first."""
    targets = theme_month_departments.c
    stmt = (
        select(ThemeMonth)
        .join(theme_month_departments, targets.theme_month_id == ThemeMonth.id)
        .where(ThemeMonth.status == ThemeStatus.PUBLISHED, targets.department_id == department_id)
        .options(selectinload(ThemeMonth.banner), selectinload(ThemeMonth.departments))
        .order_by(ThemeMonth.year.desc(), ThemeMonth.month.desc(), ThemeMonth.title)
    )
    return summarise_themes(session, list(session.scalars(stmt)))


def count_department_sessions(session: Session, department_id: int, now: datetime) -> int:
    """Coming, not cancelled sessions of the published activities aimed at the department."""
    stmt = (
        select(func.count(ActivitySession.id))
        .join(Activity, Activity.id == ActivitySession.activity_id)
        .where(
            Activity.status == Status.PUBLISHED,
            targets_department(department_id),
            ActivitySession.starts_at > now,
            ActivitySession.is_cancelled.is_(False),
        )
    )
    return int(session.scalar(stmt) or 0)


# --- entrance indexes ------------------------------------------------------------------------


@dataclass(frozen=True)
class Counted(Generic[T]):
    """Something to enter by, with its number of published activities."""

    item: T
    activity_count: int


def list_subjects_with_counts(session: Session) -> list[Counted[Subject]]:
    published = (
        select(activity_subjects.c.subject_id, func.count().label("n"))
        .join(Activity, Activity.id == activity_subjects.c.activity_id)
        .where(Activity.status == Status.PUBLISHED)
        .group_by(activity_subjects.c.subject_id)
        .subquery()
    )
    stmt = (
        select(Subject, published.c.n)
        .outerjoin(published, published.c.subject_id == Subject.id)
        .order_by(Subject.position, Subject.name)
    )
    return [Counted(subject, int(n or 0)) for subject, n in session.execute(stmt)]


def list_areas_with_counts(session: Session) -> list[Counted[CompetenceArea]]:
    """Areas in order, each with the published activities developing any of its competences."""
    published = (
        select(Competence.area_id, func.count(func.distinct(Activity.id)).label("n"))
        .join(ActivityCompetence, ActivityCompetence.competence_id == Competence.id)
        .join(Activity, Activity.id == ActivityCompetence.activity_id)
        .where(Activity.status == Status.PUBLISHED)
        .group_by(Competence.area_id)
        .subquery()
    )
    stmt = (
        select(CompetenceArea, published.c.n)
        .outerjoin(published, published.c.area_id == CompetenceArea.id)
        .order_by(CompetenceArea.position, CompetenceArea.code)
    )
    return [Counted(area, int(n or 0)) for area, n in session.execute(stmt)]


def list_departments_with_counts(session: Session) -> list[Counted[Department]]:
    """Departments by organisation and name, each with the published activities aimed at it."""
    targets = activity_departments.c
    published = (
        select(targets.department_id, func.count().label("n"))
        .join(Activity, Activity.id == targets.activity_id)
        .where(Activity.status == Status.PUBLISHED)
        .group_by(targets.department_id)
        .subquery()
    )
    stmt = (
        select(Department, published.c.n)
        .join(Organisation, Organisation.id == Department.organisation_id)
        .outerjoin(published, published.c.department_id == Department.id)
        .options(joinedload(Department.organisation))
        .order_by(Organisation.name, Department.name)
    )
    return [Counted(department, int(n or 0)) for department, n in session.execute(stmt)]
