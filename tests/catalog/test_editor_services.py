"""Authoring rules: creating and editing activities, status, revisions, sessions, lessons."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.accounts.models import User
from lms.catalog import lessons, schedule, services
from lms.catalog.diff import body_diff, meta_changes
from lms.catalog.lessons import LessonData
from lms.catalog.models import Activity, ActivityRevision, Status
from lms.catalog.schedule import SessionData
from lms.catalog.services import ActivityData
from lms.core.access import Permission
from lms.core.audit import AuditEvent
from lms.core.errors import NotFound, PermissionDenied, ValidationError
from lms.core.time import UTC, utcnow
from tests import factories
from tests.catalog import factories as cf


@pytest.fixture
def fw(session: Session) -> cf.Framework:
    return cf.framework(session)


@pytest.fixture
def owner(session: Session) -> User:
    return factories.user(session, name="Maria Lindqvist", permissions=Permission.COURSE_OWNER)


@pytest.fixture
def coordinator(session: Session) -> User:
    return factories.user(session, name="Karin Holm", permissions=Permission.COORDINATOR)


def data(fw: cf.Framework, **changes: object) -> ActivityData:
    values: dict[str, object] = {
        "title": "Känn igen nätfiske",
        "summary": "Fem minuter om nätfiske.",
        "body": "## Varningstecken\n\nBrådska och hot.",
        "format": "nanolesson",
        "level": "grund",
        "delivery": "digital",
        "minutes": 6,
        "competences": [(fw.competences["4.1"], 1.0)],
    }
    values.update(changes)
    return ActivityData(**values)  # type: ignore[arg-type]


def revisions(session: Session, activity: Activity) -> list[ActivityRevision]:
    stmt = select(ActivityRevision).where(ActivityRevision.activity_id == activity.id)
    return list(session.scalars(stmt.order_by(ActivityRevision.number)))


# --- creating and editing --------------------------------------------------------------------


def test_new_activity_is_a_draft_owned_by_its_author_with_a_slug_from_the_title(
    session: Session, fw: cf.Framework, owner: User
) -> None:
    activity = services.edit_activity(session, owner, data(fw, status=Status.PUBLISHED))
    assert activity.slug == "kann-igen-natfiske"
    assert activity.status == Status.DRAFT
    assert activity.owners == [owner]
    assert "<h2" in activity.body_html
    assert [r.number for r in revisions(session, activity)] == [1]


def test_suggested_slugs_are_unique(session: Session, fw: cf.Framework, owner: User) -> None:
    first = services.edit_activity(session, owner, data(fw))
    second = services.edit_activity(session, owner, data(fw))
    third = services.edit_activity(session, owner, data(fw))
    assert [first.slug, second.slug, third.slug] == [
        "kann-igen-natfiske",
        "kann-igen-natfiske-2",
        "kann-igen-natfiske-3",
    ]


@pytest.mark.parametrize("slug", ["Versaler", "med mellanslag", "å-ä-ö", "-kant", "a--b", "ny"])
def test_bad_or_reserved_slugs_are_refused(
    session: Session, fw: cf.Framework, owner: User, slug: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        services.edit_activity(session, owner, data(fw), slug=slug)
    assert refused.value.field == "slug"


def test_a_used_slug_is_refused(session: Session, fw: cf.Framework, owner: User) -> None:
    services.edit_activity(session, owner, data(fw), slug="natfiske")
    with pytest.raises(ValidationError) as refused:
        services.edit_activity(session, owner, data(fw), slug="natfiske")
    assert refused.value.field == "slug"


@pytest.mark.parametrize("url", ["http://example.se", "javascript:alert(1)", "https://", "ftp://x"])
def test_the_link_must_be_https(session: Session, fw: cf.Framework, owner: User, url: str) -> None:
    with pytest.raises(ValidationError) as refused:
        services.edit_activity(session, owner, data(fw, url=url))
    assert refused.value.field == "url"


def test_an_employee_may_not_create_activities(session: Session, fw: cf.Framework) -> None:
    with pytest.raises(PermissionDenied):
        services.edit_activity(session, factories.user(session), data(fw))


def test_a_course_owner_may_not_edit_someone_elses_activity(
    session: Session, fw: cf.Framework, owner: User
) -> None:
    theirs = cf.activity(session, owners=[factories.user(session, permissions=owner.permissions)])
    with pytest.raises(PermissionDenied):
        services.edit_activity(session, owner, data(fw), activity=theirs)


def test_a_coordinator_may_edit_any_activity_without_becoming_its_owner(
    session: Session, fw: cf.Framework, owner: User, coordinator: User
) -> None:
    activity = services.edit_activity(session, owner, data(fw))
    changed = data(fw, title="Nytt namn", owners=[owner])
    services.edit_activity(session, coordinator, changed, activity=activity)
    assert activity.title == "Nytt namn"
    assert activity.owners == [owner]


def test_a_course_owner_cannot_remove_themselves_as_owner(
    session: Session, fw: cf.Framework, owner: User
) -> None:
    colleague = factories.user(session, permissions=Permission.COURSE_OWNER)
    activity = services.edit_activity(session, owner, data(fw))
    services.edit_activity(session, owner, data(fw, owners=[colleague]), activity=activity)
    assert set(activity.owners) == {owner, colleague}


def test_editing_keeps_the_status_and_revisions_only_change(
    session: Session, fw: cf.Framework, owner: User
) -> None:
    activity = services.edit_activity(session, owner, data(fw))
    services.change_status(session, owner, activity, Status.PUBLISHED)
    services.edit_activity(session, owner, data(fw), activity=activity)
    assert activity.status == Status.PUBLISHED
    assert len(revisions(session, activity)) == 2  # created, published; no-op save adds none
    services.edit_activity(session, owner, data(fw, minutes=8), activity=activity, note="Längre")
    latest = revisions(session, activity)[-1]
    assert (latest.number, latest.note, latest.meta["minutes"]) == (3, "Längre", 8)


def test_status_changes_are_audited_and_kept_in_the_history(
    session: Session, fw: cf.Framework, owner: User
) -> None:
    activity = services.edit_activity(session, owner, data(fw))
    for status in (Status.PUBLISHED, Status.ARCHIVED, Status.DRAFT):
        services.change_status(session, owner, activity, status)
    events = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action == "activity.status", AuditEvent.object_id == str(activity.id))
        .order_by(AuditEvent.id)
    ).all()
    assert [(e.details_dict["before"], e.details_dict["after"]) for e in events] == [
        ("draft", "published"),
        ("published", "archived"),
        ("archived", "draft"),
    ]
    assert [r.meta["status"] for r in revisions(session, activity)] == [
        "draft",
        "published",
        "archived",
        "draft",
    ]
    assert activity.published_at is not None


def test_markdown_problems_refuse_the_save(session: Session, fw: cf.Framework, owner: User) -> None:
    with pytest.raises(ValidationError) as refused:
        services.edit_activity(session, owner, data(fw, body="![](bild.png)"))
    assert refused.value.field == "body"


# --- restore ---------------------------------------------------------------------------------


def test_restoring_saves_the_old_content_as_a_new_revision(
    session: Session, fw: cf.Framework, owner: User
) -> None:
    activity = services.edit_activity(session, owner, data(fw, body="Första texten."))
    services.change_status(session, owner, activity, Status.PUBLISHED)
    services.edit_activity(
        session,
        owner,
        data(fw, title="Andra titeln", body="Andra texten.", minutes=20),
        activity=activity,
    )
    services.restore_revision(session, owner, activity, 1)
    latest = revisions(session, activity)[-1]
    assert latest.number == 4
    assert latest.note == "Återställd från version 1"
    assert (activity.title, activity.body, activity.minutes) == (
        "Känn igen nätfiske",
        "Första texten.",
        6,
    )
    assert activity.status == Status.PUBLISHED  # the status is not rolled back
    assert "Första texten." in activity.body_html


def test_restoring_an_unknown_revision_is_not_found(
    session: Session, fw: cf.Framework, owner: User
) -> None:
    from lms.core.errors import NotFound

    activity = services.edit_activity(session, owner, data(fw))
    with pytest.raises(NotFound):
        services.restore_revision(session, owner, activity, 99)


# --- sessions --------------------------------------------------------------------------------


def _session_data(**changes: object) -> SessionData:
    start = utcnow().replace(microsecond=0) + timedelta(days=10)
    values: dict[str, object] = {
        "starts_at": start,
        "ends_at": start + timedelta(hours=2),
        "place": "Stadsbiblioteket, sal 2",
        "online_url": None,
        "capacity": 25,
    }
    values.update(changes)
    return SessionData(**values)  # type: ignore[arg-type]


@pytest.fixture
def workshop(session: Session, fw: cf.Framework, owner: User) -> Activity:
    return services.edit_activity(session, owner, data(fw, format="workshop", title="Workshop"))


def test_a_session_is_added_to_a_scheduled_activity(
    session: Session, owner: User, workshop: Activity
) -> None:
    added = schedule.add_session(session, owner, workshop, _session_data())
    assert workshop.sessions == [added]
    assert added.minutes == 120
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "session.add"))


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"starts_at": datetime(2020, 1, 1, 9, tzinfo=UTC)}, "starts_at"),
        ({"ends_at": utcnow() + timedelta(days=9)}, "ends_at"),
        ({"capacity": 0}, "capacity"),
        ({"online_url": "http://zoom.example/1"}, "online_url"),
        ({"place": " ", "online_url": None}, "place"),
    ],
)
def test_invalid_sessions_are_refused(
    session: Session, owner: User, workshop: Activity, changes: dict[str, object], field: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        schedule.add_session(session, owner, workshop, _session_data(**changes))
    assert refused.value.field == field
    assert workshop.sessions == []


def test_only_scheduled_formats_have_sessions(
    session: Session, fw: cf.Framework, owner: User
) -> None:
    lesson = services.edit_activity(session, owner, data(fw))
    with pytest.raises(ValidationError):
        schedule.add_session(session, owner, lesson, _session_data())


def test_sessions_are_cancelled_or_deleted(
    session: Session, owner: User, workshop: Activity
) -> None:
    first = schedule.add_session(session, owner, workshop, _session_data())
    second = schedule.add_session(session, owner, workshop, _session_data(capacity=5))
    schedule.cancel_session(session, owner, first)
    schedule.delete_session(session, owner, second)
    session.expire(workshop)
    assert [(s.id, s.is_cancelled) for s in workshop.sessions] == [(first.id, True)]
    actions = session.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "session"))
    assert sorted(actions) == ["session.add", "session.add", "session.cancel", "session.delete"]


def test_another_course_owner_may_not_change_sessions(session: Session, workshop: Activity) -> None:
    other = factories.user(session, permissions=Permission.COURSE_OWNER)
    # The workshop is a draft: to another owner it does not exist (404, as in the catalogue),
    # so probing slugs tells them nothing; a published one is theirs to see but not to change.
    with pytest.raises(NotFound):
        schedule.add_session(session, other, workshop, _session_data())
    workshop.status = Status.PUBLISHED
    session.flush()
    with pytest.raises(PermissionDenied):
        schedule.add_session(session, other, workshop, _session_data())


# --- lessons ---------------------------------------------------------------------------------


@pytest.fixture
def course(session: Session, fw: cf.Framework, owner: User) -> Activity:
    return services.edit_activity(session, owner, data(fw, format="course", title="Office"))


def _titles(course: Activity) -> list[str]:
    return [lesson.title for lesson in sorted(course.lessons, key=lambda item: item.position)]


def test_lessons_are_added_in_order_with_unique_slugs(
    session: Session, owner: User, course: Activity
) -> None:
    first = lessons.add_lesson(session, owner, course, LessonData("Word", 5))
    second = lessons.add_lesson(session, owner, course, LessonData("Word", 7))
    quiz = lessons.add_lesson(session, owner, course, LessonData("Test", 3, body=cf.QUIZ))
    assert [(first.slug, first.position), (second.slug, second.position)] == [
        ("word", 1),
        ("word-2", 2),
    ]
    assert len(quiz.quiz) == 2 and "Rapporterar" not in quiz.body_html


def test_lessons_move_up_and_down_and_deleting_closes_the_gap(
    session: Session, owner: User, course: Activity
) -> None:
    word, excel, teams = (
        lessons.add_lesson(session, owner, course, LessonData(title, 5))
        for title in ("Word", "Excel", "Teams")
    )
    lessons.move_lesson(session, owner, teams, -1)
    assert _titles(course) == ["Word", "Teams", "Excel"]
    lessons.move_lesson(session, owner, word, -1)  # already first: nothing moves
    lessons.move_lesson(session, owner, word, +1)
    assert _titles(course) == ["Teams", "Word", "Excel"]
    lessons.delete_lesson(session, owner, word)
    assert _titles(course) == ["Teams", "Excel"]
    assert [lesson.position for lesson in course.lessons] == [1, 2]
    assert excel.position == 2


def test_lesson_problems_are_validation_errors(
    session: Session, owner: User, course: Activity
) -> None:
    with pytest.raises(ValidationError) as refused:
        lessons.add_lesson(session, owner, course, LessonData("Bild", 5, body="![](x.png)"))
    assert refused.value.field == "body"
    with pytest.raises(ValidationError) as refused:
        lessons.add_lesson(session, owner, course, LessonData(" ", 5))
    assert refused.value.field == "title"
    assert course.lessons == []


def test_updating_a_lesson_keeps_its_address(
    session: Session, owner: User, course: Activity
) -> None:
    lesson = lessons.add_lesson(session, owner, course, LessonData("Word", 5))
    lessons.update_lesson(
        session, owner, lesson, LessonData("Word på riktigt", 9, False, "Kort.", "## Start")
    )
    assert (lesson.slug, lesson.title, lesson.minutes, lesson.is_required) == (
        "word",
        "Word på riktigt",
        9,
        False,
    )
    assert "<h2" in lesson.body_html


def test_only_courses_have_lessons(session: Session, fw: cf.Framework, owner: User) -> None:
    nano = services.edit_activity(session, owner, data(fw))
    with pytest.raises(ValidationError):
        lessons.add_lesson(session, owner, nano, LessonData("Word", 5))


# --- the diff --------------------------------------------------------------------------------


def test_meta_changes_list_what_differs_in_display_order() -> None:
    before = {"title": "A", "minutes": 5, "competences": {"4.1": 1.0}, "subjects": []}
    after = {"title": "B", "minutes": 5, "competences": {"4.1": 0.5}, "subjects": ["x"]}
    changes = meta_changes(before, after)
    assert [(c.key, c.before, c.after) for c in changes] == [
        ("title", "A", "B"),
        ("competences", "4.1: 1.0", "4.1: 0.5"),
        ("subjects", "–", "x"),
    ]


def test_body_diff_marks_added_removed_and_skipped_lines() -> None:
    before = "\n".join(f"rad {n}" for n in range(1, 21))
    after = before.replace("rad 10", "rad tio")
    lines = body_diff(before, after)
    kinds = [(line.kind, line.text) for line in lines]
    assert ("removed", "rad 10") in kinds and ("added", "rad tio") in kinds
    assert kinds[0] == ("skipped", "6") and kinds[-1] == ("skipped", "7")
    assert body_diff("samma", "samma") == []
