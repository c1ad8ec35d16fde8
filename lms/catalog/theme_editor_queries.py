"""Reads for the coordinators' theme month pages: the overview, the edit page, the choices."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from lms.accounts.models import Department, Organisation
from lms.catalog.models import (
    Activity,
    ActivityCompetence,
    Status,
    ThemeMonth,
    ThemeMonthActivity,
    ThemeStatus,
)


@dataclass
class ThemeRow:
    theme: ThemeMonth
    activities: int  # how many activities are curated into it


@dataclass
class ThemeOverview:
    """The theme months on the coordinators' start page, in the groups it shows them in."""

    drafts: list[ThemeRow] = field(default_factory=list)
    scheduled: list[ThemeRow] = field(default_factory=list)
    published: list[ThemeRow] = field(default_factory=list)  # this month's and coming ones
    archive: list[ThemeRow] = field(default_factory=list)  # published, month over

    @property
    def total(self) -> int:
        return len(self.drafts) + len(self.scheduled) + len(self.published) + len(self.archive)


def group_theme_months(rows: list[ThemeRow], today: date) -> ThemeOverview:
    """Sort rows into the overview's groups: drafts and coming ones soonest first, the archive
    newest first (a pure function of the rows and the Stockholm date)."""
    overview = ThemeOverview()
    for row in sorted(rows, key=lambda r: (r.theme.year, r.theme.month, r.theme.title)):
        theme = row.theme
        if theme.status == ThemeStatus.DRAFT:
            overview.drafts.append(row)
        elif theme.status == ThemeStatus.SCHEDULED:
            overview.scheduled.append(row)
        elif (theme.year, theme.month) >= (today.year, today.month):
            overview.published.append(row)
        else:
            overview.archive.append(row)
    overview.scheduled.sort(key=lambda r: (r.theme.publish_on or today, r.theme.id))
    overview.archive.reverse()
    return overview


def theme_overview(session: Session, today: date) -> ThemeOverview:
    """Every theme month with its activity count, grouped (three queries, however many)."""
    counts = (
        select(func.count())
        .where(ThemeMonthActivity.theme_month_id == ThemeMonth.id)
        .correlate(ThemeMonth)
        .scalar_subquery()
    )
    stmt = select(ThemeMonth, counts).options(
        selectinload(ThemeMonth.departments), selectinload(ThemeMonth.banner)
    )
    rows = [ThemeRow(theme, int(n or 0)) for theme, n in session.execute(stmt).all()]
    return group_theme_months(rows, today)


def get_theme_month_for_edit(session: Session, theme_id: int) -> ThemeMonth | None:
    """A theme month with what the edit page shows loaded up front."""
    stmt = (
        select(ThemeMonth)
        .where(ThemeMonth.id == theme_id)
        .options(
            selectinload(ThemeMonth.activity_links).selectinload(ThemeMonthActivity.activity),
            selectinload(ThemeMonth.departments),
            selectinload(ThemeMonth.banner),
        )
    )
    return session.scalar(stmt)


def list_curatable_activities(session: Session, theme: ThemeMonth) -> list[tuple[int, str]]:
    """(id, title) of the published activities not yet in the theme month, by title."""
    chosen = select(ThemeMonthActivity.activity_id).where(
        ThemeMonthActivity.theme_month_id == theme.id
    )
    stmt = (
        select(Activity.id, Activity.title)
        .where(Activity.status == Status.PUBLISHED, Activity.id.not_in(chosen))
        .order_by(Activity.title, Activity.id)
    )
    return [(int(row[0]), str(row[1])) for row in session.execute(stmt).all()]


def list_departments(session: Session) -> list[Department]:
    """Every department with its organisation, for the audience checkboxes."""
    stmt = (
        select(Department)
        .join(Organisation)
        .options(selectinload(Department.organisation))
        .order_by(Organisation.name, Department.name)
    )
    return list(session.scalars(stmt))


def list_preview_activities(session: Session, theme: ThemeMonth) -> list[Activity]:
    """The published curated activities in order, with what their cards show."""
    stmt = (
        select(Activity)
        .join(ThemeMonthActivity, ThemeMonthActivity.activity_id == Activity.id)
        .where(ThemeMonthActivity.theme_month_id == theme.id, Activity.status == Status.PUBLISHED)
        .options(
            selectinload(Activity.competence_links).selectinload(ActivityCompetence.competence)
        )
        .order_by(ThemeMonthActivity.position, Activity.id)
    )
    return list(session.scalars(stmt))
