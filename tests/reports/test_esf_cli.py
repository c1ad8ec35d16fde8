"""`lms report esf`: JSON equal to `build_esf_report`, the page showing the same numbers (read
back from its HTML), CSV and XLSX holding them, and clear errors without tracebacks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lms.reports.esf_export import COLUMNS
from lms.reports.esf_report import build_esf_report
from tests.reports.esf_files import check_workbook, page_tables, read_csv, shown, workbook
from tests.reports.esf_page_data import World, build_world

SLUG = "lyftet"
GENDER_ROWS = ("women", "men", "non_binary", "not_stated")


@pytest.fixture
def world(session) -> World:
    made = build_world(session, slug=SLUG)
    session.commit()
    return made


def run(app, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=["lms", "report", "esf", *args])


def printed(app, *args: str) -> dict[str, Any]:
    result = run(app, *args, "--format", "json")
    assert result.exit_code == 0, result.output
    return dict(json.loads(result.output))


def test_json_is_the_report(app, session, world) -> None:
    # Built first: the command's session then nests inside the test's (one connection).
    expected = json.loads(json.dumps(build_esf_report(session, programme=world.programme)))
    report = printed(app, "--programme", SLUG)
    assert report == expected
    assert list(report)[:8] == [
        "period", "programme", "participants", "hours", "targets", "by_department", "by_month",
        "by_source",
    ]  # fmt: skip
    assert report["participants"]["total"] == 7 and report["hours"]["total"] == 9.0
    period = printed(app, "--from", "2024-03-01", "--to", "2024-03-31")
    assert period["programme"] is None and period["targets"] is None
    assert period["hours"]["total"] == 2.0  # Anna: 90 + 30 minutes, the last at 23:30


def test_json_keeps_swedish_letters(app, world) -> None:
    result = run(app, "--programme", SLUG)
    assert "Kulturförvaltningen" in result.output and "\\u00f6" not in result.output


def test_department_option(app, world) -> None:
    museum = world.depts["Stadsmuseet"].id
    report = printed(app, "--programme", SLUG, "--department", str(museum))
    assert report["department_filter"]["department"] == "Stadsmuseet"
    assert report["participants"]["total"] == 3


def _check_page(page: str, report: dict[str, Any]) -> None:
    tables, figures = page_tables(page)
    assert int(figures["participants"]) == report["participants"]["total"]
    assert shown(figures["hours"], report["hours"]["total"])
    assert shown(figures["hours_per_participant"], report["hours"]["per_participant"])
    genders = tables["by-gender"][1:]
    for row, key in zip(genders, (*GENDER_ROWS, "total"), strict=True):
        hours = report["hours_by_gender"].get(key, report["hours"]["total"])
        assert int(row[1]) == report["participants"][key]
        assert shown(row[2], hours)
    departments = tables["by-department"][1:]
    assert len(departments) == len(report["by_department"])
    for row, wanted in zip(departments, report["by_department"], strict=True):
        assert row[0] == (wanted["department"] or "Ingen avdelning")
        assert row[1] == wanted["organisation"]
        assert int(row[2]) == wanted["participants"] and shown(row[3], wanted["hours"])
    organisations = tables["by-organisation"][1:]
    for row, wanted in zip(organisations, report["by_organisation"], strict=True):
        assert (row[0], int(row[1])) == (wanted["organisation"], wanted["participants"])
        assert shown(row[2], wanted["hours"])
    months = tables["by-month"][1:]
    assert [row[0] for row in months] == [m["month"] for m in report["by_month"]]
    for row, wanted in zip(months, report["by_month"], strict=True):
        assert shown(row[1], wanted["hours"]) and int(row[2]) == wanted["new_participants"]
    for row, wanted in zip(tables["by-format"][1:], report["by_format"], strict=True):
        assert shown(row[1], wanted["hours"]) and int(row[2]) == wanted["completions"]
    for row, wanted in zip(tables["by-area"][1:], report["by_area"], strict=True):
        assert row[0].startswith(wanted["area"]) and shown(row[1], wanted["hours"])
        assert int(row[2]) == wanted["completions"]
    sources = tables["by-source"][1:]
    for row, key in zip(sources, ("catalogue", "attendance", "import", "external"), strict=True):
        assert shown(row[1], report["by_source"][key])
        assert int(row[2]) == report["completions_by_source"][key]


@pytest.mark.parametrize("department", [None, "Stadsmuseet"])
def test_the_page_shows_the_clis_numbers(app, client, auth, world, department) -> None:
    args = ["--programme", SLUG]
    query = ""
    if department:
        args += ["--department", str(world.depts[department].id)]
        query = f"?avdelning={world.depts[department].id}"
    report = printed(app, *args)
    auth.login(world.readers["admin"].email)
    page = client.get(f"/rapporter/esf/program/{SLUG}{query}").get_data(as_text=True)
    _check_page(page, report)


def test_the_period_page_shows_the_clis_numbers(app, client, auth, world) -> None:
    report = printed(app, "--from", "2024-02-01", "--to", "2024-08-31")
    auth.login(world.readers["admin"].email)
    page = client.get("/rapporter/esf/period?fran=2024-02-01&till=2024-08-31")
    _check_page(page.get_data(as_text=True), report)


def test_csv_holds_the_numbers(app, world) -> None:
    report = printed(app, "--programme", SLUG)
    for sep in (",", ";"):
        result = run(app, "--programme", SLUG, "--format", "csv", "--sep", sep)
        assert result.exit_code == 0, result.output
        rows = read_csv(result.stdout_bytes, sep)
        column = {name: index for index, name in enumerate(COLUMNS)}

        def value(key: str, name: str, rows=rows, column=column) -> float:
            row = next(r for r in rows[1:] if r[column["key"]] == key)
            return float(row[column[name]].replace(",", "."))

        assert value("participants", "participants") == report["participants"]["total"]
        assert value("hours", "hours") == report["hours"]["total"]
        assert value("hours_per_participant", "hours") == report["hours"]["per_participant"]
        assert value("women", "participants") == report["participants"]["women"]
        for month in report["by_month"]:
            assert value(month["month"], "hours") == month["hours"]


def test_xlsx_is_written_to_a_file(app, world, tmp_path: Path) -> None:
    report = printed(app, "--programme", SLUG)
    target = tmp_path / "esf.xlsx"
    result = run(app, "--programme", SLUG, "--format", "xlsx", "--output", str(target))
    assert result.exit_code == 0, result.output
    book = workbook(target.read_bytes())
    assert len(book.sheetnames) == 8  # the CLI never writes the per-person sheet
    check_workbook(book, report)


def test_json_to_a_file(app, world, tmp_path: Path) -> None:
    target = tmp_path / "esf.json"
    result = run(app, "--programme", SLUG, "--output", str(target))
    assert result.exit_code == 0 and result.output == ""
    assert json.loads(target.read_text(encoding="utf-8"))["programme"] == SLUG


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "--programme"),
        (["--programme", "finns-inte"], "finns-inte"),
        (["--programme", SLUG, "--from", "2024-01-01"], "either"),
        (["--from", "2024-01-01"], "both"),
        (["--to", "2024-01-01"], "both"),
        (["--from", "2024-13-01", "--to", "2024-12-31"], "YYYY-MM-DD"),
        (["--from", "igår", "--to", "2024-12-31"], "YYYY-MM-DD"),
        (["--from", "2024-12-31", "--to", "2024-01-01"], ""),
        (["--programme", SLUG, "--format", "xlsx"], "--output"),
        (["--programme", SLUG, "--department", "999999"], ""),
        (["--programme", SLUG, "--department", "abc"], "abc"),
        (["--programme", SLUG, "--format", "pdf"], "pdf"),
    ],
)
def test_mistakes_are_clear_errors(app, world, args, message) -> None:
    result = run(app, *args)
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
