"""The report files: CSV (BOM, `,` or `;`), XLSX holding the report's numbers in every sheet,
and formula injection neutralised in both (numbers left alone)."""

from __future__ import annotations

from typing import Any

import pytest

from lms.reports.esf_export import (
    COLUMNS,
    people_csv,
    people_xlsx,
    report_csv,
    report_rows,
    report_xlsx,
)
from lms.reports.esf_people import PersonMonth, list_person_months
from lms.reports.esf_report import build_esf_report, esf_filter_for
from lms.reports.exports import Sheet, csv_bytes, neutralise, xlsx_bytes
from tests.reports.esf_files import check_workbook, read_csv, values, workbook
from tests.reports.esf_page_data import build_world

EVIL = ['=HYPERLINK("http://evil","x")', "+1", "-2+3", "@SUM(A1)", "\tTAB", "\rCR"]


def sample_report() -> dict[str, Any]:
    """A hand-written report dict in the shape of `build_esf_report` (DESIGN §5 + extras)."""
    return {
        "period": {"from": "2023-09-01", "to": "2023-11-30"},
        "programme": "lyftet",
        "participants": {"total": 5, "women": 3, "men": 1, "non_binary": 0, "not_stated": 1},
        "hours": {"total": 28237.0, "per_participant": 5647.4},
        "targets": {"participants": 4, "hours": 18920, "hours_per_participant": 18.0},
        "by_department": [
            {
                "organisation": "Kultur",
                "department": "Biblioteket",
                "participants": 4,
                "hours": 28000.5,
            },
            {"organisation": "Kultur", "department": None, "participants": 1, "hours": 236.5},
        ],
        "by_month": [
            {"month": "2023-09", "hours": 28000.0, "new_participants": 4},
            {"month": "2023-10", "hours": 0.0, "new_participants": 0},
            {"month": "2023-11", "hours": 237.0, "new_participants": 1},
        ],
        "by_source": {"catalogue": 28000.0, "attendance": 200.0, "import": 37.0, "external": 0.0},
        "attainment": {
            "participants": 1.25,
            "hours": 28237 / 18920,
            "hours_per_participant": 5647.4 / 18,
        },
        "hours_by_gender": {"women": 28000.0, "men": 200.0, "non_binary": 0.0, "not_stated": 37.0},
        "by_organisation": [{"organisation": "Kultur", "participants": 5, "hours": 28237.0}],
        "by_area": [{"area": "4", "name": "Digital säkerhet", "hours": 100.25, "completions": 7}],
        "by_format": [
            {"format": "nanolesson", "hours": 100.25, "completions": 7},
            {"format": "", "hours": 28136.75, "completions": 2},
        ],
        "completions_by_source": {"catalogue": 7, "attendance": 1, "import": 1, "external": 0},
        "department_filter": None,
    }


# --- the building blocks ---------------------------------------------------------------------


@pytest.mark.parametrize("value", EVIL)
def test_neutralise_prefixes_formula_starts(value) -> None:
    assert neutralise(value) == "'" + value


@pytest.mark.parametrize("value", ["Anna", "", "2023-09", "a=b", "Ö-gruppen", -2, 3.5, -0.5, None])
def test_neutralise_leaves_other_values(value) -> None:
    assert neutralise(value) == value


def test_csv_has_a_bom_and_either_separator() -> None:
    comma = csv_bytes(["a", "b"], [["x", 1.5], ["-y", -2]])
    assert comma == b"\xef\xbb\xbfa,b\r\nx,1.5\r\n'-y,-2\r\n"
    semicolon = csv_bytes(["a", "b"], [["x", 1.5]], delimiter=";", decimal_comma=True)
    assert semicolon == b"\xef\xbb\xbfa;b\r\nx;1,5\r\n"


def test_xlsx_formats_the_header_and_numbers() -> None:
    data = xlsx_bytes([Sheet("Blad", ["Namn", "Timmar", "Antal"], [["=1+1", 2.5, -3]])])
    sheet = workbook(data)["Blad"]
    assert sheet.freeze_panes == "A2"
    assert all(cell.font.b for cell in sheet[1])
    name, hours, number = sheet[2]
    assert name.value == "'=1+1" and name.data_type == "s"
    assert hours.value == 2.5 and hours.number_format == "#,##0.0"
    assert number.value == -3 and number.number_format == "#,##0"
    assert sheet.column_dimensions["A"].width >= 8


def test_xlsx_drops_characters_a_workbook_cannot_hold() -> None:
    data = xlsx_bytes([Sheet("Blad", ["Namn"], [["Anna\x00\x07 B"]])])
    assert workbook(data)["Blad"]["A2"].value == "Anna B"


# --- the report ------------------------------------------------------------------------------


