"""`lms report assessment`: the same figures as the page, JSON and CSV, clear errors."""

from __future__ import annotations

import csv
import io
import json

import pytest

from lms.core.access import Permission
from lms.reports.assessment_report import CSV_COLUMNS
from tests import factories
from tests.reports.builders import SECRET_COMMENT, crowd, org, rendered, round_for

BASE = "/rapporter/skattning"


@pytest.fixture
def rounds(session):
    where = org(session, ("Stadsbiblioteket", "Stadsmuseet", "Kulturhuset"))
    autumn = round_for(session, where)
    spring = round_for(session, where, "Skattning våren 2026")
    crowd(session, where, autumn, {"Stadsbiblioteket": 12, "Stadsmuseet": 2, "Kulturhuset": 6})
    crowd(session, where, spring, {"Stadsbiblioteket": 10}, {"1.1": (3, 4), "1.2": (3, 3)})
    session.commit()
    return where, autumn, spring


def run(app, *args: str):
    return app.test_cli_runner().invoke(args=["lms", "report", "assessment", *args])


def test_json_is_what_the_page_shows(app, session, client, auth, rounds) -> None:
    _where, autumn, spring = rounds
    coordinator = factories.user(session, permissions=Permission.COORDINATOR)
    session.commit()
    auth.login(coordinator.email)
    result = run(app, "--round", autumn.name, "--compare", spring.name, "--format", "json")
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    with rendered(app) as seen:
        client.get(f"{BASE}/{autumn.id}?jamfor={spring.id}")
    [context] = [c for c in seen if "report" in c]
    assert printed == json.loads(json.dumps(context["report"]))
    assert printed["round"] == autumn.name and printed["compare"]["round"] == spring.name
    assert printed["respondents"] == 20 and printed["min_group_size"] == 5


def test_json_defaults_and_nothing_personal(app, rounds) -> None:
    where, autumn, _spring = rounds
    result = run(app, "--round", autumn.name)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["compare"] is None
    museum = next(d for d in report["by_department"] if d["department"] == "Stadsmuseet")
    assert museum["share_with_needs"] is None and museum["suppressed"] is True
    assert SECRET_COMMENT not in result.output
    assert not any(p.name in result.output or p.email in result.output for p in where.people)


def test_csv_has_a_header_and_a_row_per_figure(app, rounds) -> None:
    where, autumn, spring = rounds
    result = run(app, "--round", autumn.name, "--compare", spring.name, "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert list(rows[0]) == list(CSV_COLUMNS)
    first = rows[0]
    assert (first["scope"], first["figure"], first["value"]) == ("round", "respondents", "20")
    share = next(r for r in rows if r["scope"] == "round" and r["figure"] == "share_with_needs")
    assert share["compare_value"] == "0.0" and float(share["delta_pp"]) == pytest.approx(100)
    assert {r["scope"] for r in rows} == {"round", "department", "job_role"}
    assert SECRET_COMMENT not in result.output
    assert not any(p.name in result.output for p in where.people)


def test_an_unknown_round_is_an_error(app, rounds) -> None:
    _where, autumn, _spring = rounds
    result = run(app, "--round", "Ingen sådan omgång")
    assert result.exit_code != 0 and "Ingen sådan omgång" in result.output
    compare = run(app, "--round", autumn.name, "--compare", "Finns inte")
    assert compare.exit_code != 0 and "Finns inte" in compare.output


def test_the_round_is_required_and_the_format_checked(app, rounds) -> None:
    assert run(app).exit_code != 0
    _where, autumn, _spring = rounds
    assert run(app, "--round", autumn.name, "--format", "xlsx").exit_code != 0
