"""Programme files (`programmes/<slug>.yaml`): validated with file, line and reason before
anything is written, imported idempotently by slug, unknown organisations skipped on request."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lms.core.audit import AuditEvent
from lms.packages.importer import PackageInvalid, import_package
from lms.reports import esf_summary
from lms.reports.models import Programme
from tests import factories
from tests.packages.conftest import ACTIVITY, FRAMEWORK, write_package

VALID = """\
name: Kulturarv i fokus
description: |
  Ett lyft för museerna.
period:
  from: 2025-01-01
  to: 2025-12-31
organisations:
  - Kulturförvaltningen
departments:
  - organisation: Nacka kommun
    department: Forumbiblioteken
targets:
  participants: 120
  hours: 2000
  hours_per_participant: 17.5
"""


@pytest.fixture
def orgs(session: Session) -> None:
    kultur = factories.organisation(session, "Kulturförvaltningen")
    nacka = factories.organisation(session, "Nacka kommun")
    factories.department(session, "Stadsmuseet", kultur)
    factories.department(session, "Forumbiblioteken", nacka)
    factories.department(session, "Kulturskolan", nacka)  # a name only Nacka has


def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    return write_package(tmp_path / "package", files)


def _count(session: Session, model: type) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _programme(session: Session, slug: str = "kulturarv-i-fokus") -> Programme | None:
    session.expire_all()
    return session.scalar(select(Programme).where(Programme.slug == slug))


@pytest.mark.usefixtures("orgs")
def test_a_programme_file_is_imported_with_everything_it_says(
    session: Session, tmp_path: Path
) -> None:
    result = import_package(
        session, _package(tmp_path, {"programmes/kulturarv-i-fokus.yaml": VALID})
    )

    programme = _programme(session)
    assert programme is not None
    assert result.programmes.created == 1
    assert "1 programmes (1 created, 0 updated, 0 unchanged)" in result.summary()
    assert (
        programme.name == "Kulturarv i fokus" and programme.description == "Ett lyft för museerna."
    )
    assert (programme.starts_on.isoformat(), programme.ends_on.isoformat()) == (
        "2025-01-01",
        "2025-12-31",
    )
    assert [o.name for o in programme.organisations] == ["Kulturförvaltningen"]
    assert [(d.organisation.name, d.name) for d in programme.departments] == [
        ("Nacka kommun", "Forumbiblioteken")
    ]
    assert (programme.target_participants, programme.target_hours) == (120, 2000)
    assert programme.target_hours_per_participant == 17.5
    assert programme.summary_built_at is not None
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "programme.save"))
    assert event is not None and event.object_id == str(programme.id)


@pytest.mark.usefixtures("orgs")
def test_importing_again_changes_nothing(session: Session, tmp_path: Path, monkeypatch) -> None:
    package = _package(tmp_path, {"programmes/kulturarv-i-fokus.yaml": VALID})
    import_package(session, package)
    events = _count(session, AuditEvent)
    rebuilt: list[str] = []
    monkeypatch.setattr(esf_summary, "rebuild_programme", lambda _s, p: rebuilt.append(p.slug))

    again = import_package(session, package)

    assert again.changed == 0 and again.programmes.unchanged == 1
    assert again.summary().endswith("; no changes")
    assert _count(session, AuditEvent) == events and rebuilt == []


@pytest.mark.usefixtures("orgs")
def test_a_changed_file_updates_and_rebuilds_only_when_the_period_or_coverage_change(
    session: Session, tmp_path: Path, monkeypatch
) -> None:
    path = "programmes/kulturarv-i-fokus.yaml"
    import_package(session, _package(tmp_path, {path: VALID}))
    rebuilt: list[str] = []
    monkeypatch.setattr(esf_summary, "rebuild_programme", lambda _s, p: rebuilt.append(p.slug))

    targets = import_package(session, _package(tmp_path, {path: VALID.replace("120", "150")}))
    assert targets.programmes.updated == 1 and rebuilt == []
    period = VALID.replace("120", "150").replace("to: 2025-12-31", "to: 2026-06-30")
    import_package(session, _package(tmp_path, {path: period}))
    assert rebuilt == ["kulturarv-i-fokus"]
    programme = _programme(session)
    assert programme is not None and programme.target_participants == 150
    assert programme.ends_on.isoformat() == "2026-06-30"


def test_a_package_of_only_programmes_is_not_empty(session: Session, tmp_path: Path, orgs) -> None:
    result = import_package(
        session, _package(tmp_path, {"programmes/kulturarv-i-fokus.yaml": VALID})
    )
    assert result.programmes.created == 1


BROKEN = [
    ("  from: 2025-01-01\n", "  from: 2025-13-01\n", 5, "invalid date: month must be in 1..12"),
    ("  from: 2025-01-01\n", "  from: 1 januari 2025\n", 5, "'from' must be a date YYYY-MM-DD"),
    ("  to: 2025-12-31\n", "  to: 2024-12-31\n", 6, "the period ends before it starts"),
    ("  participants: 120\n", "  participants: -5\n", 13, "'participants' must be a whole number"),
    ("  hours: 2000\n", "  hours: 20.5\n", 14, "'hours' must be a whole number"),
    ("  hours: 2000\n", "  hours: 99999999999999\n", 14, "'hours' must be a whole number"),
    (
        "  hours_per_participant: 17.5\n", "  hours_per_participant: 0\n", 15,
        "'hours_per_participant' must be a number above 0",
    ),
    (
        "  hours_per_participant: 17.5\n", "  hours_per_participant: arton\n", 15,
        "'hours_per_participant' must be a number above 0",
    ),
    ("targets:\n", "budget: 100\ntargets:\n", 12, "unknown key 'budget' in the programme file"),
    ("  hours: 2000\n", "  people: 2000\n", 14, "unknown key 'people' in targets"),
    ("    department: Forumbiblioteken\n", "    avdelning: Forumbiblioteken\n", 11, "unknown key"),
    ("name: Kulturarv i fokus\n", "name: [Kulturarv\n", 2, "invalid YAML"),
    ("name: Kulturarv i fokus\n", "", 1, "the programme file needs a value for 'name'"),
    ("period:\n  from: 2025-01-01\n  to: 2025-12-31\n", "", 1,
     "the programme file needs a value for 'period'"),
    ("  - Kulturförvaltningen\n", "  - Operan\n", 8, "unknown organisation 'Operan'"),
    (
        "  - organisation: Nacka kommun\n", "  - organisation: Kulturförvaltningen\n", 10,
        "unknown department 'Forumbiblioteken' in organisation 'Kulturförvaltningen'",
    ),
    ("  - Kulturförvaltningen\n", "  - Kulturförvaltningen\n  - Kulturförvaltningen\n", 9,
     "organisation 'Kulturförvaltningen' is listed twice"),
]  # fmt: skip


@pytest.mark.usefixtures("orgs")
@pytest.mark.parametrize(("old", "new", "line", "reason"), BROKEN)
def test_a_broken_programme_file_is_reported_at_its_line_and_nothing_is_written(
    session: Session, tmp_path: Path, old: str, new: str, line: int, reason: str
) -> None:
    assert VALID.count(old) == 1
    files = {
        "framework.yaml": FRAMEWORK,
        "activities/starka-losenord.md": ACTIVITY,
        "programmes/kulturarv-i-fokus.yaml": VALID.replace(old, new),
    }
    events = _count(session, AuditEvent)
    with pytest.raises(PackageInvalid) as raised:
        import_package(session, _package(tmp_path, files))
    expected = f"programmes/kulturarv-i-fokus.yaml:{line}: {reason}"
    assert any(error.startswith(expected) for error in raised.value.errors), raised.value.errors
    assert _count(session, Programme) == 0 and _count(session, AuditEvent) == events


@pytest.mark.usefixtures("orgs")
def test_a_programme_needs_someone_taking_part(session: Session, tmp_path: Path) -> None:
    text = VALID.split("organisations:", 1)[0] + "targets: {hours: 5}\n"
    with pytest.raises(PackageInvalid) as raised:
        import_package(session, _package(tmp_path, {"programmes/tom.yaml": text}))
    assert raised.value.errors == [
        "programmes/tom.yaml:1: name at least one organisation or department that takes part"
    ]


@pytest.mark.usefixtures("orgs")
def test_file_names_and_duplicate_names_are_checked(session: Session, tmp_path: Path) -> None:
    files = {
        "programmes/Mitt_Program.yaml": VALID.replace("Kulturarv i fokus", "Annat"),
        "programmes/kulturarv-i-fokus.yaml": VALID,
        "programmes/kulturarv-igen.yaml": VALID.replace("Kulturarv i fokus", "KULTURARV I FOKUS"),
        "programmes/gammalt.yml": VALID,
    }
    with pytest.raises(PackageInvalid) as raised:
        import_package(session, _package(tmp_path, files))
    errors = raised.value.errors
    assert "programmes/gammalt.yml:1: name programme files <slug>.yaml" in errors
    assert any(
        e.startswith("programmes/Mitt_Program.yaml:1: the file name must be") for e in errors
    )
    assert (
        "programmes/kulturarv-igen.yaml:1: the name 'KULTURARV I FOKUS' is also "
        "programmes/kulturarv-i-fokus.yaml" in errors
    )
    assert _count(session, Programme) == 0


def test_unknown_names_are_skipped_with_a_note_when_asked(session: Session, tmp_path: Path) -> None:
    factories.organisation(session, "Kulturförvaltningen")
    package = _package(tmp_path, {"programmes/kulturarv-i-fokus.yaml": VALID})
    with pytest.raises(PackageInvalid):
        import_package(session, package)

    result = import_package(session, package, skip_unknown_departments=True)

    assert result.unknown_departments == ["Forumbiblioteken (Nacka kommun)"]
    assert result.unknown_organisations == []
    programme = _programme(session)
    assert programme is not None and [o.name for o in programme.organisations] == [
        "Kulturförvaltningen"
    ]
    assert programme.departments == []


def test_the_command_notes_skipped_organisations(
    app: Flask, session: Session, tmp_path: Path
) -> None:
    package = _package(tmp_path, {"programmes/kulturarv-i-fokus.yaml": VALID})
    runner = app.test_cli_runner()

    refused = runner.invoke(args=["lms", "content", "import", str(package)])
    skipped = runner.invoke(
        args=["lms", "content", "import", "--skip-unknown-departments", str(package)]
    )

    assert refused.exit_code == 1
    assert "programmes/kulturarv-i-fokus.yaml:8: unknown organisation 'Kulturförvaltningen'" in (
        refused.stderr
    )
    assert "hint: import the organisation first" in refused.stderr
    assert skipped.exit_code == 0, skipped.output
    assert "1 programmes (1 created, 0 updated, 0 unchanged)" in skipped.stdout
    assert "note: 1 organisation names match no organisation and were left out" in skipped.stdout
    assert "note: 1 department names match no department" in skipped.stdout
