"""The ESF aggregates of a programme read from its summary tables (about one row per person,
not one per completion): the same figures `esf_queries.raw_aggregates` gives for the
programme's filter, in a constant number of queries.

Extra coverages (the reader's scope, a chosen department) apply to the rows' organisation and
department keys, which are those stored on the completions, so they filter exactly as they
filter completions (key 0, "none", never passes a coverage, as NULL never passes IN (…)).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, select
from sqlalchemy.orm import Session

from lms.accounts.models import User
from lms.reports.esf_data import Coverage, EsfAggregates, MonthRow, SourceRow
from lms.reports.esf_names import activity_rows, areas_and_formats, unit_rows
from lms.reports.esf_summary_sql import covered_by_all
from lms.reports.models import (
    Programme,
    ProgrammeActivityHours,
    ProgrammeMonthHours,
    ProgrammeParticipant,
)

_P, _M, _A = ProgrammeParticipant, ProgrammeMonthHours, ProgrammeActivityHours


def summary_aggregates(
    session: Session, programme: Programme, coverages: tuple[Coverage, ...]
) -> EsfAggregates:
    """The programme's ESF aggregates over its whole period from its (built) summary tables,
    limited to the rows passing every coverage in `coverages` (the programme's own coverage
    may be among them: its rows all pass it). Five aggregate queries plus six for names."""
    people = [
        (gender, first_on.strftime("%Y-%m"), *counts)
        for gender, first_on, *counts in _rows(
            session, _people_by_gender_and_first_day(programme, coverages)
        )
    ]
    month_sources = _rows(session, _by_month_and_source(programme, coverages))
    activities = activity_rows(session, _rows(session, _by_activity(programme, coverages)))
    areas, formats = areas_and_formats(session, activities)
    return EsfAggregates(
        participants_by_gender=_sum_by(people, key=0, value=2),
        minutes_by_gender=_sum_by(people, key=0, value=3),
        departments=unit_rows(session, _rows(session, _by_department(programme, coverages))),
        organisations=unit_rows(
            session,
            [
                (org, None, count, minutes)
                for org, count, minutes in _rows(session, _by_organisation(programme, coverages))
            ],
        ),
        months=_months(month_sources, people),
        sources={
            source: SourceRow(minutes=minutes, completions=done)
            for source, (minutes, done) in _sources(month_sources).items()
        },
        areas=areas,
        formats=formats,
        activities=activities,
    )


def _where(model: Any, programme: Programme, coverages: Iterable[Coverage]) -> ColumnElement[bool]:
    return and_(
        model.programme_id == programme.id,
        covered_by_all(coverages, model.organisation_key, model.department_key),
    )


def _people_by_gender_and_first_day(
    programme: Programme, coverages: Iterable[Coverage]
) -> Select[*tuple[Any, ...]]:
    """(gender, the day of the person's first counted completion, people, minutes): one pass
    over the person rows gives the gender split and the new participants per month (a few
    thousand rows at most; the months are taken in Python)."""
    person = (
        select(
            _P.user_id.label("user_id"),
            func.min(_P.first_on).label("first_on"),
            func.sum(_P.minutes).label("minutes"),
        )
        .where(_where(_P, programme, coverages))
        .group_by(_P.user_id)
        .subquery()
    )
    return (
        select(User.gender, person.c.first_on, func.count(), func.sum(person.c.minutes))
        .join(User, User.id == person.c.user_id)
        .group_by(User.gender, person.c.first_on)
    )


def _by_month_and_source(
    programme: Programme, coverages: Iterable[Coverage]
) -> Select[*tuple[Any, ...]]:
    return (
        select(_M.month, _M.source, func.sum(_M.minutes), func.sum(_M.completions))
        .where(_where(_M, programme, coverages))
        .group_by(_M.month, _M.source)
    )


def _by_department(programme: Programme, coverages: Iterable[Coverage]) -> Select[*tuple[Any, ...]]:
    return (
        select(_P.organisation_key, _P.department_key, func.count(), func.sum(_P.minutes))
        .where(_where(_P, programme, coverages))
        .group_by(_P.organisation_key, _P.department_key)
    )


def _by_organisation(
    programme: Programme, coverages: Iterable[Coverage]
) -> Select[*tuple[Any, ...]]:
    return (
        select(_P.organisation_key, func.count(_P.user_id.distinct()), func.sum(_P.minutes))
        .where(_where(_P, programme, coverages))
        .group_by(_P.organisation_key)
    )


def _by_activity(programme: Programme, coverages: Iterable[Coverage]) -> Select[*tuple[Any, ...]]:
    """(activity, people counted once per department, minutes, completions)."""
    return (
        select(
            _A.activity_key,
            func.sum(_A.participants),
            func.sum(_A.minutes),
            func.sum(_A.completions),
        )
        .where(_where(_A, programme, coverages))
        .group_by(_A.activity_key)
    )


def _rows(session: Session, stmt: Select[*tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Rows with every sum as int (PostgreSQL sums integers as bigint or numeric)."""
    return [
        tuple(int(value) if isinstance(value, Decimal) else value for value in row)
        for row in session.execute(stmt)
    ]


def _sum_by(rows: Iterable[tuple[Any, ...]], *, key: int, value: int) -> dict[Any, int]:
    totals: dict[Any, int] = {}
    for row in rows:
        totals[row[key]] = totals.get(row[key], 0) + int(row[value])
    return totals


def _months(
    month_sources: Iterable[tuple[Any, ...]], people: Iterable[tuple[Any, ...]]
) -> tuple[MonthRow, ...]:
    minutes = _sum_by(month_sources, key=0, value=2)
    newcomers = _sum_by(people, key=1, value=2)
    return tuple(
        MonthRow(month, minutes.get(month, 0), newcomers.get(month, 0))
        for month in sorted(minutes.keys() | newcomers.keys())
    )


def _sources(month_sources: Iterable[tuple[Any, ...]]) -> dict[str, tuple[int, int]]:
    totals: dict[str, tuple[int, int]] = {}
    for _month, source, minutes, done in month_sources:
        before = totals.get(source, (0, 0))
        totals[source] = (before[0] + int(minutes), before[1] + int(done))
    return totals
