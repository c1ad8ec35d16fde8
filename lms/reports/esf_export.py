"""The ESF report as files: one flat CSV table and an XLSX workbook with a sheet per split,
from the same report dict the page and `report esf --format json` show (numbers unrounded).

The CSV has one row per figure, with these columns in this order (headers in the reader's
language, Swedish by default):

    section           what the row belongs to: report, summary, gender, department,
                      organisation, month, area, format, source (translated)
    key               a stable key: programme / period_from / period_to / department_filter;
                      participants / hours / hours_per_participant; women / men / non_binary /
                      not_stated / total; the month "2023-09"; the area code; the format value
                      ("" outside the catalogue); catalogue / attendance / import / external
    name              what the row is called (a department, an area, "Kvinnor" …; for the
                      report rows its value: the programme's slug, a date)
    organisation      the department's organisation (department rows only)
    participants      distinct people
    hours             counted hours (the summary's hours_per_participant row holds that figure)
    completions       counted completions (area, format and source rows)
    new_participants  people whose first counted completion is in the month (month rows)
    target            the programme's target (summary rows)
    attainment        the figure ÷ its target as a fraction, 1 = reached (summary rows)

Empty cells mean "not applicable". With `;` as separator the decimals are written with a
comma, as Excel in Swedish expects.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date
from typing import Any

from flask_babel import gettext

from lms.reports import esf_display as display
from lms.reports.esf_people import PersonMonth
from lms.reports.exports import PERCENT_FORMAT, Sheet, csv_bytes, xlsx_bytes

COLUMNS = (
    "section", "key", "name", "organisation", "participants", "hours", "completions",
    "new_participants", "target", "attainment",
)  # fmt: skip
FIGURES = ("participants", "hours", "hours_per_participant")


def csv_header() -> list[str]:
    return [
        gettext("Section"),
        gettext("Key"),
        gettext("Name"),
        gettext("Organisation"),
        gettext("Participants"),
        gettext("Hours"),
        gettext("Completions"),
        gettext("New participants"),
        gettext("Target"),
        gettext("Attainment"),
    ]


def _row(section: str, key: str, name: str | None, **values: Any) -> list[Any]:
    cells: dict[str, Any] = {"section": section, "key": key, "name": name, **values}
    return [cells.get(column) for column in COLUMNS]


def _department_name(report: Mapping[str, Any]) -> str | None:
    chosen = report.get("department_filter")
    return f"{chosen['department']} ({chosen['organisation']})" if chosen else None


def _figure_value(report: Mapping[str, Any], figure: str) -> int | float | None:
    if figure == "participants":
        return int(report["participants"]["total"])
    if figure == "hours":
        return float(report["hours"]["total"])
    return report["hours"]["per_participant"]


def _summary_rows(report: Mapping[str, Any]) -> Iterator[list[Any]]:
    section = gettext("Report")
    yield _row(section, "programme", report["programme"])
    yield _row(section, "period_from", report["period"]["from"])
    yield _row(section, "period_to", report["period"]["to"])
    if report.get("department_filter"):
        yield _row(section, "department_filter", _department_name(report))
    section = gettext("Summary")
    targets, reached = report["targets"] or {}, report["attainment"] or {}
    names = _figure_labels()
    for figure in FIGURES:
        column = "participants" if figure == "participants" else "hours"
        yield _row(
            section,
            figure,
            names[figure],
            **{column: _figure_value(report, figure)},
            target=targets.get(figure),
            attainment=reached.get(figure),
        )


def _figure_labels() -> dict[str, str]:
    return {
        "participants": gettext("Participants"),
        "hours": gettext("Hours"),
        "hours_per_participant": gettext("Hours per participant"),
    }


def _split_rows(report: Mapping[str, Any]) -> Iterator[list[Any]]:
    genders = display.gender_labels()
    for key in display.GENDERS:
        yield _row(
            gettext("Gender"),
            key,
            genders[key],
            participants=report["participants"][key],
            hours=report["hours_by_gender"][key],
        )
    for row in report["by_department"]:
        yield _row(
            gettext("Department"),
            "",
            display.department_label(row["department"]),
            organisation=display.organisation_label(row["organisation"]),
            participants=row["participants"],
            hours=row["hours"],
        )
    for row in report["by_organisation"]:
        name = display.organisation_label(row["organisation"])
        section = gettext("Organisation")
        yield _row(section, "", name, participants=row["participants"], hours=row["hours"])
    for row in report["by_month"]:
        section, month = gettext("Month"), row["month"]
        yield _row(
            section, month, month, hours=row["hours"], new_participants=row["new_participants"]
        )


def _group_rows(report: Mapping[str, Any]) -> Iterator[list[Any]]:
    for row in report["by_area"]:
        name = row["name"] or gettext("No competence area")
        yield _row(
            gettext("Competence area"),
            row["area"],
            name,
            hours=row["hours"],
            completions=row["completions"],
        )
    for row in report["by_format"]:
        yield _row(
            gettext("Format"),
            row["format"],
            display.format_label(row["format"]),
            hours=row["hours"],
            completions=row["completions"],
        )
    sources = display.source_labels()
    for key in display.SOURCES:
        yield _row(
            gettext("Source"),
            key,
            sources[key],
            hours=report["by_source"][key],
            completions=report["completions_by_source"][key],
        )


def report_rows(report: Mapping[str, Any]) -> list[list[Any]]:
    """The report as the CSV's rows (see the module docstring for the columns)."""
    return [*_summary_rows(report), *_split_rows(report), *_group_rows(report)]


