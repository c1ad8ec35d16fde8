"""The assessments CSV import: validated first, nothing written on error, idempotent."""

from __future__ import annotations

import csv
import shutil
import statistics
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lms.accounts.models import User
from lms.accounts.org_import import import_organisation
from lms.assessment.demo import DEMO_FILE, load_demo_assessments
from lms.assessment.importer import import_assessments
from lms.assessment.models import Assessment, AssessmentRound, AssessmentStatus, Rating
from lms.config import REPO_ROOT
from lms.core.imports import ImportFailed
from lms.core.time import local_date, utcnow
from lms.packages.importer import import_package
from tests import factories
from tests.assessment.factories import assessment, assessment_round
from tests.catalog.factories import framework, role_with_expectations

CONTENT = REPO_ROOT / "content"
HEADER = "round,email,competence,self_level,agreed_level,motivation\n"


class People:
    def __init__(self, session: Session) -> None:
        framework(session)
        culture = factories.organisation(session, "Kulturförvaltningen")
        nacka = factories.organisation(session, "Nacka kommun")
        librarian = role_with_expectations(session, "Bibliotekarie", {"1.1": 3, "4.2": 3, "5.1": 2})
        chief = role_with_expectations(session, "Chef", {"1.1": 3, "4.2": 4, "6.1": 4})
        library = factories.department(session, "Stadsbiblioteket", culture)
        forum = factories.department(session, "Forumbiblioteken", nacka)
        self.anna = factories.user(
            session, email="anna@kultur.example.se", dept=library, role=librarian
        )
        self.bo = factories.user(session, email="bo@nacka.example.se", dept=forum, role=chief)
        self.cia = factories.user(session, email="cia@kultur.example.se", dept=library)
        self.culture, self.nacka = culture, nacka


@pytest.fixture
def people(session: Session) -> People:
    return People(session)


def _write(tmp_path: Path, text: str, name: str = "assessments.csv", bom: bool = False) -> Path:
    path = tmp_path / name
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode())
    return path


GOOD = (
    HEADER
    + """Skattning våren 2025,anna@kultur.example.se,1.1,2,,4
Skattning våren 2025,ANNA@kultur.example.se,4.2,3,,5
Skattning våren 2025,bo@nacka.example.se,6.1,3,4,3
Skattning våren 2025,bo@nacka.example.se,1.1,4,,2
Skattning hösten 2026,anna@kultur.example.se,5.1,1,2,4
"""
)


def _state(session: Session) -> list[Any]:
    """Everything the import may write, to compare before and after a rerun."""
    session.expire_all()
    rounds = [
        (r.name, r.opens_on, r.closes_on, r.announced_at, [o.name for o in r.organisations])
        for r in session.scalars(select(AssessmentRound).order_by(AssessmentRound.id))
    ]
    assessments = [
        (a.round_id, a.user_id, a.status, a.job_role_id, a.department_id, a.submitted_at,
         a.reviewed_at, a.updated_at)
        for a in session.scalars(select(Assessment).order_by(Assessment.id))
    ]  # fmt: skip
    ratings = [
        (r.assessment_id, r.competence_id, r.self_level, r.agreed_level, r.motivation,
         r.agreed_at, r.agreed_by_id, r.updated_at)
        for r in session.scalars(select(Rating).order_by(Rating.id))
    ]  # fmt: skip
    return [rounds, assessments, ratings]


def _ratings(session: Session, user: User, round_name: str) -> dict[str, tuple[Any, ...]]:
    stmt = (
        select(Rating)
        .join(Assessment)
        .join(AssessmentRound)
        .where(Assessment.user_id == user.id, AssessmentRound.name == round_name)
    )
    return {
        r.competence.code: (r.self_level, r.agreed_level, r.motivation, r.agreed_by_id)
        for r in session.scalars(stmt)
    }


def _one(session: Session, user: User, round_name: str) -> Assessment:
    stmt = (
        select(Assessment)
        .join(AssessmentRound)
        .where(Assessment.user_id == user.id, AssessmentRound.name == round_name)
    )
    return session.scalars(stmt).one()


