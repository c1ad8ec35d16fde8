"""Re-importing a changed package updates in place: activities, lessons, sessions, tasks, roles."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lms.accounts.models import JobRole
from lms.catalog.models import Activity, ActivityRevision, ActivitySession, Lesson
from lms.core.audit import AuditEvent
from lms.core.time import to_local
from lms.framework.models import RoleExpectation
from lms.packages.importer import import_package
from lms.transfer.models import TransferTask
from tests.packages.conftest import ACTIVITY, FRAMEWORK, WORKSHOP, write_package

LESSON = "---\ntitle: {title}\nminutes: 5\n---\nText om {title}.\n"
COURSE = ACTIVITY.replace("format: nanolesson", "format: course")


def _activity(session: Session, slug: str) -> Activity:
    session.expire_all()
    return session.scalars(select(Activity).where(Activity.slug == slug)).one()


def _sessions(session: Session, slug: str) -> list[ActivitySession]:
    return sorted(_activity(session, slug).sessions, key=lambda s: s.starts_at)


def _tasks(session: Session, slug: str) -> list[TransferTask]:
    activity = _activity(session, slug)
    stmt = select(TransferTask).where(TransferTask.activity_id == activity.id)
    return list(session.scalars(stmt.order_by(TransferTask.phase, TransferTask.position)))


def test_changed_activity_is_updated_with_a_revision(session: Session, package: Path) -> None:
    import_package(session, package, actor_id=None)
    write_package(
        package, {"activities/starka-losenord.md": ACTIVITY.replace("minutes: 10", "minutes: 12")}
    )

    result = import_package(session, package)

    assert (result.activities.updated, result.activities.unchanged) == (1, 1)
    activity = _activity(session, "starka-losenord")
    assert activity.minutes == 12
    revisions = session.scalars(
        select(ActivityRevision.number).where(ActivityRevision.activity_id == activity.id)
    ).all()
    assert sorted(revisions) == [1, 2]
    assert session.scalar(select(func.count()).where(AuditEvent.action == "content.import")) == 2


def test_sessions_are_matched_by_order_and_extra_ones_deleted(
    session: Session, package: Path
) -> None:
    import_package(session, package)
    first_ids = [s.id for s in _sessions(session, "workshop-om-sakerhet")]
    changed = WORKSHOP.replace("place: Sal 1", "place: Sal 9").replace(
        '  - {starts_at: "2026-04-07T09:00", ends_at: "2026-04-07T11:00", place: Sal 2, '
        "capacity: 20}\n",
        "",
    )
    write_package(package, {"activities/workshop-om-sakerhet.md": changed})

    result = import_package(session, package)

    sessions = _sessions(session, "workshop-om-sakerhet")
    assert [(s.id, s.place) for s in sessions] == [(first_ids[0], "Sal 9")]
    assert (result.sessions.updated, result.sessions.deleted) == (1, 1)
    assert result.activities.unchanged == 2


def test_tasks_are_replaced_in_place_by_position(session: Session, package: Path) -> None:
    import_package(session, package)
    before = {(t.phase, t.position): t.id for t in _tasks(session, "workshop-om-sakerhet")}
    changed = WORKSHOP.replace("title: Pröva", "title: Pröva på jobbet").replace(
        "pre_tasks:\n  - {title: Förbered dig, instructions: Läs på., kind: reflection, "
        "required: true}\n",
        "",
    )
    write_package(package, {"activities/workshop-om-sakerhet.md": changed})

    result = import_package(session, package)

    tasks = _tasks(session, "workshop-om-sakerhet")
    assert [(t.id, t.phase, t.title, t.due_days) for t in tasks] == [
        (before[("follow_up", 0)], "follow_up", "Pröva på jobbet", 14)
    ]
    assert (result.tasks.updated, result.tasks.deleted) == (1, 1)


def test_course_lessons_by_slug_with_positions_and_removals(
    session: Session, package: Path
) -> None:
    write_package(
        package,
        {
            "courses/kurs/course.md": COURSE,
            "courses/kurs/01-ett.md": LESSON.format(title="Ett"),
            "courses/kurs/02-tva.md": LESSON.format(title="Två"),
            "courses/kurs/03-tre.md": LESSON.format(title="Tre"),
        },
    )
    import_package(session, package)
    ids = {lesson.slug: lesson.id for lesson in _activity(session, "kurs").lessons}
    (package / "courses/kurs/01-ett.md").unlink()
    (package / "courses/kurs/03-tre.md").rename(package / "courses/kurs/01-tre.md")

    result = import_package(session, package)

    lessons = _activity(session, "kurs").lessons
    assert [(lesson.position, lesson.slug, lesson.id) for lesson in lessons] == [
        (1, "tre", ids["tre"]),
        (2, "tva", ids["tva"]),
    ]
    assert (result.lessons.updated, result.lessons.deleted, result.lessons.unchanged) == (1, 1, 1)
    assert session.scalar(select(func.count()).select_from(Lesson)) == 2


def test_lesson_quiz_is_rendered_and_stored(session: Session, package: Path) -> None:
    quiz = (
        "\n```quiz\n- question: Vilket?\n  options:\n    - text: A\n      correct: true\n"
        "    - text: B\n```\n"
    )
    write_package(
        package,
        {
            "courses/kurs/course.md": COURSE,
            "courses/kurs/01-ett.md": LESSON.format(title="E") + quiz,
        },
    )
    import_package(session, package)
    [lesson] = _activity(session, "kurs").lessons
    assert lesson.quiz and lesson.quiz[0]["text"] == "Vilket?"
    assert "Vilket" not in lesson.body_html


def test_job_role_expectations_are_replaced(session: Session, package: Path) -> None:
    import_package(session, package)
    write_package(
        package, {"framework.yaml": FRAMEWORK.replace('{"4.1": 3, "4.2": 2}', '{"4.2": 4}')}
    )

    result = import_package(session, package)

    role = session.scalars(select(JobRole).where(JobRole.name == "Bibliotekarie")).one()
    levels = session.execute(
        select(RoleExpectation.level).where(RoleExpectation.job_role_id == role.id)
    ).scalars()
    assert list(levels) == [4]
    assert result.framework.updated == 1


def test_sessions_shift_by_whole_weeks_keeping_weekday_and_time(
    session: Session, package: Path
) -> None:
    result = import_package(session, package, shift_sessions_to=date(2026, 5, 1))

    assert result.shifted_weeks == 6
    starts = [to_local(s.starts_at) for s in _sessions(session, "workshop-om-sakerhet")]
    # 24 March (before summer time) and 7 April, both Tuesdays: six weeks later, same hours.
    assert [(s.date(), s.hour, s.minute) for s in starts] == [
        (date(2026, 5, 5), 13, 0),
        (date(2026, 5, 19), 9, 0),
    ]
    assert all(s.weekday() == 1 for s in starts)
    assert starts[0].date() >= date(2026, 5, 1)


def test_no_shift_when_the_sessions_are_already_later(session: Session, package: Path) -> None:
    result = import_package(session, package, shift_sessions_to=date(2026, 3, 1))
    assert result.shifted_weeks == 0
    assert to_local(_sessions(session, "workshop-om-sakerhet")[0].starts_at).day == 24


def test_shifted_import_is_idempotent_for_the_same_date(session: Session, package: Path) -> None:
    import_package(session, package, shift_sessions_to=date(2026, 5, 1))
    again = import_package(session, package, shift_sessions_to=date(2026, 5, 1))
    assert again.changed == 0


def test_new_sessions_and_tasks_are_visible_in_the_same_session(
    session: Session, package: Path
) -> None:
    import_package(session, package)
    workshop = session.scalars(
        select(Activity).where(Activity.slug == "workshop-om-sakerhet")
    ).one()  # the importer's own object, not reloaded
    assert [s.place for s in workshop.sessions] == ["Sal 1", "Sal 2"]
    assert len(_tasks(session, "workshop-om-sakerhet")) == 2