def report_csv(report: Mapping[str, Any], *, delimiter: str = ",") -> bytes:
    """The whole report as one CSV table (UTF-8 with BOM)."""
    return csv_bytes(
        csv_header(), report_rows(report), delimiter=delimiter, decimal_comma=delimiter == ";"
    )


# --- the per-person listing ------------------------------------------------------------------


def person_gender_labels() -> dict[str, str]:
    return {
        "woman": gettext("Woman"),
        "man": gettext("Man"),
        "non_binary": gettext("Non-binary person"),
        "unstated": gettext("Not stated"),
    }


def people_header() -> list[str]:
    return [
        gettext("Name"),
        gettext("E-mail"),
        gettext("Gender"),
        gettext("Organisation"),
        gettext("Department"),
        gettext("Month"),
        gettext("Hours"),
    ]


def people_rows(people: Iterable[PersonMonth]) -> Iterator[list[Any]]:
    """Name, e-mail, gender, organisation and department at completion, month, hours."""
    genders = person_gender_labels()
    for row in people:
        yield [
            row.name,
            row.email,
            genders.get(row.gender, row.gender),
            display.organisation_label(row.organisation),
            display.department_label(row.department),
            row.month,
            row.hours,
        ]


def people_csv(people: Iterable[PersonMonth], *, delimiter: str = ",") -> bytes:
    """The per-person listing as CSV (UTF-8 with BOM)."""
    return csv_bytes(
        people_header(), people_rows(people), delimiter=delimiter, decimal_comma=delimiter == ";"
    )


# --- the workbook ----------------------------------------------------------------------------


def _summary_sheet(report: Mapping[str, Any], title: str | None) -> Sheet:
    targets, reached = report["targets"] or {}, report["attainment"] or {}
    rows: list[Sequence[Any]] = [
        [gettext("Programme"), title or report["programme"] or gettext("Any period")],
        [gettext("From"), date.fromisoformat(report["period"]["from"])],
        [gettext("To"), date.fromisoformat(report["period"]["to"])],
    ]
    if report.get("department_filter"):
        rows.append([gettext("Department"), _department_name(report)])
    names = _figure_labels()
    rows += [[names[f], _figure_value(report, f), targets.get(f), reached.get(f)] for f in FIGURES]
    header = [gettext("Figure"), gettext("Value"), gettext("Target"), gettext("Attainment")]
    return Sheet(gettext("Summary"), header, rows, {3: PERCENT_FORMAT})


def _tables(report: Mapping[str, Any]) -> list[Sheet]:
    genders = display.gender_labels()
    gender_rows = [
        [genders[key], report["participants"][key], report["hours_by_gender"][key]]
        for key in display.GENDERS
    ]
    gender_rows.append(
        [gettext("Total"), report["participants"]["total"], report["hours"]["total"]]
    )
    people, hours = gettext("Participants"), gettext("Hours")
    return [
        Sheet(gettext("By gender"), [gettext("Gender"), people, hours], gender_rows),
        Sheet(
            gettext("By department"),
            [gettext("Organisation"), gettext("Department"), people, hours],
            [
                [
                    display.organisation_label(row["organisation"]),
                    display.department_label(row["department"]),
                    row["participants"],
                    row["hours"],
                ]
                for row in report["by_department"]
            ],
        ),
        Sheet(
            gettext("By organisation"),
            [gettext("Organisation"), people, hours],
            [
                [display.organisation_label(row["organisation"]), row["participants"], row["hours"]]
                for row in report["by_organisation"]
            ],
        ),
        Sheet(
            gettext("By month"),
            [gettext("Month"), hours, gettext("New participants")],
            [[row["month"], row["hours"], row["new_participants"]] for row in report["by_month"]],
        ),
    ]


def _group_sheets(report: Mapping[str, Any]) -> list[Sheet]:
    hours, done = gettext("Hours"), gettext("Completions")
    sources = display.source_labels()
    return [
        Sheet(
            gettext("By competence area"),
            [gettext("Code"), gettext("Competence area"), hours, done],
            [[r["area"], r["name"], r["hours"], r["completions"]] for r in report["by_area"]],
        ),
        Sheet(
            gettext("By format"),
            [gettext("Format"), hours, done],
            [
                [display.format_label(r["format"]), r["hours"], r["completions"]]
                for r in report["by_format"]
            ],
        ),
        Sheet(
            gettext("By source"),
            [gettext("Source"), hours, done],
            [
                [sources[k], report["by_source"][k], report["completions_by_source"][k]]
                for k in display.SOURCES
            ],
        ),
    ]


def report_sheets(
    report: Mapping[str, Any],
    *,
    title: str | None = None,
    people: Iterable[PersonMonth] | None = None,
) -> list[Sheet]:
    """The workbook's sheets: summary, by gender, department, organisation, month, competence
    area, format and source, and — only when `people` is given (the caller may list people) —
    hours per person per month."""
    sheets = [_summary_sheet(report, title), *_tables(report), *_group_sheets(report)]
    if people is not None:
        sheets.append(Sheet(gettext("Per person and month"), people_header(), people_rows(people)))
    return sheets


def report_xlsx(
    report: Mapping[str, Any],
    *,
    title: str | None = None,
    people: Iterable[PersonMonth] | None = None,
) -> bytes:
    return xlsx_bytes(report_sheets(report, title=title, people=people))


def people_xlsx(people: Iterable[PersonMonth]) -> bytes:
    return xlsx_bytes(
        [Sheet(gettext("Per person and month"), people_header(), people_rows(people))]
    )