def test_a_good_file_stores_ratings_and_creates_missing_rounds(
    session: Session, tmp_path: Path, people: People
) -> None:
    autumn = assessment_round(session, "Skattning hösten 2026", departments=[])
    autumn_targets = (list(autumn.organisations), list(autumn.departments))
    result = import_assessments(session, _write(tmp_path, GOOD))

    assert (result.rows, result.rounds_created, result.assessments_created) == (5, 1, 3)
    assert (result.ratings_created, result.ratings_updated) == (5, 0)
    spring = session.scalars(
        select(AssessmentRound).where(AssessmentRound.name == "Skattning våren 2025")
    ).one()
    yesterday = local_date(utcnow()) - timedelta(days=1)
    assert (spring.opens_on, spring.closes_on) == (yesterday, yesterday)
    assert spring.announced_at is not None and spring.created_by_id is None
    assert spring.organisations == [people.culture, people.nacka]
    assert (list(autumn.organisations), list(autumn.departments)) == autumn_targets

    anna = _one(session, people.anna, "Skattning våren 2025")
    assert anna.status == AssessmentStatus.SUBMITTED and anna.reviewed_at is None
    assert anna.submitted_at is not None
    assert (anna.job_role_id, anna.department_id) == (
        people.anna.job_role_id,
        people.anna.department_id,
    )
    assert _ratings(session, people.anna, "Skattning våren 2025") == {
        "1.1": (2, None, 4, None),
        "4.2": (3, None, 5, None),
    }
    bo = _one(session, people.bo, "Skattning våren 2025")
    assert bo.status == AssessmentStatus.REVIEWED and bo.reviewed_at is not None
    assert bo.reviewed_by_id is None
    assert _ratings(session, people.bo, "Skattning våren 2025") == {
        "6.1": (3, 4, 3, None),
        "1.1": (4, None, 2, None),
    }
    assert _one(session, people.anna, "Skattning hösten 2026").status == AssessmentStatus.REVIEWED


def test_importing_the_same_file_again_changes_nothing(
    session: Session, tmp_path: Path, people: People
) -> None:
    path = _write(tmp_path, GOOD)
    import_assessments(session, path)
    before = _state(session)
    again = import_assessments(session, path)
    assert (again.rounds_created, again.assessments_created, again.assessments_updated) == (0, 0, 0)
    assert (again.ratings_created, again.ratings_updated, again.unchanged) == (0, 0, 5)
    assert again.summary() == "5 rows: no changes (5 already imported)"
    assert _state(session) == before


def test_a_changed_file_updates_ratings_and_never_lowers_a_status(
    session: Session, tmp_path: Path, people: People
) -> None:
    round_ = assessment_round(session, "Skattning våren 2025", organisations=[people.culture])
    talked = assessment(
        session, people.bo, round_, {"1.1": (4, 2, 4)}, status=AssessmentStatus.FOLLOWED_UP
    )
    started = assessment(
        session, people.anna, round_, {"1.1": (1, 1)}, status=AssessmentStatus.DRAFT
    )
    text = HEADER + (
        "Skattning våren 2025,bo@nacka.example.se,1.1,3,,5\n"
        "Skattning våren 2025,anna@kultur.example.se,1.1,2,,3\n"
    )
    result = import_assessments(session, _write(tmp_path, text))
    assert (result.ratings_updated, result.assessments_updated) == (2, 2)
    assert "2 updated" in result.summary()
    assert talked.status == AssessmentStatus.FOLLOWED_UP
    assert _ratings(session, people.bo, round_.name)["1.1"][:3] == (3, 4, 5)  # agreed kept
    assert started.status == AssessmentStatus.SUBMITTED and started.submitted_at is not None
    assert round_.organisations == [people.culture]  # an existing round keeps its targets


def test_semicolons_and_a_byte_order_mark(session: Session, tmp_path: Path, people: People) -> None:
    text = (
        "round;email;competence;self_level;agreed_level;motivation\n"
        "Skattning våren 2025;anna@kultur.example.se;4.2;3;;5\n"
    )
    result = import_assessments(session, _write(tmp_path, text, bom=True))
    assert result.ratings_created == 1
    assert _ratings(session, people.anna, "Skattning våren 2025") == {"4.2": (3, None, 5, None)}


