"""The ESF report as the page shows it: the report dict's numbers formatted in the reader's
language ("28 237,0" hours, "112,4 %" attainment) and laid out as key figures, tables and a
month chart. Nothing is recomputed here: every number on the page is one of the dict's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask_babel import format_decimal, format_percent, gettext

from lms.catalog.forms import FORMAT_LABELS

HOURS_FORMAT = "#,##0.0"
COUNT_FORMAT = "#,##0"
PERCENT_FORMAT = "#,##0.0\u00a0%"
GENDERS = ("women", "men", "non_binary", "not_stated")
SOURCES = ("catalogue", "attendance", "import", "external")


def count(value: int | None) -> str:
    return "" if value is None else format_decimal(value, format=COUNT_FORMAT)


def hours(value: float | None) -> str:
    """Hours with one decimal: 28237.0 → "28 237,0"."""
    return "" if value is None else format_decimal(value, format=HOURS_FORMAT)


def percent(fraction: float | None) -> str:
    """An attainment fraction as a percentage with one decimal: 1.1148 → "111,5 %"."""
    return "" if fraction is None else format_percent(fraction, format=PERCENT_FORMAT)


def gender_labels() -> dict[str, str]:
    return {
        "women": gettext("Women"),
        "men": gettext("Men"),
        "non_binary": gettext("Non-binary"),
        "not_stated": gettext("Gender not stated"),
    }


def source_labels() -> dict[str, str]:
    return {
        "catalogue": gettext("The catalogue"),
        "attendance": gettext("Attendance"),
        "import": gettext("Import"),
        "external": gettext("External training (approved)"),
    }


def format_label(key: str) -> str:
    """A catalogue format's name; "" is learning outside the catalogue."""
    if not key:
        return gettext("Outside the catalogue")
    label = next((label for fmt, label in FORMAT_LABELS.items() if fmt.value == key), None)
    return str(label) if label is not None else key


def organisation_label(name: str | None) -> str:
    return name if name is not None else gettext("No organisation")


def department_label(name: str | None) -> str:
    return name if name is not None else gettext("No department")


@dataclass(frozen=True)
class KeyFigure:
    """A headline figure with its target and how far it has come (fraction 1.0 = reached)."""

    key: str
    label: str
    value: str
    target: str | None
    attainment: str | None
    fraction: float | None


@dataclass(frozen=True)
class Column:
    label: str
    numeric: bool = True


@dataclass(frozen=True)
class Table:
    """A data table: the first `header_cells` cells of a row are its row headers."""

    id: str
    caption: str
    columns: Sequence[Column]
    rows: Sequence[Sequence[str]]
    total: Sequence[str] | None = None
    header_cells: int = 1


def key_figures(report: Mapping[str, Any]) -> list[KeyFigure]:
    targets = report["targets"] or {}
    reached = report["attainment"] or {}
    per_participant = report["hours"]["per_participant"]
    rows = [
        ("participants", gettext("Participants"), count(report["participants"]["total"])),
        ("hours", gettext("Hours"), hours(report["hours"]["total"])),
        ("hours_per_participant", gettext("Hours per participant"), hours(per_participant)),
    ]
    figures = []
    for key, label, value in rows:
        target = targets.get(key)
        fraction = reached.get(key)
        figures.append(
            KeyFigure(
                key=key,
                label=label,
                value=value or "–",
                target=_target(target),
                attainment=percent(fraction) if fraction is not None else None,
                fraction=fraction,
            )
        )
    return figures


def _target(value: float | None) -> str | None:
    """A whole-number target as a count ("18 920"), any other with one decimal ("18,0")."""
    if value is None:
        return None
    return count(value) if isinstance(value, int) else hours(value)


def gender_table(report: Mapping[str, Any]) -> Table:
    names = gender_labels()
    rows = [
        [names[key], count(report["participants"][key]), hours(report["hours_by_gender"][key])]
        for key in GENDERS
    ]
    total = [
        gettext("Total"),
        count(report["participants"]["total"]),
        hours(report["hours"]["total"]),
    ]
    columns = [Column(gettext("Gender"), numeric=False), Column(gettext("Participants"))]
    return Table(
        "by-gender",
        gettext("Participants and hours by gender"),
        [*columns, Column(gettext("Hours"))],
        rows,
        total,
    )


def department_table(report: Mapping[str, Any]) -> Table:
    rows = [
        [
            department_label(row["department"]),
            organisation_label(row["organisation"]),
            count(row["participants"]),
            hours(row["hours"]),
        ]
        for row in report["by_department"]
    ]
    columns = [
        Column(gettext("Department"), numeric=False),
        Column(gettext("Organisation"), numeric=False),
        Column(gettext("Participants")),
        Column(gettext("Hours")),
    ]
    return Table("by-department", gettext("Participants and hours by department"), columns, rows)


