"""The ESF report's aggregates straight from `completions` (DESIGN §4): counted completions
(credited minutes > 0, any source) dated in the period, passing every coverage on the
organisation and department stored on the completion (where the person was at completion).

Everything is summed and counted in SQL, in a fixed number of statements whatever the data;
months come from `completed_on` (the Stockholm date) through EXTRACT, which SQLite and
PostgreSQL both compile.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Integer, Select, and_, cast, extract, false, func, or_, select
from sqlalchemy.orm import Session

from lms.accounts.models import User
from lms.progress.models import Completion
from lms.reports.esf_data import Coverage, EsfAggregates, EsfFilter, MonthRow, SourceRow
from lms.reports.esf_names import activity_rows, areas_and_formats, units_and_organisations

_C = Completion


def coverage_condition(coverage: Coverage) -> ColumnElement[bool]:
    """organisation_id IN (…) OR department_id IN (…) on the completion; an empty coverage
    lets nothing through."""
    parts: list[ColumnElement[bool]] = []
    if coverage.organisation_ids:
        parts.append(_C.organisation_id.in_(sorted(coverage.organisation_ids)))
    if coverage.department_ids:
        parts.append(_C.department_id.in_(sorted(coverage.department_ids)))
    return or_(*parts) if parts else false()


def counted(esf_filter: EsfFilter) -> ColumnElement[bool]:
    """The completions the filter counts."""
    return and_(
        _C.credited_minutes > 0,
        _C.completed_on >= esf_filter.date_from,
        _C.completed_on <= esf_filter.date_to,
        *(coverage_condition(coverage) for coverage in esf_filter.coverages),
    )


def raw_aggregates(session: Session, esf_filter: EsfFilter) -> EsfAggregates:
    """Every aggregate of the ESF report for `esf_filter`, read from the completions."""
    where = counted(esf_filter)
    genders = _rows(session, _by_gender(where))
    activities = activity_rows(session, _rows(session, _by_activity(where)))
    areas, formats = areas_and_formats(session, activities)
    departments, organisations = units_and_organisations(
        session,
        _rows(session, _by_department(where)),
        [
            (org, None, people, minutes)
            for org, people, minutes in _rows(session, _by_organisation(where))
        ],
    )
    return EsfAggregates(
        participants_by_gender={gender: people for gender, people, _m in genders},
        minutes_by_gender={gender: minutes for gender, _p, minutes in genders},
        departments=departments,
        organisations=organisations,
        months=_months(session, where),
        sources={
            source: SourceRow(minutes=minutes, completions=done)
            for source, minutes, done in _rows(session, _by_source(where))
        },
        areas=areas,
        formats=formats,
        activities=activities,
    )


def _rows(session: Session, stmt: Select[*tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Aggregate rows with every number as int (PostgreSQL sums counts as numeric)."""
    return [
        tuple(int(value) if isinstance(value, Decimal) else value for value in row)
        for row in session.execute(stmt)
    ]


def _minutes() -> ColumnElement[int]:
    return func.sum(_C.credited_minutes)


def _people() -> ColumnElement[int]:
    return func.count(_C.user_id.distinct())


def _by_gender(where: ColumnElement[bool]) -> Select[*tuple[Any, ...]]:
    return (
        select(User.gender, _people(), _minutes())
        .join(User, User.id == _C.user_id)
        .where(where)
        .group_by(User.gender)
    )


def _by_department(where: ColumnElement[bool]) -> Select[*tuple[Any, ...]]:
    return (
        select(_C.organisation_id, _C.department_id, _people(), _minutes())
        .where(where)
        .group_by(_C.organisation_id, _C.department_id)
    )


def _by_organisation(where: ColumnElement[bool]) -> Select[*tuple[Any, ...]]:
    return (
        select(_C.organisation_id, _people(), _minutes()).where(where).group_by(_C.organisation_id)
    )


def _by_source(where: ColumnElement[bool]) -> Select[*tuple[Any, ...]]:
    return select(_C.source, _minutes(), func.count()).where(where).group_by(_C.source)


def _by_activity(where: ColumnElement[bool]) -> Select[*tuple[Any, ...]]:
    """(activity, people, minutes, completions); people counted once per department."""
    per_unit = (
        select(
            _C.activity_id.label("activity_id"),
            _people().label("people"),
            _minutes().label("minutes"),
            func.count().label("completions"),
        )
        .where(where)
        .group_by(_C.activity_id, _C.organisation_id, _C.department_id)
        .subquery()
    )
    return select(
        per_unit.c.activity_id,
        func.sum(per_unit.c.people),
        func.sum(per_unit.c.minutes),
        func.sum(per_unit.c.completions),
    ).group_by(per_unit.c.activity_id)


def _year_month(column: Any) -> tuple[ColumnElement[int], ColumnElement[int]]:
    return cast(extract("year", column), Integer), cast(extract("month", column), Integer)


def _months(session: Session, where: ColumnElement[bool]) -> tuple[MonthRow, ...]:
    """Minutes per month, and people per month of their first counted completion."""
    year, month = _year_month(_C.completed_on)
    minutes = select(year, month, _minutes()).where(where).group_by(year, month)
    first = (
        select(_C.user_id, func.min(_C.completed_on).label("first_on"))
        .where(where)
        .group_by(_C.user_id)
        .subquery()
    )
    first_year, first_month = _year_month(first.c.first_on)
    newcomers = select(first_year, first_month, func.count()).group_by(first_year, first_month)
    return _month_rows(_rows(session, minutes), _rows(session, newcomers))


def _month_rows(
    minutes: Iterable[tuple[int, int, int]], newcomers: Iterable[tuple[int, int, int]]
) -> tuple[MonthRow, ...]:
    by_month: dict[str, list[int]] = {}
    for year, month, value in minutes:
        by_month.setdefault(f"{int(year):04d}-{int(month):02d}", [0, 0])[0] = int(value)
    for year, month, value in newcomers:
        by_month.setdefault(f"{int(year):04d}-{int(month):02d}", [0, 0])[1] = int(value)
    return tuple(MonthRow(m, mins, new) for m, (mins, new) in sorted(by_month.items()))
