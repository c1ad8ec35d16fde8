"""Reading theme months: who they are for, the current ones, the archive, their activities."""

from __future__ import annotations

from datetime import date

from sqlalchemy import ColumnElement, exists, or_, select, tuple_
from sqlalchemy.orm import Session, selectinload

from lms.accounts.models import User
from lms.catalog.models import (
    Activity,
    Status,
    ThemeMonth,
    ThemeMonthActivity,
    ThemeStatus,
    theme_month_departments,
)


def for_department(department_id: int | None) -> ColumnElement[bool]:
    """Theme months for everyone (no target departments) or aimed at the department."""
    targets = theme_month_departments.c
    aimed = select(targets.theme_month_id).where(targets.theme_month_id == ThemeMonth.id)
    if department_id is None:
        return ~exists(aimed)
    return or_(~exists(aimed), exists(aimed.where(targets.department_id == department_id)))


def is_for(theme: ThemeMonth, user: User) -> bool:
    """Whether `user` is in the theme month's audience (its departments loaded)."""
    return not theme.departments or any(d.id == user.department_id for d in theme.departments)


def list_theme_months_for(
    session: Session, user: User, today: date, *, limit: int = 2
) -> list[ThemeMonth]:
    """The published theme months meant for `user` from `today`'s month on, soonest first.

    The current month's theme leads; one published ahead of its month (announced early)
    follows as the coming theme.
    """
    stmt = (
        select(ThemeMonth)
        .where(
            ThemeMonth.status == ThemeStatus.PUBLISHED,
            tuple_(ThemeMonth.year, ThemeMonth.month) >= (today.year, today.month),
            for_department(user.department_id),
        )
        .options(selectinload(ThemeMonth.banner), selectinload(ThemeMonth.departments))
        .order_by(ThemeMonth.year, ThemeMonth.month, ThemeMonth.id)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def list_published_theme_months(
    session: Session, *, before: date | None = None
) -> list[ThemeMonth]:
    """Published theme months, newest month first; with `before`, only months before its month.

    Every published theme month may be read by everyone signed in (findability); the
    start page and the announcement are what target departments.
    """
    stmt = select(ThemeMonth).where(ThemeMonth.status == ThemeStatus.PUBLISHED)
    if before is not None:
        stmt = stmt.where(tuple_(ThemeMonth.year, ThemeMonth.month) < (before.year, before.month))
    stmt = stmt.options(
        selectinload(ThemeMonth.banner), selectinload(ThemeMonth.departments)
    ).order_by(ThemeMonth.year.desc(), ThemeMonth.month.desc(), ThemeMonth.title)
    return list(session.scalars(stmt))


def get_theme_month(session: Session, year: int, month: int, slug: str) -> ThemeMonth | None:
    """A theme month by its key, whatever its status (callers decide who may see drafts)."""
    stmt = (
        select(ThemeMonth)
        .where(ThemeMonth.year == year, ThemeMonth.month == month, ThemeMonth.slug == slug)
        .options(selectinload(ThemeMonth.banner), selectinload(ThemeMonth.departments))
    )
    return session.scalar(stmt)


def list_theme_activities(
    session: Session, theme: ThemeMonth, *, published_only: bool = True
) -> list[Activity]:
    """The theme month's curated activities in the coordinator's order."""
    stmt = (
        select(Activity)
        .join(ThemeMonthActivity, ThemeMonthActivity.activity_id == Activity.id)
        .where(ThemeMonthActivity.theme_month_id == theme.id)
        .order_by(ThemeMonthActivity.position, Activity.id)
    )
    if published_only:
        stmt = stmt.where(Activity.status == Status.PUBLISHED)
    return list(session.scalars(stmt))
