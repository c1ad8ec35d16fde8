"""The ESF report's figures (DESIGN §4, §5) built from SQL aggregates: pure, plain data in and out.

Minutes are integers until here; hours are minutes / 60, unrounded (the pages round). Every
month the period touches is present, with zeros where nothing was counted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from lms.reports.esf_data import SOURCES, EsfAggregates, GroupRow, MonthRow, UnitRow

# users.gender value → the report's key (DESIGN §5).
GENDER_KEYS = {"woman": "women", "man": "men", "non_binary": "non_binary", "unstated": "not_stated"}
TARGET_KEYS = ("participants", "hours", "hours_per_participant")


def month_range(date_from: date, date_to: date) -> list[str]:
    """Each month ("YYYY-MM") the period touches, in order; empty when from > to."""
    months = []
    year, month = date_from.year, date_from.month
    while (year, month) <= (date_to.year, date_to.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def attainment(actual: float | None, target: float | None) -> float | None:
    """actual ÷ target as a fraction (1.0 = reached); None without a target or a figure."""
    if actual is None or target is None or target <= 0:
        return None
    return actual / target


def hours(minutes: int) -> float:
    return minutes / 60


def build_report(
    aggregates: EsfAggregates,
    *,
    date_from: date,
    date_to: date,
    programme_slug: str | None,
    targets: Mapping[str, float | None] | None,
    department_filter: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The report dict of `report esf --format json`: DESIGN §5's keys and the stable extras."""
    participants = _participants(aggregates.participants_by_gender)
    total_minutes = sum(row.minutes for row in aggregates.sources.values())
    per_participant = (
        hours(total_minutes) / participants["total"] if participants["total"] else None
    )
    return {
        "period": {"from": date_from.isoformat(), "to": date_to.isoformat()},
        "programme": programme_slug,
        "participants": participants,
        "hours": {"total": hours(total_minutes), "per_participant": per_participant},
        "targets": dict(targets) if targets is not None else None,
        "by_department": [_department(row) for row in aggregates.departments],
        "by_month": _months(aggregates.months, date_from, date_to),
        "by_source": {s: hours(_source(aggregates, s)[0]) for s in SOURCES},
        "attainment": _attainment(targets, participants["total"], total_minutes, per_participant),
        "hours_by_gender": {
            key: hours(aggregates.minutes_by_gender.get(gender, 0))
            for gender, key in GENDER_KEYS.items()
        },
        "by_organisation": [_organisation(row) for row in aggregates.organisations],
        "by_area": [_area(row) for row in aggregates.areas],
        "by_format": [_format(row) for row in aggregates.formats],
        "completions_by_source": {s: _source(aggregates, s)[1] for s in SOURCES},
        "department_filter": dict(department_filter) if department_filter is not None else None,
    }


def _participants(by_gender: Mapping[str, int]) -> dict[str, int]:
    """Everyone has exactly one gender, so the total is the sum of the genders."""
    counts = {key: by_gender.get(gender, 0) for gender, key in GENDER_KEYS.items()}
    return {"total": sum(counts.values()), **counts}


def _source(aggregates: EsfAggregates, source: str) -> tuple[int, int]:
    row = aggregates.sources.get(source)
    return (row.minutes, row.completions) if row is not None else (0, 0)


def _attainment(
    targets: Mapping[str, float | None] | None,
    participants: int,
    minutes: int,
    per_participant: float | None,
) -> dict[str, float | None] | None:
    if targets is None:
        return None
    actual: dict[str, float | None] = {
        "participants": participants,
        "hours": hours(minutes),
        "hours_per_participant": per_participant,
    }
    return {key: attainment(actual[key], targets.get(key)) for key in TARGET_KEYS}


def _months(rows: Iterable[MonthRow], date_from: date, date_to: date) -> list[dict[str, Any]]:
    found = {row.month: row for row in rows}
    empty = MonthRow(month="", minutes=0, new_participants=0)
    return [
        {
            "month": month,
            "hours": hours(found.get(month, empty).minutes),
            "new_participants": found.get(month, empty).new_participants,
        }
        for month in month_range(date_from, date_to)
    ]


def _department(row: UnitRow) -> dict[str, Any]:
    return {
        "organisation": row.organisation if row.organisation_id is not None else None,
        "department": row.department if row.department_id is not None else None,
        "participants": row.participants,
        "hours": hours(row.minutes),
    }


def _organisation(row: UnitRow) -> dict[str, Any]:
    return {
        "organisation": row.organisation if row.organisation_id is not None else None,
        "participants": row.participants,
        "hours": hours(row.minutes),
    }


def _area(row: GroupRow) -> dict[str, Any]:
    return {
        "area": row.key,
        "name": row.name,
        "hours": hours(row.minutes),
        "completions": row.completions,
    }


def _format(row: GroupRow) -> dict[str, Any]:
    return {"format": row.key, "hours": hours(row.minutes), "completions": row.completions}
