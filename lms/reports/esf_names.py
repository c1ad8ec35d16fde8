"""Names for the ESF report's id-keyed aggregates (organisations, departments, activities) and
the competence-area and format splits derived from per-activity minutes. Shared by the raw
aggregates and the programme summaries, so both name and sort rows the same way.

Each function runs a constant number of queries (one per kind of name) however many rows.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from lms.accounts.models import Department, Organisation
from lms.catalog.models import Activity, ActivityCompetence
from lms.core.i18n import swedish_sort_key as sort_key
from lms.framework.models import Competence, CompetenceArea
from lms.reports.esf_data import ActivityRow, GroupRow, UnitRow

# (organisation id, department id, participants, minutes); None (or 0, the summary tables'
# key for "none") means no organisation / no department.
UnitTuple = tuple[int | None, int | None, int, int]
# (activity id or None, participants, minutes, completions)
ActivityTuple = tuple[int | None, int, int, int]


def unit_rows(session: Session, rows: Iterable[UnitTuple]) -> tuple[UnitRow, ...]:
    """Named rows in Swedish name order, organisation then department; the rows without a
    department (or organisation) after the named ones."""
    return units_and_organisations(session, rows, ())[0]


def units_and_organisations(
    session: Session, departments: Iterable[UnitTuple], organisations: Iterable[UnitTuple]
) -> tuple[tuple[UnitRow, ...], tuple[UnitRow, ...]]:
    """`unit_rows` of the department rows and of the organisation rows, looking each name
    up once."""
    groups = [[_keyed(row) for row in rows] for rows in (departments, organisations)]
    keyed = [row for group in groups for row in group]
    org_names = _names(session, Organisation, {org for org, *_ in keyed if org is not None})
    dept_names = _names(session, Department, {dept for _o, dept, *_ in keyed if dept is not None})
    named = [
        tuple(sorted((_named(row, org_names, dept_names) for row in group), key=_unit_order))
        for group in groups
    ]
    return named[0], named[1]


def _keyed(row: UnitTuple) -> UnitTuple:
    org, dept, people, minutes = row
    return org or None, dept or None, people, minutes


def _named(row: UnitTuple, org_names: dict[int, str], dept_names: dict[int, str]) -> UnitRow:
    org, dept, people, minutes = row
    return UnitRow(
        organisation_id=org,
        organisation=org_names.get(org, "") if org is not None else "",
        department_id=dept,
        department=dept_names.get(dept, "") if dept is not None else "",
        participants=people,
        minutes=minutes,
    )


def _unit_order(row: UnitRow) -> tuple[bool, str, bool, str, int, int]:
    return (
        row.organisation_id is None,
        sort_key(row.organisation),
        row.department_id is None,
        sort_key(row.department),
        row.organisation_id or 0,
        row.department_id or 0,
    )


def _names(
    session: Session, model: type[Organisation] | type[Department], ids: Collection[int]
) -> dict[int, str]:
    if not ids:
        return {}
    return _pairs(session, select(model.id, model.name).where(model.id.in_(sorted(ids))))


def _pairs(session: Session, stmt: Select[int, str]) -> dict[int, str]:
    return {key: value for key, value in session.execute(stmt)}


def activity_titles(session: Session, activity_ids: Collection[int | None]) -> dict[int, str]:
    """Activity id → title, for the ids given (None, learning outside the catalogue, has none:
    the display layer words it)."""
    ids = sorted({a for a in activity_ids if a})
    if not ids:
        return {}
    return _pairs(session, select(Activity.id, Activity.title).where(Activity.id.in_(ids)))


def activity_rows(session: Session, rows: Iterable[ActivityTuple]) -> tuple[ActivityRow, ...]:
    """Titled activity rows, most minutes first (then title); activity 0 is read as None."""
    keyed = [(activity or None, people, minutes, done) for activity, people, minutes, done in rows]
    titles = activity_titles(session, [activity for activity, *_ in keyed])
    named = [
        ActivityRow(
            activity_id=activity,
            title=titles.get(activity, "") if activity is not None else "",
            participants=people,
            minutes=minutes,
            completions=done,
        )
        for activity, people, minutes, done in keyed
    ]
    return tuple(sorted(named, key=lambda r: (-r.minutes, sort_key(r.title), r.activity_id or 0)))


@dataclass
class _Tally:
    name: str
    minutes: int = 0
    completions: int = 0

    def add(self, row: ActivityRow) -> None:
        self.minutes += row.minutes
        self.completions += row.completions


def areas_and_formats(
    session: Session, activities: Sequence[ActivityRow]
) -> tuple[tuple[GroupRow, ...], tuple[GroupRow, ...]]:
    """The competence-area split (by area code; an activity counts in each distinct area of
    its competences, so areas may add up to more than the total) and the format split (by
    minutes, most first; learning without an activity is format "" and in no area)."""
    ids = sorted({row.activity_id for row in activities if row.activity_id is not None})
    areas_of = _activity_areas(session, ids)
    formats_of = _activity_formats(session, ids)
    areas: dict[str, _Tally] = {}
    formats: dict[str, _Tally] = {}
    for row in activities:
        key = formats_of.get(row.activity_id, "") if row.activity_id is not None else ""
        formats.setdefault(key, _Tally(key)).add(row)
        for code, name in areas_of.get(row.activity_id, ()) if row.activity_id else ():
            areas.setdefault(code, _Tally(name)).add(row)
    area_rows = [GroupRow(code, t.name, t.minutes, t.completions) for code, t in areas.items()]
    format_rows = [GroupRow(key, t.name, t.minutes, t.completions) for key, t in formats.items()]
    return (
        tuple(sorted(area_rows, key=lambda r: _code_order(r.key))),
        tuple(sorted(format_rows, key=lambda r: (-r.minutes, r.key))),
    )


def _code_order(code: str) -> tuple[tuple[int, str], ...]:
    """Numeric parts in number order (area 2 before area 10), other parts after them."""
    return tuple((int(part), "") if part.isdigit() else (1 << 30, part) for part in code.split("."))


def _activity_areas(session: Session, ids: Sequence[int]) -> dict[int, list[tuple[str, str]]]:
    """Activity id → the distinct (code, name) of the areas of its competences."""
    if not ids:
        return {}
    stmt = (
        select(ActivityCompetence.activity_id, CompetenceArea.code, CompetenceArea.name)
        .join(Competence, Competence.id == ActivityCompetence.competence_id)
        .join(CompetenceArea, CompetenceArea.id == Competence.area_id)
        .where(ActivityCompetence.activity_id.in_(ids))
        .distinct()
    )
    found: dict[int, list[tuple[str, str]]] = {}
    for activity_id, code, name in session.execute(stmt):
        found.setdefault(activity_id, []).append((code, name))
    return found


def _activity_formats(session: Session, ids: Sequence[int]) -> dict[int, str]:
    if not ids:
        return {}
    return _pairs(session, select(Activity.id, Activity.format).where(Activity.id.in_(ids)))
