"""The assessment report as the page shows it: the report's numbers rounded for reading, laid
out as tables and bar charts (each chart with its data table). Rounding happens only here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import format_decimal, format_percent, gettext, ngettext

from lms.reports.assessment_report import (
    AREA_FIGURES,
    COMPETENCE_FIGURES,
    ROUND_FIGURES,
    RoundSummary,
)

SHARES = {"response_rate", "share_with_needs", "high_motivation"}
TOP_LEVEL = 5  # the highest rating, where a mean rating's bar ends


@dataclass(frozen=True)
class Shown:
    """One figure ready to print: its text, whether it is hidden, where its bar ends (0–1)."""

    text: str
    suppressed: bool = False
    fraction: float | None = None


@dataclass(frozen=True)
class Row:
    header: str
    cells: list[Shown]


@dataclass(frozen=True)
class Table:
    caption: str
    columns: list[str]  # the first heads the row headers
    rows: list[Row]

    @property
    def has_suppressed(self) -> bool:
        return any(cell.suppressed for row in self.rows for cell in row.cells)


@dataclass(frozen=True)
class Chart:
    """A horizontal bar chart: one bar per series for each row, with its data table."""

    id: str
    title: str
    desc: str
    series: list[str]
    bars: list[Row]
    table: Table


@dataclass(frozen=True)
class Headline:
    label: str
    value: Shown
    compare: Shown | None
    delta: Shown | None


HIDDEN = Shown("–", suppressed=True)
EMPTY = Shown("")


def labels() -> dict[str, str]:
    return {
        "respondents": gettext("Respondents"),
        "response_rate": gettext("Response rate"),
        "share_with_needs": gettext("Share with needs"),
        "high_motivation": gettext("High motivation"),
        "mean_rating": gettext("Mean rating (1–5)"),
    }


def show(entry: Mapping[str, Any] | None, figure: str) -> Shown:
    """The figure of a report level (`entry`) as text: "29 %", "3,4", "120" or "–"."""
    if entry is None:
        return EMPTY
    if figure in entry.get("suppressed_figures", ()):
        return HIDDEN
    value = entry.get(figure)
    if value is None:
        return EMPTY
    if figure in SHARES:
        return Shown(format_percent(value), fraction=value)
    if figure == "mean_rating":
        return Shown(format_decimal(value, format="0.0"), fraction=value / TOP_LEVEL)
    return Shown(format_decimal(value))


def show_delta(entry: Mapping[str, Any] | None, figure: str) -> Shown:
    """A difference between rounds: "−5 procentenheter" for shares, "+0,3" for the mean."""
    deltas = (entry or {}).get("delta_pp")
    if deltas is None:
        return EMPTY
    if figure in deltas.get("suppressed_figures", ()):
        return HIDDEN
    value = deltas.get(figure)
    if value is None:
        return EMPTY
    if figure == "mean_rating":
        rounded = round(value, 1)
        return Shown(_signed(rounded, format_decimal(abs(rounded), format="0.0")))
    points = round(value)
    return Shown(
        ngettext(
            "%(points)s percentage point",
            "%(points)s percentage points",
            abs(points),
            points=_signed(points, format_decimal(abs(points))),
        )
    )


def _signed(value: float, text: str) -> str:
    return ("−" if value < 0 else "+" if value > 0 else "±") + text


def headline(report: Mapping[str, Any]) -> list[Headline]:
    compare = report["compare"]
    return [
        Headline(
            labels()[figure],
            show(report, figure),
            show(compare, figure) if compare else None,
            show_delta(compare, figure) if compare and figure != "respondents" else None,
        )
        for figure in ROUND_FIGURES
    ]


def _series(report: Mapping[str, Any]) -> list[str]:
    compare = report["compare"]
    return [report["round"], compare["round"]] if compare else [report["round"]]


def _comparison_columns(report: Mapping[str, Any]) -> list[str]:
    if not report["compare"]:
        return [report["round"]]
    return [report["round"], report["compare"]["round"], gettext("Difference")]


def area_chart(report: Mapping[str, Any], figure: str, names: Mapping[str, str]) -> Chart:
    """Bars per competence area for one figure, this round and the compared one."""
    compare = report["compare"] or {}
    rows, bars = [], []
    for code, entry in report["areas"].items():
        other = compare.get("areas", {}).get(code) if compare else None
        label = f"{code} {names.get(code, '')}".strip()
        values = [show(entry, figure)] + ([show(other, figure)] if compare else [])
        deltas = [show_delta(other, figure)] if compare else []
        rows.append(Row(label, [*values, *deltas, show(entry, "respondents")]))
        bars.append(Row(label, values))
    title = {
        "share_with_needs": gettext("Share with needs per competence area"),
        "high_motivation": gettext("High motivation per competence area"),
        "mean_rating": gettext("Mean rating per competence area"),
    }[figure]
    columns = [gettext("Competence area"), *_comparison_columns(report)]
    table = Table(title, [*columns, gettext("Respondents")], rows)
    return Chart(f"chart-{figure}", title, _desc(report, title), _series(report), bars, table)


def _desc(report: Mapping[str, Any], title: str) -> str:
    if report["compare"]:
        return gettext(
            "%(title)s: bars for %(round)s and, hatched, %(other)s. The table below has the "
            "figures.",
            title=title,
            round=report["round"],
            other=report["compare"]["round"],
        )
    return gettext(
        "%(title)s in %(round)s. The table below has the figures.",
        title=title,
        round=report["round"],
    )


def competence_chart(report: Mapping[str, Any], names: Mapping[str, str]) -> Chart:
    """Share with needs per competence (bars) with every competence figure in its table."""
    compare = report["compare"] or {}
    rows, bars = [], []
    for code, entry in report["competences"].items():
        other = compare.get("competences", {}).get(code) if compare else None
        label = f"{code} {names.get(code, '')}".strip()
        cells = [show(entry, figure) for figure in COMPETENCE_FIGURES]
        if compare:
            cells += [show(other, "share_with_needs"), show_delta(other, "share_with_needs")]
            cells += [show(other, "mean_rating"), show_delta(other, "mean_rating")]
        rows.append(Row(label, cells))
        bars.append(
            Row(
                label,
                [show(entry, "share_with_needs")]
                + ([show(other, "share_with_needs")] if compare else []),
            )
        )
    title = gettext("Share with needs per sub-competence")
    names_ = labels()
    columns = [gettext("Sub-competence"), *(names_[f] for f in COMPETENCE_FIGURES)]
    if compare:
        columns += [
            f"{names_['share_with_needs']}, {compare['round']}",
            gettext("Difference"),
            f"{names_['mean_rating']}, {compare['round']}",
            gettext("Difference"),
        ]
    table = Table(gettext("Figures per sub-competence"), columns, rows)
    return Chart("chart-competences", title, _desc(report, title), _series(report), bars, table)


def _group_label(group: Mapping[str, Any]) -> str:
    if "job_role" in group:
        return group["job_role"] or gettext("No job role")
    if group["department"] is None:
        return gettext("No department")
    return f"{group['department']} ({group['organisation']})"


def breakdown(
    report: Mapping[str, Any], key: str, areas: Mapping[str, str], competences: Mapping[str, str]
) -> list[Table]:
    """The tables of one breakdown: headline figures per group, then each area and competence
    figure per group (groups as rows, areas or competences as columns)."""
    groups = report[key]
    by_role = key == "by_job_role"
    header = gettext("Job role") if by_role else gettext("Department")
    names = labels()
    tables = [
        Table(
            gettext("Figures by job role") if by_role else gettext("Figures by department"),
            [header, *(names[figure] for figure in ROUND_FIGURES)],
            [Row(_group_label(g), [show(g, f) for f in ROUND_FIGURES]) for g in groups],
        )
    ]
    for level, figures, titles in (
        ("areas", AREA_FIGURES, areas),
        ("competences", COMPETENCE_FIGURES, competences),
    ):
        codes = list(report[level])
        for figure in figures:
            caption = (
                gettext("%(figure)s per competence area", figure=names[figure])
                if level == "areas"
                else gettext("%(figure)s per sub-competence", figure=names[figure])
            )
            columns = [header, *(f"{code} {titles.get(code, '')}".strip() for code in codes)]
            rows = [
                Row(_group_label(g), [show(g[level].get(code), figure) for code in codes])
                for g in groups
            ]
            tables.append(Table(caption, columns, rows))
    return tables


def page(
    report: Mapping[str, Any], areas: Mapping[str, str], competences: Mapping[str, str]
) -> dict[str, Any]:
    """Everything the report page lays out, from the report dict (nothing recomputed)."""
    return {
        "headline": headline(report),
        "area_charts": [
            area_chart(report, figure, areas)
            for figure in ("share_with_needs", "high_motivation", "mean_rating")
        ],
        "competence_chart": competence_chart(report, competences),
        "by_department": breakdown(report, "by_department", areas, competences),
        "by_job_role": breakdown(report, "by_job_role", areas, competences),
    }


@dataclass(frozen=True)
class RoundLine:
    """A round on the index: its respondents and response rate as text."""

    respondents: Shown
    response_rate: Shown


def round_lines(summaries: list[RoundSummary]) -> dict[int, RoundLine]:
    def cell(summary: RoundSummary, figure: str) -> Shown:
        found = getattr(summary, figure)
        hidden = [figure] if found.suppressed else []
        return show({figure: found.shown_value, "suppressed_figures": hidden}, figure)

    return {
        s.round.id: RoundLine(cell(s, "respondents"), cell(s, "response_rate")) for s in summaries
    }


@dataclass(frozen=True)
class Scope:
    """What a reader's figures cover, as the page states it: "Avgränsning: Kulturförvaltningen",
    "Avdelning: Stadsbiblioteket (Kulturförvaltningen)". No lines: the scope covers nobody."""

    lines: list[str]

    @property
    def covers_nobody(self) -> bool:
        return not self.lines


def scope(organisations: list[str], departments: list[tuple[str, str]]) -> Scope:
    """The scope's lines from its organisations' names and its (department, organisation)
    names."""
    lines = []
    if organisations:
        lines.append(gettext("Scope: %(names)s", names=", ".join(organisations)))
    if departments:
        names = ", ".join(
            f"{department} ({organisation})" for department, organisation in departments
        )
        if len(departments) == 1:
            lines.append(gettext("Department: %(names)s", names=names))
        else:
            lines.append(gettext("Departments: %(names)s", names=names))
    return Scope(lines)
