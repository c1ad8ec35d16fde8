"""The completions CSV import: validated first, nothing written on error, idempotent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lms.accounts.models import User
from lms.catalog.models import Activity
from lms.core.time import local_date, utcnow
from lms.progress.completions_import import (
    ImportFailed,
    import_completions,
    occurrence_key,
    parse_completions_csv,
)
from lms.progress.models import Completion
from tests import factories
from tests.catalog import factories as catalog_factories


@pytest.fixture
def people(session: Session) -> tuple[User, User, Activity]:
    anna = factories.user(session, email="anna@kultur.example.se")
    bo = factories.user(session, email="bo@kultur.example.se")
    activity = catalog_factories.activity(session, slug="skydda-personuppgifter", minutes=10)
    return anna, bo, activity


def _write(tmp_path: Path, text: str, name: str = "completions.csv", bom: bool = False) -> Path:
    path = tmp_path / name
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode())
    return path


def _count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Completion)) or 0)


GOOD = """email,activity,completed_at,hours,title
anna@kultur.example.se,skydda-personuppgifter,2025-10-01,1.5,
BO@kultur.example.se,skydda-personuppgifter,2025-10-01T13:00,0.25,
anna@kultur.example.se,,2025-11-20T09:00+00:00,6,Biblioteksdagarna
"""


def test_good_file_records_each_completion(
    session: Session, tmp_path: Path, people: tuple[User, User, Activity]
) -> None:
    anna, bo, activity = people
    result = import_completions(session, _write(tmp_path, GOOD))
    assert (result.created, result.unchanged) == (3, 0)
    rows = {
        (c.user_id, c.occurrence_key): c
        for c in session.scalars(select(Completion).where(Completion.source == "import"))
    }
    first = rows[(anna.id, "import:skydda-personuppgifter:2025-10-01")]
    assert (first.activity_id, first.credited_minutes, first.title) == (
        activity.id,
        90,
        activity.title,
    )
    assert first.completed_at == datetime(2025, 9, 30, 22, 0, tzinfo=UTC)  # Stockholm midnight
    assert first.verified_by_id is None
    second = rows[(bo.id, "import:skydda-personuppgifter:2025-10-01")]
    assert second.completed_at == datetime(2025, 10, 1, 11, 0, tzinfo=UTC)  # 13:00 CEST
    assert second.credited_minutes == 15
    external = rows[(anna.id, "import:Biblioteksdagarna:2025-11-20")]
    assert (external.activity_id, external.title, external.credited_minutes) == (
        None, "Biblioteksdagarna", 360,
    )  # fmt: skip


def test_second_import_changes_nothing(
    session: Session, tmp_path: Path, people: tuple[User, User, Activity]
) -> None:
    path = _write(tmp_path, GOOD)
    import_completions(session, path)
    again = import_completions(session, path)
    assert (again.created, again.unchanged) == (0, 3)
    assert "no changes" in again.summary()
    assert _count(session) == 3


def test_semicolon_bom_and_decimal_comma(
    session: Session, tmp_path: Path, people: tuple[User, User, Activity]
) -> None:
    text = (
        "email;activity;completed_at;hours\n"
        "anna@kultur.example.se;skydda-personuppgifter;2025-10-01;1,5\n"
    )
    result = import_completions(session, _write(tmp_path, text, bom=True))
    assert result.created == 1
    assert session.scalars(select(Completion.credited_minutes)).one() == 90


def test_every_problem_is_reported_with_its_line_and_nothing_is_written(
    session: Session, tmp_path: Path, people: tuple[User, User, Activity]
) -> None:
    tomorrow = (local_date(utcnow()) + timedelta(days=2)).isoformat()
    text = f"""email,activity,completed_at,hours,title
nobody@kultur.example.se,skydda-personuppgifter,2025-10-01,1,
anna@kultur.example.se,finns-inte,2025-10-01,1,
anna@kultur.example.se,skydda-personuppgifter,1 oktober,1,
anna@kultur.example.se,skydda-personuppgifter,2025-10-02,0,
anna@kultur.example.se,skydda-personuppgifter,2025-10-03,en,
anna@kultur.example.se,,2025-10-04,1,
anna@kultur.example.se,skydda-personuppgifter,2025-10-05,1,

