"""The assessment report of a round (DESIGN §5): the figures as a JSON-ready dict, CSV rows, and
the summary of every round for the reports' index. The page, the command and the CSV all use
these, so they show the same numbers."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from lms.assessment.models import AssessmentRound
from lms.reports import assessment_queries as queries
from lms.reports.assessment_metrics import RoundFigures, compute_round, response_rate
from lms.reports.esf_data import Coverage
from lms.reports.suppression import Cell, FigureKey, delta, suppress_group

ROUND_FIGURES = ("respondents", "response_rate", "share_with_needs", "high_motivation")
AREA_FIGURES = ("share_with_needs", "mean_rating", "high_motivation", "respondents")
COMPETENCE_FIGURES = ("share_with_needs", "mean_rating", "respondents")
# Differences between rounds: shares in percentage points, the mean rating as is. The number
# of respondents is not compared (both counts are in the report).
DELTA_SCALE = {
    "response_rate": 100.0,
    "share_with_needs": 100.0,
    "high_motivation": 100.0,
    "mean_rating": 1.0,
}
NO_DATA = Cell(None, 0)


def _level(
    figures: Mapping[FigureKey, Cell], level: str, code: str, names: tuple[str, ...]
) -> dict[str, Any]:
    """{figure: value, …, "suppressed": any hidden, "suppressed_figures": [the hidden ones]}."""
    cells = {name: figures.get((level, code, name), NO_DATA) for name in names}
    return _shown(cells)


def _shown(cells: Mapping[str, Cell]) -> dict[str, Any]:
    hidden = [name for name, cell in cells.items() if cell.suppressed]
    return {
        **{name: cell.shown_value for name, cell in cells.items()},
        "suppressed": bool(hidden),
        "suppressed_figures": hidden,
    }


def _codes(figures: Mapping[FigureKey, Cell], level: str) -> list[str]:
    """The area or competence codes present, in numeric order ("1.2" before "1.10")."""
    found = {code for (kind, code, _figure) in figures if kind == level}
    return sorted(found, key=lambda code: [int(p) if p.isdigit() else p for p in code.split(".")])


def _group(figures: Mapping[FigureKey, Cell]) -> dict[str, Any]:
    """The §5 shape of one group: headline figures, per area, per competence."""
    return {
        **_level(figures, "round", "", ROUND_FIGURES),
        "areas": {c: _level(figures, "area", c, AREA_FIGURES) for c in _codes(figures, "area")},
        "competences": {
            c: _level(figures, "competence", c, COMPETENCE_FIGURES)
            for c in _codes(figures, "competence")
        },
    }


def _deltas(
    this: Mapping[FigureKey, Cell], other: Mapping[FigureKey, Cell], level: str, code: str
) -> dict[str, Any]:
    names = {"round": ROUND_FIGURES, "area": AREA_FIGURES, "competence": COMPETENCE_FIGURES}
    return _shown(
        {
            name: delta(
                this.get((level, code, name), NO_DATA),
                other.get((level, code, name), NO_DATA),
                DELTA_SCALE[name],
            )
            for name in names[level]
            if name in DELTA_SCALE
        }
    )


def _compare(name: str, this: RoundFigures, other: RoundFigures) -> dict[str, Any]:
    """The other round in the §5 shape, with `delta_pp` (this − other) at every level."""
    shape = {"round": name, **_group(other.overall)}
    shape["delta_pp"] = _deltas(this.overall, other.overall, "round", "")
    for level, key in (("area", "areas"), ("competence", "competences")):
        for code, entry in shape[key].items():
            entry["delta_pp"] = _deltas(this.overall, other.overall, level, code)
    return shape


def _breakdowns(figures: RoundFigures) -> dict[str, list[dict[str, Any]]]:
    departments = [
        {
            "organisation": key[0] if key else None,
            "department": key[1] if key else None,
            **_group(group),
        }
        for key, group in figures.by_department.items()
    ]
    roles = [{"job_role": key, **_group(group)} for key, group in figures.by_job_role.items()]
    return {"by_department": departments, "by_job_role": roles}


def compute_round_figures(
    session: Session,
    round_: AssessmentRound,
    min_group_size: int,
    *,
    breakdowns: bool = True,
    coverage: Coverage | None = None,
) -> RoundFigures:
    """Load the round's rows within `coverage` (None: everyone; three queries) and compute its
    suppressed figures: groups are suppressed as they are within the coverage."""
    return compute_round(
        queries.list_rating_rows(session, round_.id, coverage),
        queries.list_round_people(session, round_.id, coverage),
        min_group_size,
        breakdowns=breakdowns,
    )


def build_assessment_report(
    session: Session,
    round_: AssessmentRound,
    compare: AssessmentRound | None = None,
    *,
    min_group_size: int,
    coverage: Coverage | None = None,
) -> dict[str, Any]:
    """The report of `round_` (DESIGN §5), compared with `compare` when given, counting only
    the people within the reader's `coverage` (None: everyone, as `lms report assessment`)."""
    figures = compute_round_figures(session, round_, min_group_size, coverage=coverage)
    report: dict[str, Any] = {"round": round_.name, **_group(figures.overall)}
    report["compare"] = None
    if compare is not None:
        other = compute_round_figures(
            session, compare, min_group_size, breakdowns=False, coverage=coverage
        )
        report["compare"] = _compare(compare.name, figures, other)
    report.update(_breakdowns(figures))
    report["competence_areas"] = figures.competence_areas
    report["min_group_size"] = min_group_size
    return report


