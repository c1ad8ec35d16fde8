"""The ESF report (DESIGN §4, §5) for a programme or any period: what is counted, where the
aggregates come from (a programme's summary tables when built, else the completions), and the
report dict that the page, the exports and `report esf` all show.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.accounts.models import Department, Organisation
from lms.core.errors import NotFound, ValidationError
from lms.core.i18n import _l
from lms.reports.esf_data import Coverage, EsfAggregates, EsfFilter
from lms.reports.esf_metrics import build_report
from lms.reports.esf_queries import raw_aggregates
from lms.reports.esf_summary import summary_aggregates
from lms.reports.models import Programme
from lms.reports.programmes import programme_coverage


class InvalidPeriod(ValidationError):
    """The period ends before it starts, or lies outside the programme's period."""


def esf_filter_for(
    *,
    programme: Programme | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    coverage: Coverage | None = None,
    department_id: int | None = None,
) -> EsfFilter:
    """What the report counts. A programme gives its period and coverage (dates, when given,
    may narrow the period within it); without one both dates are needed. `coverage` is the
    reader's (None: everything); `department_id` limits the report to one department."""
    date_from, date_to = _period(programme, date_from, date_to)
    coverages: list[Coverage] = []
    if programme is not None:
        coverages.append(programme_coverage(programme))
    if coverage is not None:
        coverages.append(coverage)
    if department_id is not None:
        coverages.append(Coverage(department_ids=frozenset({department_id})))
    return EsfFilter(date_from=date_from, date_to=date_to, coverages=tuple(coverages))


def _period(
    programme: Programme | None, date_from: date | None, date_to: date | None
) -> tuple[date, date]:
    if programme is not None:
        date_from = date_from or programme.starts_on
        date_to = date_to or programme.ends_on
    if date_from is None or date_to is None:
        raise ValueError("the ESF report needs a programme or both dates of a period")
    if date_from > date_to:
        raise InvalidPeriod(_l("The period must start on or before the day it ends."))
    if programme is not None and (date_from < programme.starts_on or date_to > programme.ends_on):
        raise InvalidPeriod(_l("The period must lie within the programme's period."))
    return date_from, date_to


def load_aggregates(
    session: Session,
    *,
    programme: Programme | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    coverage: Coverage | None = None,
    department_id: int | None = None,
) -> tuple[EsfFilter, EsfAggregates]:
    """The filter and its aggregates: from the programme's summary tables when they are built
    and the period is the programme's whole period, else straight from the completions."""
    esf_filter = esf_filter_for(
        programme=programme,
        date_from=date_from,
        date_to=date_to,
        coverage=coverage,
        department_id=department_id,
    )
    if programme is not None and _summary_covers(programme, esf_filter):
        return esf_filter, summary_aggregates(session, programme, esf_filter.coverages)
    return esf_filter, raw_aggregates(session, esf_filter)


def _summary_covers(programme: Programme, esf_filter: EsfFilter) -> bool:
    return (
        programme.summary_built_at is not None
        and esf_filter.date_from == programme.starts_on
        and esf_filter.date_to == programme.ends_on
    )


def build_esf_report(
    session: Session,
    *,
    programme: Programme | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    coverage: Coverage | None = None,
    department_id: int | None = None,
) -> dict[str, Any]:
    """The report dict of DESIGN §5 (with its stable extras) for a programme or a period,
    limited to the reader's coverage and, when given, one department (an unknown department
    is NotFound; one outside the coverage simply counts nothing)."""
    department_filter = _department_filter(session, department_id)
    esf_filter, aggregates = load_aggregates(
        session,
        programme=programme,
        date_from=date_from,
        date_to=date_to,
        coverage=coverage,
        department_id=department_id,
    )
    return build_report(
        aggregates,
        date_from=esf_filter.date_from,
        date_to=esf_filter.date_to,
        programme_slug=programme.slug if programme is not None else None,
        targets=programme_targets(programme) if programme is not None else None,
        department_filter=department_filter,
    )


def programme_targets(programme: Programme) -> dict[str, float | None]:
    """The report's "targets" of a programme (a figure without a target is None)."""
    return {
        "participants": programme.target_participants,
        "hours": programme.target_hours,
        "hours_per_participant": programme.target_hours_per_participant,
    }


def _department_filter(session: Session, department_id: int | None) -> dict[str, Any] | None:
    if department_id is None:
        return None
    names = session.execute(
        select(Organisation.name, Department.name)
        .join(Organisation, Organisation.id == Department.organisation_id)
        .where(Department.id == department_id)
    ).first()
    if names is None:
        raise NotFound(_l("Unknown department."))
    return {"id": department_id, "organisation": names[0], "department": names[1]}