def test_every_problem_is_reported_with_its_line_and_nothing_is_written(
    session: Session, tmp_path: Path, people: People
) -> None:
    text = HEADER + (
        "Skattning våren 2025,nobody@kultur.example.se,1.1,2,,4\n"  # 2
        "Skattning våren 2025,anna@kultur.example.se,9.9,2,,4\n"  # 3
        "Skattning våren 2025,anna@kultur.example.se,6.1,2,,4\n"  # 4: not for librarians
        "Skattning våren 2025,cia@kultur.example.se,1.1,2,,4\n"  # 5: no job role
        "Skattning våren 2025,anna@kultur.example.se,1.1,0,,4\n"  # 6
        "Skattning våren 2025,anna@kultur.example.se,4.2,tre,6,\n"  # 7: three problems
        "Skattning våren 2025,anna@kultur.example.se,5.1,2,,4\n"  # 8
        "\n"
        "Skattning våren 2025,anna@kultur.example.se,5.1,3,,4\n"  # 10: duplicate of 8
        ",anna@kultur.example.se,1.2,2,,4\n"  # 11
        "Skattning våren 2025,anna@kultur.example.se,1.2,2,4\n"  # 12
        "Skattning våren 2025,bo@nacka.example.se,1.1,2,,4\n"  # 13: fine
    )
    with pytest.raises(ImportFailed) as failed:
        import_assessments(session, _write(tmp_path, text))
    assert failed.value.errors == [
        "assessments.csv:2: unknown user nobody@kultur.example.se",
        "assessments.csv:3: unknown competence '9.9'",
        "assessments.csv:4: competence 6.1 does not apply to the job role Bibliotekarie of "
        "anna@kultur.example.se",
        "assessments.csv:5: cia@kultur.example.se has no job role, so no competence applies "
        "to them",
        "assessments.csv:6: self_level '0' is not a whole number from 1 to 5",
        "assessments.csv:7: self_level 'tre' is not a whole number from 1 to 5",
        "assessments.csv:7: agreed_level '6' is not a whole number from 1 to 5",
        "assessments.csv:7: motivation is empty; give a whole number from 1 to 5",
        "assessments.csv:10: duplicate of line 8 (same round, person and competence)",
        "assessments.csv:11: the round name is empty",
        "assessments.csv:12: expected 6 fields, found 5",
    ]
    assert _state(session) == [[], [], []]


def test_header_problems(session: Session, tmp_path: Path) -> None:
    text = "round,email,competence,self,agreed_level,motivation,round\nx,y,z,1,,1,x\n"
    with pytest.raises(ImportFailed) as failed:
        import_assessments(session, _write(tmp_path, text))
    assert failed.value.errors == [
        "assessments.csv:1: unknown column 'self'; expected "
        "round,email,competence,self_level,agreed_level,motivation",
        "assessments.csv:1: column 'round' appears twice",
        "assessments.csv:1: missing column(s): self_level",
    ]


def test_empty_and_non_utf8_files(session: Session, tmp_path: Path) -> None:
    with pytest.raises(ImportFailed) as failed:
        import_assessments(session, _write(tmp_path, ""))
    assert failed.value.errors == ["assessments.csv:1: the file is empty; expected a header row"]
    path = tmp_path / "latin1.csv"
    path.write_bytes(HEADER.encode() + "Skattning våren 2025,a@b.se,1.1,2,,4\n".encode("latin-1"))
    with pytest.raises(ImportFailed) as failed:
        import_assessments(session, path)
    assert failed.value.errors == ["latin1.csv:2: the file is not UTF-8 text"]


def test_a_header_alone_imports_nothing(session: Session, tmp_path: Path) -> None:
    result = import_assessments(session, _write(tmp_path, HEADER))
    assert result.rows == 0 and "no changes" in result.summary()
    assert session.scalar(select(func.count()).select_from(AssessmentRound)) == 0


# --- the shipped demo data -------------------------------------------------------------------


@pytest.fixture
def demo_organisation(session: Session, tmp_path: Path) -> None:
    """The demo organisation and the shipped competence framework, as `init --demo` loads them."""
    package = tmp_path / "framework"
    package.mkdir()
    shutil.copy(CONTENT / "framework.yaml", package / "framework.yaml")
    import_package(session, package)
    import_organisation(session, CONTENT / "demo" / "organisation.csv", send_invitations=False)


Rows = list[dict[str, str]]