@dataclass(frozen=True)
class RoundSummary:
    """A round on the reports' index: its respondents and response rate (suppressed alike)."""

    round: AssessmentRound
    respondents: Cell
    response_rate: Cell


def list_round_summaries(
    session: Session, min_group_size: int, coverage: Coverage | None = None
) -> list[RoundSummary]:
    """Every round (that targets anyone within `coverage`), newest first, with the same
    respondents and response rate as its report for that coverage (five queries whatever the
    number of rounds or people)."""
    rounds = queries.list_report_rounds(session, coverage)
    respondents = queries.count_respondents_by_round(session, coverage)
    rated = queries.count_applicable_ratings(session, coverage)
    population = queries.count_population_by_role(session, [r.id for r in rounds], coverage)
    expectations = queries.list_expectations(session)
    summaries = []
    for round_ in rounds:
        applicable: dict[int, int] = {}
        concerned = 0
        for role_id, people in population.get(round_.id, {}).items():
            competences = expectations.get(role_id, frozenset())
            concerned += people if competences else 0
            for competence_id in competences:
                applicable[competence_id] = applicable.get(competence_id, 0) + people
        count = respondents.get(round_.id, 0)
        figures = suppress_group(
            {
                ("round", "", "respondents"): Cell(count, count),
                ("round", "", "response_rate"): Cell(
                    response_rate(rated.get(round_.id, {}), applicable), concerned
                ),
            },
            min_group_size,
        )
        summaries.append(
            RoundSummary(
                round_,
                figures[("round", "", "respondents")],
                figures[("round", "", "response_rate")],
            )
        )
    return summaries


CSV_COLUMNS = (
    "scope",
    "organisation",
    "group",
    "area",
    "competence",
    "figure",
    "value",
    "suppressed",
    "compare_value",
    "compare_suppressed",
    "delta_pp",
)


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, float) else str(value)


def _figure_rows(
    entry: Mapping[str, Any], names: tuple[str, ...], other: Mapping[str, Any] | None
) -> Iterator[tuple[str, dict[str, Any]]]:
    deltas = (other or {}).get("delta_pp") or {}
    hidden_there = other.get("suppressed_figures", ()) if other else None
    for name in names:
        yield (
            name,
            {
                "value": entry.get(name),
                "suppressed": name in entry.get("suppressed_figures", ()),
                "compare_value": other.get(name) if other else None,
                "compare_suppressed": None if hidden_there is None else name in hidden_there,
                "delta_pp": deltas.get(name),
            },
        )


def _group_rows(
    group: Mapping[str, Any], base: dict[str, str], compare: Mapping[str, Any] | None
) -> Iterator[dict[str, str]]:
    levels: list[tuple[dict[str, str], Mapping[str, Any], tuple[str, ...], Any]] = [
        (base, group, ROUND_FIGURES, compare)
    ]
    for code, entry in group["areas"].items():
        other = (compare or {}).get("areas", {}).get(code)
        levels.append(({**base, "area": code}, entry, AREA_FIGURES, other))
    for code, entry in group["competences"].items():
        other = (compare or {}).get("competences", {}).get(code)
        area = group.get("competence_areas", {}).get(code, "")
        levels.append(
            ({**base, "area": area, "competence": code}, entry, COMPETENCE_FIGURES, other)
        )
    for where, entry, names, other in levels:
        for name, values in _figure_rows(entry, names, other):
            row = {**where, "figure": name, **{k: _csv_value(v) for k, v in values.items()}}
            yield {column: row.get(column, "") for column in CSV_COLUMNS}


def report_rows(report: Mapping[str, Any]) -> Iterator[dict[str, str]]:
    """The report as CSV rows, one per figure (columns: CSV_COLUMNS; see `report assessment`)."""
    areas = {"competence_areas": report.get("competence_areas", {})}
    yield from _group_rows({**report, **areas}, {"scope": "round"}, report.get("compare"))
    for entry in report["by_department"]:
        base = {
            "scope": "department",
            "organisation": entry["organisation"] or "",
            "group": entry["department"] or "",
        }
        yield from _group_rows({**entry, **areas}, base, None)
    for entry in report["by_job_role"]:
        base = {"scope": "job_role", "group": entry["job_role"] or ""}
        yield from _group_rows({**entry, **areas}, base, None)