def organisation_table(report: Mapping[str, Any]) -> Table:
    rows = [
        [organisation_label(row["organisation"]), count(row["participants"]), hours(row["hours"])]
        for row in report["by_organisation"]
    ]
    columns = [
        Column(gettext("Organisation"), numeric=False),
        Column(gettext("Participants")),
        Column(gettext("Hours")),
    ]
    caption = gettext("Participants and hours by organisation")
    return Table("by-organisation", caption, columns, rows)


def month_table(report: Mapping[str, Any]) -> Table:
    rows = [
        [row["month"], hours(row["hours"]), count(row["new_participants"])]
        for row in report["by_month"]
    ]
    columns = [
        Column(gettext("Month"), numeric=False),
        Column(gettext("Hours")),
        Column(gettext("New participants")),
    ]
    return Table("by-month", gettext("Hours and new participants by month"), columns, rows)


def _group_table(table_id: str, caption: str, first: str, rows: list[list[str]]) -> Table:
    columns = [
        Column(first, numeric=False),
        Column(gettext("Hours")),
        Column(gettext("Completions")),
    ]
    return Table(table_id, caption, columns, rows)


def area_table(report: Mapping[str, Any]) -> Table:
    rows = [
        [
            f"{row['area']} {row['name']}".strip() or gettext("No competence area"),
            hours(row["hours"]),
            count(row["completions"]),
        ]
        for row in report["by_area"]
    ]
    caption = gettext("Hours and completions by competence area")
    return _group_table("by-area", caption, gettext("Competence area"), rows)


def format_table(report: Mapping[str, Any]) -> Table:
    rows = [
        [format_label(row["format"]), hours(row["hours"]), count(row["completions"])]
        for row in report["by_format"]
    ]
    caption = gettext("Hours and completions by format")
    return _group_table("by-format", caption, gettext("Format"), rows)


def source_table(report: Mapping[str, Any]) -> Table:
    names = source_labels()
    rows = [
        [
            names[key],
            hours(report["by_source"][key]),
            count(report["completions_by_source"][key]),
        ]
        for key in SOURCES
    ]
    caption = gettext("Hours and completions by source")
    return _group_table("by-source", caption, gettext("Source"), rows)


@dataclass(frozen=True)
class MonthBar:
    month: str
    text: str
    x: float
    y: float
    height: float
    label: str = ""  # written under the bar: the year at each January and at the start


@dataclass(frozen=True)
class MonthChart:
    """A column chart of hours per month, sized in SVG units (the template draws it)."""

    id: str
    title: str
    desc: str
    width: int
    height: int
    plot_top: int
    plot_bottom: int
    bar_width: float
    bars: Sequence[MonthBar] = field(default_factory=list)
    top_label: str = ""


SLOT, BAR, PLOT_TOP, PLOT_HEIGHT, LEFT = 16, 12, 24, 140, 8


def month_chart(report: Mapping[str, Any]) -> MonthChart:
    months = report["by_month"]
    largest = max((row["hours"] for row in months), default=0.0)
    bars = []
    for index, row in enumerate(months):
        height = row["hours"] / largest * PLOT_HEIGHT if largest else 0.0
        if row["hours"] > 0:
            height = max(height, 1.0)
        year, number = row["month"].split("-")
        first = index == 0 or number == "01"
        bars.append(
            MonthBar(
                month=row["month"],
                text=hours(row["hours"]),
                x=LEFT + index * SLOT + (SLOT - BAR) / 2,
                y=round(PLOT_TOP + PLOT_HEIGHT - height, 2),
                height=round(height, 2),
                label=year if first else "",
            )
        )
    title = gettext("Hours per month")
    desc = gettext(
        "Columns of the hours counted each month, from %(first)s to %(last)s; the highest is "
        "%(most)s hours. The table below has every month's figures.",
        first=months[0]["month"] if months else "",
        last=months[-1]["month"] if months else "",
        most=hours(largest),
    )
    return MonthChart(
        id="chart-months",
        title=title,
        desc=desc,
        width=max(LEFT * 2 + len(months) * SLOT, 200),
        height=PLOT_TOP + PLOT_HEIGHT + 22,
        plot_top=PLOT_TOP,
        plot_bottom=PLOT_TOP + PLOT_HEIGHT,
        bar_width=BAR,
        bars=bars,
        top_label=gettext("%(hours)s h", hours=hours(largest)),
    )


def page(report: Mapping[str, Any]) -> dict[str, Any]:
    """Everything the report page lays out, from the report dict."""
    return {
        "key_figures": key_figures(report),
        "gender_table": gender_table(report),
        "department_table": department_table(report),
        "organisation_table": organisation_table(report),
        "month_chart": month_chart(report),
        "month_table": month_table(report),
        "area_table": area_table(report),
        "format_table": format_table(report),
        "source_table": source_table(report),
    }