class Demo:
    """The demo's people and their roles' expected levels, read from the shipped files."""

    def __init__(self) -> None:
        roles = yaml.safe_load((CONTENT / "framework.yaml").read_text())["job_roles"]
        self.expected = {r["name"]: {str(c): n for c, n in r["expected"].items()} for r in roles}
        with (CONTENT / "demo" / "organisation.csv").open(encoding="utf-8") as handle:
            self.role = {row["email"]: row["job_role"] for row in csv.DictReader(handle)}

    def has_need(self, ratings: Rows) -> bool:
        levels = self.expected[self.role[ratings[0]["email"]]]
        assessed = [(r["competence"], int(r["agreed_level"] or r["self_level"])) for r in ratings]
        return any(levels[code] > level for code, level in assessed)

    def figures(self, rows: Rows) -> tuple[float, float, float, int]:
        """Share with needs, high motivation and response rate (DESIGN §4), from the rows."""
        by_person: dict[str, Rows] = {}
        for row in rows:
            by_person.setdefault(row["email"], []).append(row)
        people = list(by_person.values())
        needs = sum(self.has_need(ratings) for ratings in people)
        high = sum(
            statistics.mean(int(r["motivation"]) for r in ratings) >= 4 for ratings in people
        )
        rates = []
        for code in {code for levels in self.expected.values() for code in levels}:
            applies = [email for email, role in self.role.items() if code in self.expected[role]]
            rated = {row["email"] for row in rows if row["competence"] == code}
            rates.append(len(rated) / len(applies))
        return needs / len(people), high / len(people), statistics.mean(rates), len(people)


def test_the_demo_file_imports_cleanly_with_figures_like_the_programmes(
    session: Session, demo_organisation: None
) -> None:
    demo = Demo()
    with DEMO_FILE.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    result = import_assessments(session, DEMO_FILE)
    assert result.rows == len(rows) and result.rounds_created == 2

    first = [r for r in rows if r["round"] == "Skattning våren 2025"]
    second = [r for r in rows if r["round"] == "Skattning våren 2026"]
    assert len(first) + len(second) == len(rows)
    needs, high, response, respondents = demo.figures(first)
    assert needs == pytest.approx(0.29, abs=0.02) and high == pytest.approx(0.64, abs=0.02)
    assert response == pytest.approx(0.86, abs=0.02) and respondents < len(demo.role)
    needs, high, response, respondents = demo.figures(second)
    assert needs == pytest.approx(0.24, abs=0.02) and high == pytest.approx(0.70, abs=0.02)
    assert response == pytest.approx(0.86, abs=0.02) and respondents < len(demo.role)


def test_loading_the_demo_dates_the_rounds_and_opens_one_nobody_answered(
    session: Session, demo_organisation: None
) -> None:
    today = date(2026, 11, 21)
    load_demo_assessments(session, today)
    rounds = {r.name: r for r in session.scalars(select(AssessmentRound))}
    assert set(rounds) == {"Skattning våren 2025", "Skattning våren 2026", "Skattning hösten 2026"}
    spring = rounds["Skattning våren 2025"]
    assert (spring.opens_on, spring.closes_on) == (date(2025, 3, 1), date(2025, 3, 31))
    assert (rounds["Skattning våren 2026"].opens_on, rounds["Skattning våren 2026"].closes_on) == (
        date(2026, 3, 2), date(2026, 3, 31),
    )  # fmt: skip
    autumn = rounds["Skattning hösten 2026"]
    assert (autumn.opens_on, autumn.closes_on) == (date(2026, 11, 18), date(2026, 12, 16))
    assert all(r.announced_at is not None for r in rounds.values())
    assert len(autumn.organisations) == 2
    assert session.scalar(select(func.count()).where(Assessment.round_id == autumn.id)) == 0
    in_spring = list(session.scalars(select(Assessment).where(Assessment.round_id == spring.id)))
    assert all(local_date(a.submitted_at) <= spring.closes_on for a in in_spring if a.submitted_at)
    before = _state(session)
    load_demo_assessments(session, today + timedelta(days=1))
    assert _state(session) == before


def test_the_command_imports_and_reports_problems(
    app: Flask, session: Session, tmp_path: Path, people: People
) -> None:
    session.commit()
    runner = app.test_cli_runner()
    good = _write(tmp_path, GOOD)
    result = runner.invoke(args=["lms", "import", "assessments", str(good)])
    assert result.exit_code == 0, result.output
    assert result.output == (
        "5 rows: 5 ratings created, 0 updated, 0 unchanged; "
        "3 assessments created, 0 updated; 2 rounds created\n"
    )
    again = runner.invoke(args=["lms", "import", "assessments", str(good)])
    assert again.exit_code == 0 and "no changes" in again.output
    bad = _write(tmp_path, HEADER + "Ny omgång,x@y.se,1.1,2,,4\n", "bad.csv")
    failed = runner.invoke(args=["lms", "import", "assessments", str(bad)])
    assert failed.exit_code == 1
    assert "bad.csv:2: unknown user x@y.se" in failed.output
    assert "nothing was imported" in failed.output
    names = set(session.scalars(select(AssessmentRound.name)))
    assert names == {"Skattning våren 2025", "Skattning hösten 2026"}  # not "Ny omgång"