anna@kultur.example.se,skydda-personuppgifter,2025-10-05T15:00,2,
anna@kultur.example.se,skydda-personuppgifter,{tomorrow},1,
anna@kultur.example.se,skydda-personuppgifter,2025-10-06,1
bo@kultur.example.se,skydda-personuppgifter,2025-10-07,1,
"""
    with pytest.raises(ImportFailed) as failed:
        import_completions(session, _write(tmp_path, text))
    errors = failed.value.errors
    assert errors[0] == "completions.csv:2: unknown user nobody@kultur.example.se"
    assert errors[1] == "completions.csv:3: unknown activity 'finns-inte'"
    assert errors[2].startswith("completions.csv:4: completed_at '1 oktober' is not an ISO date")
    assert errors[3].startswith("completions.csv:5: hours '0' must be more than 0")
    assert errors[4] == "completions.csv:6: hours 'en' is not a number"
    assert errors[5].startswith("completions.csv:7: give an activity slug, or a title")
    assert errors[6] == ("completions.csv:10: duplicate of line 8 (same person, activity and date)")
    assert errors[7].startswith("completions.csv:11: completed_at") and "future" in errors[7]
    assert errors[8] == "completions.csv:12: expected 5 fields, found 4"
    assert len(errors) == 9
    assert _count(session) == 0


def test_unknown_and_missing_columns(session: Session, tmp_path: Path) -> None:
    text = "email,activity,date,hours,notes\nanna@kultur.example.se,x,2025-10-01,1,\n"
    with pytest.raises(ImportFailed) as failed:
        import_completions(session, _write(tmp_path, text))
    assert failed.value.errors == [
        "completions.csv:1: unknown column 'date'; expected email,activity,completed_at,hours "
        "(and optionally title)",
        "completions.csv:1: unknown column 'notes'; expected email,activity,completed_at,hours "
        "(and optionally title)",
        "completions.csv:1: missing column(s): completed_at",
    ]


def test_empty_and_non_utf8_files(session: Session, tmp_path: Path) -> None:
    with pytest.raises(ImportFailed) as failed:
        import_completions(session, _write(tmp_path, "\n"))
    assert failed.value.errors == ["completions.csv:1: the file is empty; expected a header row"]
    path = tmp_path / "latin1.csv"
    path.write_bytes("email,activity,completed_at,hours\nå@x.se,a,2025-01-01,1\n".encode("latin-1"))
    with pytest.raises(ImportFailed) as failed:
        import_completions(session, path)
    assert failed.value.errors == ["latin1.csv:2: the file is not UTF-8 text"]


def test_long_titles_get_a_key_that_fits() -> None:
    day = datetime(2025, 1, 1).date()
    assert occurrence_key("kurs", day) == "import:kurs:2025-01-01"
    long_key = occurrence_key("x" * 300, day)
    assert len(long_key) <= 120 and long_key.endswith(":2025-01-01")


def test_parse_is_pure_and_keeps_good_rows() -> None:
    rows, problems = parse_completions_csv(GOOD)
    assert problems == []
    assert [row.line for row in rows] == [2, 3, 4]
    assert rows[1].email == "bo@kultur.example.se"


def test_cli_imports_and_reports_problems(
    app: Flask, session: Session, tmp_path: Path, people: tuple[User, User, Activity]
) -> None:
    runner = app.test_cli_runner()
    good = _write(tmp_path, GOOD)
    result = runner.invoke(args=["lms", "import", "completions", str(good)])
    assert result.exit_code == 0, result.output
    assert "3 created" in result.output
    again = runner.invoke(args=["lms", "import", "completions", str(good)])
    assert again.exit_code == 0 and "no changes" in again.output
    bad = _write(tmp_path, "email,activity,completed_at,hours\nx@y.se,a,2025-01-01,1\n", "bad.csv")
    failed = runner.invoke(args=["lms", "import", "completions", str(bad)])
    assert failed.exit_code == 1
    assert "bad.csv:2: unknown user x@y.se" in failed.output
    assert "nothing was imported" in failed.output
    assert _count(session) == 3
