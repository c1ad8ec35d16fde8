"""The shipped content/ package: it imports cleanly, re-imports idempotently and round-trips."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from lms.catalog.models import (
    Activity,
    ActivityCompetence,
    ActivityRevision,
    ActivitySession,
    Format,
    Lesson,
    ThemeMonth,
    ThemeMonthActivity,
    activity_departments,
    activity_job_roles,
    activity_owners,
    activity_subjects,
    theme_month_departments,
)
from lms.core.audit import AuditEvent
from lms.framework.models import Competence, CompetenceArea, RoleExpectation, Subject
from lms.packages.importer import import_package
from lms.packages.reader import read_package
from lms.packages.writer import export_package
from lms.transfer.models import TransferTask
from tests.packages.conftest import CONTENT, row_counts

pytestmark = pytest.mark.usefixtures("demo_org")


def _count(session: Session, model: type) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _files(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def test_shipped_content_imports_without_problems(session: Session) -> None:
    result = import_package(session, CONTENT)

    assert result.unknown_owners == []
    assert result.unknown_departments == []
    assert result.activities.created + result.courses.created >= 40
    assert result.competences == 15 and result.job_roles == 13 and result.subjects == 6


def test_shipped_content_has_the_promised_catalogue(session: Session) -> None:
    import_package(session, CONTENT)

    activities = session.scalars(select(Activity)).all()
    courses = [a for a in activities if a.format == Format.COURSE]
    quizzed_nanolessons = [a for a in activities if a.format == Format.NANOLESSON and a.quiz]
    assert len(activities) >= 40
    assert len(courses) >= 3
    assert all(len(course.lessons) >= 3 for course in courses)
    assert len(quizzed_nanolessons) >= 10
    assert _count(session, ActivitySession) > 0
    assert _count(session, TransferTask) > 0


def test_shipped_content_carries_transfer_of_training(session: Session) -> None:
    """At least ten activities ask for preparation before and follow-up after, in Swedish,
    of every kind, and one bookable workshop has a required pre-task, a required follow-up
    and a conversation with the manager (the browser journey takes it)."""
    import_package(session, CONTENT)
    tasks = session.scalars(select(TransferTask)).all()
    phases: dict[int, set[str]] = {}
    for task in tasks:
        phases.setdefault(task.activity_id, set()).add(task.phase)
    assert sum(found == {"pre", "follow_up"} for found in phases.values()) >= 10
    assert {task.kind for task in tasks} == {"reflection", "checklist", "manager"}
    assert any(task.is_shared_with_owner for task in tasks)
    assert all(task.instructions.strip() and "lorem" not in task.instructions for task in tasks)
    assert all(re.search(r"[åäö]", task.title + task.instructions, re.I) for task in tasks)
    journey = session.scalars(
        select(Activity).where(Activity.slug == "kallkritik-och-ai-pa-biblioteket-workshopserie")
    ).one()
    mine = [task for task in tasks if task.activity_id == journey.id]
    assert {(t.phase, t.kind, t.is_required) for t in mine} == {
        ("pre", "reflection", True),
        ("follow_up", "reflection", True),
        ("follow_up", "manager", False),
    }


def test_second_import_changes_nothing(session: Session) -> None:
    import_package(session, CONTENT)
    revisions, events = _count(session, ActivityRevision), _count(session, AuditEvent)

    again = import_package(session, CONTENT)

    assert again.changed == 0
    assert again.activities.created == again.activities.updated == 0
    assert "no changes" in again.summary()
    assert _count(session, ActivityRevision) == revisions
    assert _count(session, AuditEvent) == events


def test_export_twice_gives_identical_bytes(session: Session, tmp_path: Path) -> None:
    import_package(session, CONTENT)

    export_package(session, tmp_path / "one")
    export_package(session, tmp_path / "two")

    assert _files(tmp_path / "one") == _files(tmp_path / "two")


def _delete_catalogue_and_framework(session: Session) -> None:
    for table in (activity_subjects, activity_departments, activity_job_roles, activity_owners):
        session.execute(table.delete())
    session.execute(theme_month_departments.delete())
    for model in (
        ThemeMonthActivity, ThemeMonth,
        TransferTask, ActivitySession, Lesson, ActivityRevision, ActivityCompetence, Activity,
        RoleExpectation, Competence, CompetenceArea, Subject,
    ):  # fmt: skip
        session.execute(delete(model))
    session.expunge_all()
    assert _count(session, Activity) == _count(session, Competence) == 0


def test_export_import_export_round_trip_is_byte_identical(
    session: Session, tmp_path: Path
) -> None:
    import_package(session, CONTENT)
    export_package(session, tmp_path / "A")
    _delete_catalogue_and_framework(session)

    result = import_package(session, tmp_path / "A")
    export_package(session, tmp_path / "B")

    assert result.unknown_owners == []
    files_a, files_b = _files(tmp_path / "A"), _files(tmp_path / "B")
    assert sorted(files_a) == sorted(files_b)
    assert [name for name in files_a if files_a[name] != files_b[name]] == []
    assert len(files_a) == 1 + 41 + 4 + 16 + 3 + 3 + 1  # + theme months, banners, programme


def test_export_keeps_what_the_content_says(session: Session, tmp_path: Path) -> None:
    import_package(session, CONTENT)
    export_package(session, tmp_path / "A")

    original, _ = read_package(CONTENT)
    exported, problems = read_package(tmp_path / "A")

    assert problems == []
    by_slug = {record.slug: record for record in exported.activities}
    for record in original.activities:
        again = by_slug[record.slug]
        assert again.body == record.body
        assert again.tasks == record.tasks
        assert again.sessions == record.sessions
        assert again.lessons == record.lessons
        assert _sorted_lists(again.meta) == _sorted_lists(record.meta)


def _sorted_lists(meta: dict[str, object]) -> dict[str, object]:
    """Lists in the front matter are sets (the database orders them its own way)."""
    return {key: sorted(value) if isinstance(value, list) else value for key, value in meta.items()}


def test_export_of_an_import_into_the_same_database_changes_nothing(
    session: Session, tmp_path: Path
) -> None:
    import_package(session, CONTENT)
    export_package(session, tmp_path / "A")

    assert import_package(session, tmp_path / "A").changed == 0


def test_draft_and_archived_activities_are_exported_with_their_status(
    session: Session, tmp_path: Path
) -> None:
    import_package(session, CONTENT)
    activity = session.scalars(select(Activity).where(Activity.status == "published")).first()
    assert activity is not None
    activity.status = "archived"
    session.flush()

    export_package(session, tmp_path / "A")

    text = (tmp_path / "A" / "activities" / f"{activity.slug}.md").read_text(encoding="utf-8")
    assert "\nstatus: archived\n" in text
    assert "\nstatus: draft\n" in (tmp_path / "A/activities/saker-wifi-pa-resa.md").read_text()
    counts = row_counts(session)
    assert counts["Activity"] == 45