def test_report_csv_holds_the_reports_numbers(app) -> None:
    report = sample_report()
    rows = read_csv(report_csv(report))
    assert len(rows[0]) == len(COLUMNS)
    by_key = {(r[0], r[1], r[2]): r for r in rows[1:]}
    column = {name: index for index, name in enumerate(COLUMNS)}
    summary = next(r for r in rows[1:] if r[column["key"]] == "participants")
    assert int(summary[column["participants"]]) == 5
    assert int(summary[column["target"]]) == 4
    assert float(summary[column["attainment"]]) == 1.25
    hours = next(r for r in rows[1:] if r[column["key"]] == "hours")
    assert float(hours[column["hours"]]) == 28237.0
    months = [r for r in rows[1:] if r[column["key"]].startswith("2023-")]
    assert [(r[1], float(r[column["hours"]]), int(r[column["new_participants"]]))
            for r in months] == [("2023-09", 28000.0, 4), ("2023-10", 0.0, 0),
                                 ("2023-11", 237.0, 1)]  # fmt: skip
    women = next(r for r in rows[1:] if r[column["key"]] == "women")
    assert (int(women[column["participants"]]), float(women[column["hours"]])) == (3, 28000.0)
    assert len(by_key) == len(rows) - 1
    assert len(rows) - 1 == len(report_rows(report))


def test_semicolon_csv_writes_decimal_commas(app) -> None:
    rows = read_csv(report_csv(sample_report(), delimiter=";"), ";")
    column = {name: index for index, name in enumerate(COLUMNS)}
    hours = next(r for r in rows[1:] if r[column["key"]] == "hours")
    assert hours[column["hours"]] == "28237,0"
    assert all(len(row) == len(COLUMNS) for row in rows)


def test_report_xlsx_holds_the_reports_numbers_in_every_sheet(app) -> None:
    report = sample_report()
    book = workbook(report_xlsx(report, title="Digitalt kompetenslyft"))
    assert len(book.sheetnames) == 8
    check_workbook(book, report)
    summary = book[book.sheetnames[0]]
    assert summary["B2"].value == "Digitalt kompetenslyft"
    assert summary["D5"].number_format == "0.0%"
    assert all(sheet.freeze_panes == "A2" for sheet in book.worksheets)


def test_report_xlsx_adds_people_only_when_given(app) -> None:
    people = [PersonMonth(1, "Anna", "anna@example.se", "woman", "Kultur", None, "2023-09", 90)]
    book = workbook(report_xlsx(sample_report(), people=people))
    assert len(book.sheetnames) == 9
    rows = values(book[book.sheetnames[-1]])
    assert rows[1][0] == "Anna" and rows[1][5] == "2023-09" and rows[1][6] == 1.5


# --- formula injection from real data --------------------------------------------------------


@pytest.fixture
def evil_world(session):
    world = build_world(session)
    for key, name in zip(("anna", "bo", "cia", "dan", "eva", "fia"), EVIL, strict=True):
        world.people[key].name = name  # set directly: the account service strips names
    world.culture.name = "=cmd|' /C calc'!A0"
    world.depts["Stadsmuseet"].name = "@museet"
    world.depts["Stadsbiblioteket"].name = "-biblioteket"
    session.flush()
    return world


def _strings(rows: list[list[Any]]) -> list[str]:
    return [cell for row in rows for cell in row if isinstance(cell, str) and cell]


def test_formula_injection_is_neutralised_in_every_file(app, session, evil_world) -> None:
    world = evil_world
    report = build_esf_report(session, programme=world.programme)
    assert any(r["organisation"] == "=cmd|' /C calc'!A0" for r in report["by_department"])
    people = list_person_months(session, esf_filter_for(programme=world.programme))
    assert {p.name for p in people} >= set(EVIL)
    files = [
        read_csv(report_csv(report)),
        read_csv(report_csv(report, delimiter=";"), ";"),
        read_csv(people_csv(people)),
    ]
    books = [
        workbook(report_xlsx(report, title="=1+1", people=people)),
        workbook(people_xlsx(people)),
    ]
    for book in books:
        for sheet in book.worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
        files.append([row for sheet in book.worksheets for row in values(sheet)])
    seen = set()
    for rows in files:
        for cell in _strings(rows):
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), repr(cell)
            seen.add(cell)
    for evil in [*EVIL, "=cmd|' /C calc'!A0", "@museet", "-biblioteket", "=1+1"]:
        assert "'" + evil in seen, evil


def test_numbers_stay_numbers(app) -> None:
    data = xlsx_bytes([Sheet("Tal", ["a", "b", "c"], [[-2, 3, -0.5]])])
    assert values(workbook(data)["Tal"])[1] == [-2, 3, -0.5]
    assert csv_bytes(["a", "b"], [[-2, -0.5]]).endswith(b"-2,-0.5\r\n")
