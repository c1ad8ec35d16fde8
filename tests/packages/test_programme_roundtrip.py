"""Programmes travel losslessly: the shipped file imports as the programme the issue describes,
and export → import → export gives the files back byte for byte."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from lms.packages.importer import import_package
from lms.packages.writer import export_package
from lms.reports.models import Programme
from tests import factories
from tests.packages.conftest import CONTENT

SHIPPED = CONTENT / "programmes" / "digitalt-kompetenslyft.yaml"


def _only_programmes(tmp_path: Path, *files: Path) -> Path:
    package = tmp_path / "package" / "programmes"
    package.mkdir(parents=True)
    for path in files:
        shutil.copy(path, package / path.name)
    return package.parent


def _programme_files(root: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted((root / "programmes").glob("*"))}


@pytest.mark.usefixtures("demo_org")
def test_the_shipped_programme_is_digitalt_kompetenslyft(session: Session, tmp_path: Path) -> None:
    result = import_package(session, _only_programmes(tmp_path, SHIPPED))

    assert result.unknown_organisations == [] and result.unknown_departments == []
    programme = session.scalars(select(Programme)).one()
    assert (programme.slug, programme.name) == ("digitalt-kompetenslyft", "Digitalt kompetenslyft")
    assert (programme.starts_on, programme.ends_on) == (date(2023, 9, 1), date(2026, 3, 31))
    assert programme.target_participants == 1098 and programme.target_hours == 18920
    assert programme.target_hours_per_participant == 18
    assert [o.name for o in programme.organisations] == [
        "Nacka kommun",
        "Stockholms stad kulturförvaltning",
    ]
    assert "ESF" in programme.description and "kulturförvaltning" in programme.description
    assert programme.description.count("\n\n") == 1  # two paragraphs


@pytest.mark.usefixtures("demo_org")
def test_the_shipped_programme_round_trips_byte_for_byte(session: Session, tmp_path: Path) -> None:
    import_package(session, _only_programmes(tmp_path, SHIPPED))

    result = export_package(session, tmp_path / "out", uploads=tmp_path / "uploads")

    assert result.programmes == 1 and "1 programmes" in result.summary()
    assert _programme_files(tmp_path / "out") == {SHIPPED.name: SHIPPED.read_bytes()}


def test_export_import_export_is_byte_identical(session: Session, tmp_path: Path) -> None:
    kultur = factories.organisation(session, "Kulturförvaltningen")
    nacka = factories.organisation(session, "Nacka kommun")
    session.add_all(
        [
            Programme(
                slug="museilyftet", name="Museilyftet: 'digitalt' & #1",
                description="Första stycket.\n\nAndra stycket: med kolon.",
                starts_on=date(2024, 1, 1), ends_on=date(2024, 12, 31),
                target_hours_per_participant=17.5,
                departments=[
                    factories.department(session, "Stadsmuseet", kultur),
                    factories.department(session, "Forumbiblioteken", nacka),
                    factories.department(session, "Arkivet", kultur),
                ],
            ),
            Programme(
                slug="utan-mal", name="Utan mål", starts_on=date(2025, 2, 1),
                ends_on=date(2025, 2, 1), organisations=[nacka, kultur],
            ),
        ]
    )  # fmt: skip
    session.flush()
    uploads = tmp_path / "uploads"
    export_package(session, tmp_path / "A", uploads=uploads)
    session.execute(delete(Programme))
    session.expunge_all()

    result = import_package(session, tmp_path / "A")
    export_package(session, tmp_path / "B", uploads=uploads)

    assert result.programmes.created == 2
    files = _programme_files(tmp_path / "A")
    assert sorted(files) == ["museilyftet.yaml", "utan-mal.yaml"]
    assert files == _programme_files(tmp_path / "B")
    text = files["museilyftet.yaml"].decode()
    assert "departments:\n  - organisation: Kulturförvaltningen\n    department: Arkivet\n" in text
    assert "targets:\n  hours_per_participant: 17.5\n" in text
    assert "targets" not in files["utan-mal.yaml"].decode()
    again = session.scalar(select(Programme).where(Programme.slug == "museilyftet"))
    assert again is not None and again.description == "Första stycket.\n\nAndra stycket: med kolon."


def test_export_removes_files_of_deleted_programmes(session: Session, tmp_path: Path) -> None:
    stale = tmp_path / "out" / "programmes" / "borttaget.yaml"
    stale.parent.mkdir(parents=True)
    stale.write_text("name: Borttaget\n", encoding="utf-8")

    result = export_package(session, tmp_path / "out", uploads=tmp_path / "uploads")

    assert not stale.exists() and stale in result.removed
