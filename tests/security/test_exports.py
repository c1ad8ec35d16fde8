"""Formula injection: every CSV and XLSX the app produces, with formula payloads in every text
that reaches a column, has no cell a spreadsheet would run (issue 11, item 15).

The exports (found by grepping lms/ for csv.writer, DictWriter, openpyxl, text/csv, .xlsx):
the ESF report of a programme and of a period as CSV (`,` and `;`) and XLSX, the funder's
per-person listing as CSV and XLSX (routes), `lms report esf` as CSV and XLSX and
`lms report assessment --format csv` (CLI). Organisation imports only read CSV; the personal
data download is JSON; bookings and calendars are iCalendar.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook  # type: ignore[import-untyped]

from lms.framework.models import Competence, CompetenceArea
from tests.reports.builders import crowd, org, round_for
from tests.reports.esf_page_data import World, build_world

PAYLOADS = [
    '=HYPERLINK("http://evil","x")',
    "+1",
    "-2+3",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
    "=cmd|' /C calc'!A0",
    "＝1+1",
    "＋SUM(A1)",
    " =2+2",
    "=1+1;=2",
    "-@x",
]
NUMBER = re.compile(r"-?\d+(?:[.,]\d+)?(?:e-?\d+)?")
BASE = "/rapporter/esf"


def could_start_formula(cell: str) -> bool:
    """True for text a spreadsheet could read as a formula (numbers written as text aside)."""
    if NUMBER.fullmatch(cell):
        return False
    if cell.startswith(("\t", "\r", "\n")):
        return True
    head = unicodedata.normalize("NFKC", cell.lstrip(" \u00a0\u3000")[:1])
    return head != "" and head in "=+-@"


def csv_cells(data: bytes | str) -> Iterator[str]:
    text = data.decode("utf-8") if isinstance(data, bytes) else data
    text = text.removeprefix("\ufeff")
    delimiter = (
        ";" if text.split("\n", 1)[0].count(";") > text.split("\n", 1)[0].count(",") else ","
    )
    for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
        yield from row


def xlsx_cells(data: bytes) -> Iterator[Any]:
    workbook = load_workbook(io.BytesIO(data))
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            yield from row


class Findings:
    """What the exports held: unsafe cells, and which payloads arrived (neutralised)."""

    def __init__(self) -> None:
        self.unsafe: list[str] = []
        self.arrived: dict[str, set[str]] = {}
        self.cells = 0

    def text_cell(self, export: str, cell: str) -> None:
        self.cells += 1
        if could_start_formula(cell):
            self.unsafe.append(f"{export}: {cell!r}")
        for payload in PAYLOADS:
            if cell.startswith("'" + payload):
                self.arrived.setdefault(export, set()).add(payload)

    def csv(self, export: str, data: bytes | str) -> None:
        for cell in csv_cells(data):
            self.text_cell(export, cell)

    def xlsx(self, export: str, data: bytes) -> None:
        for cell in xlsx_cells(data):
            if cell.data_type == "f":
                self.unsafe.append(f"{export}: formula {cell.coordinate}={cell.value!r}")
            elif isinstance(cell.value, str):
                self.text_cell(export, cell.value)


def _poison_esf(session: Any, world: World) -> None:
    """Payloads in every name the ESF files show: organisations, departments, people (name and
    e-mail), the programme, activities and competence areas."""
    texts = iter(PAYLOADS * 8)
    for organisation in (world.culture, world.nacka):
        organisation.name = f"{next(texts)} {organisation.id}"
    for department in world.depts.values():
        department.name = f"{next(texts)} {department.id}"
    for person in world.people.values():
        person.name = next(texts)
        person.email = f"{next(texts)}{person.id}@kultur.example.se"
    world.programme.name = next(texts)
    for activity in world.activities.values():
        activity.title = next(texts)
    for area in session.query(CompetenceArea):
        area.name = next(texts)
    session.commit()


@pytest.fixture
def esf_world(session: Any) -> World:
    world = build_world(session)
    _poison_esf(session, world)
    return world


def _route_exports(client: Any, slug: str) -> Iterator[tuple[str, str, bytes]]:
    period = "fran=2024-01-01&till=2024-12-31"
    for name, path in [
        ("programme csv", f"{BASE}/program/{slug}/export.csv"),
        ("programme csv ;", f"{BASE}/program/{slug}/export.csv?sep=semikolon"),
        ("programme xlsx", f"{BASE}/program/{slug}/export.xlsx"),
        ("period csv", f"{BASE}/period/export.csv?{period}"),
        ("period csv ;", f"{BASE}/period/export.csv?{period}&sep=semikolon"),
        ("period xlsx", f"{BASE}/period/export.xlsx?{period}"),
        ("people csv", f"{BASE}/program/{slug}/personer/export.csv"),
        ("people csv ;", f"{BASE}/program/{slug}/personer/export.csv?sep=semikolon"),
        ("people xlsx", f"{BASE}/program/{slug}/personer/export.xlsx"),
    ]:
        response = client.get(path)
        assert response.status_code == 200, (name, response.status_code)
        yield name, path.split("?")[0].rsplit(".", 1)[-1], response.data


def test_esf_exports_over_http_hold_no_formula(client, auth, esf_world) -> None:
    auth.login(esf_world.readers["reporting"].email)
    findings = Findings()
    for name, kind, data in _route_exports(client, esf_world.programme.slug):
        findings.xlsx(name, data) if kind == "xlsx" else findings.csv(name, data)
    assert not findings.unsafe, findings.unsafe
    assert set().union(*findings.arrived.values()) == set(PAYLOADS)
    assert len(findings.arrived) == 9, sorted(findings.arrived)  # every export held payloads


def test_esf_report_command_files_hold_no_formula(app, esf_world, tmp_path: Path) -> None:
    runner, findings = app.test_cli_runner(), Findings()
    slug = esf_world.programme.slug
    for name, args in [
        ("cli programme csv", ["--programme", slug, "--format", "csv"]),
        ("cli period csv ;", ["--from", "2024-01-01", "--to", "2024-12-31", "--format", "csv"]),
        ("cli programme xlsx", ["--programme", slug, "--format", "xlsx"]),
    ]:
        out = tmp_path / f"{len(findings.arrived)}.out"
        sep = ["--sep", ";"] if ";" in name else []
        result = runner.invoke(args=["lms", "report", "esf", *args, *sep, "--output", str(out)])
        assert result.exit_code == 0, result.output
        data = out.read_bytes()
        findings.xlsx(name, data) if name.endswith("xlsx") else findings.csv(name, data)
    assert not findings.unsafe, findings.unsafe
    assert len(findings.arrived) == 3, sorted(findings.arrived)


def test_assessment_report_command_csv_holds_no_formula(app, session) -> None:
    where = org(session, ("Stadsbiblioteket", "Stadsmuseet"))
    autumn = round_for(session, where)
    crowd(session, where, autumn, {"Stadsbiblioteket": 6, "Stadsmuseet": 6})
    texts = iter(PAYLOADS * 4)
    where.organisation.name = next(texts)
    for department in where.departments.values():
        department.name = f"{next(texts)} {department.id}"
    for role in where.roles.values():
        role.name = f"{next(texts)} {role.id}"
    for item in [*session.query(CompetenceArea), *session.query(Competence)]:
        item.name = next(texts)
    session.commit()
    result = app.test_cli_runner().invoke(
        args=["lms", "report", "assessment", "--round", autumn.name, "--format", "csv"]
    )
    assert result.exit_code == 0, result.output
    findings = Findings()
    findings.csv("assessment csv", result.output)
    assert not findings.unsafe, findings.unsafe[:10]
    assert findings.arrived, "no payload reached the assessment CSV"


@pytest.mark.parametrize("payload", PAYLOADS)
def test_the_oracle_flags_each_payload_unneutralised(payload: str) -> None:
    assert could_start_formula(payload) and not could_start_formula("'" + payload)
