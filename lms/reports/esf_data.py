"""Plain data of the ESF report: what is counted (`EsfFilter`) and the SQL aggregates the report
is built from (`EsfAggregates`). No database, no Flask: the contract between the two ways of
aggregating (straight from completions, or from a programme's summary tables) and the pure
report builder.

Minutes stay integers all the way; hours (minutes / 60) appear only in the built report.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from lms.accounts.coverage import Coverage  # re-exported: the reports use it from here

GENDERS = ("woman", "man", "non_binary", "unstated")  # users.gender values
SOURCES = ("catalogue", "attendance", "import", "external")  # completions.source values


@dataclass(frozen=True)
class EsfFilter:
    """Counted completions dated `date_from`–`date_to` (inclusive, Stockholm dates) that pass
    every coverage (the programme's, the reader's scope, a chosen department); no coverages
    means every organisation."""

    date_from: date
    date_to: date
    coverages: tuple[Coverage, ...] = ()


@dataclass(frozen=True)
class UnitRow:
    """People and minutes of one department (department_id None: the organisation's people
    without a department) or, in `EsfAggregates.organisations`, one organisation."""

    organisation_id: int | None
    organisation: str
    department_id: int | None
    department: str
    participants: int
    minutes: int


@dataclass(frozen=True)
class MonthRow:
    month: str  # "2023-09"
    minutes: int
    new_participants: int  # people whose first counted completion in the filter is this month


@dataclass(frozen=True)
class SourceRow:
    minutes: int
    completions: int


@dataclass(frozen=True)
class GroupRow:
    """Minutes and completions of a competence area (key = area code) or a format (key =
    format value; "" for learning outside the catalogue)."""

    key: str
    name: str
    minutes: int
    completions: int


@dataclass(frozen=True)
class ActivityRow:
    """One activity's people and minutes (activity_id None: learning outside the catalogue).
    People are counted once per department they completed it in."""

    activity_id: int | None
    title: str
    participants: int
    minutes: int
    completions: int


@dataclass(frozen=True)
class EsfAggregates:
    """Everything the ESF report needs, aggregated in SQL. Months with nothing are absent
    (the builder fills the period); rows are sorted by name / month / minutes as noted."""

    participants_by_gender: Mapping[str, int] = field(default_factory=dict)  # GENDERS keys
    minutes_by_gender: Mapping[str, int] = field(default_factory=dict)
    departments: tuple[UnitRow, ...] = ()  # by organisation name, department name
    organisations: tuple[UnitRow, ...] = ()  # by organisation name; department_id None
    months: tuple[MonthRow, ...] = ()  # ascending
    sources: Mapping[str, SourceRow] = field(default_factory=dict)  # SOURCES keys
    areas: tuple[GroupRow, ...] = ()  # by area code; an activity counts in each of its areas
    formats: tuple[GroupRow, ...] = ()  # by minutes descending
    activities: tuple[ActivityRow, ...] = ()  # every activity with counted minutes
