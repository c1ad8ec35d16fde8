"""The reads behind My tasks and the team page: which tasks, in what state, who may read one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from lms.accounts.models import User
from lms.catalog.models import Activity, ActivitySession
from lms.catalog.schedule import sync_seats
from lms.core.access import Permission
from lms.core.time import local_date
from lms.progress.models import Booking, Enrolment
from lms.progress.services import record_completion
from lms.transfer import queries
from lms.transfer.models import TaskResponse
from lms.transfer.services import answer_follow_up, answer_pre_task, confirm_task
from tests import factories
from tests.catalog import factories as cf
from tests.transfer import factories as tf

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
TODAY = local_date(NOW)


@pytest.fixture
def org(session: Session) -> dict[str, User]:
    """Boss → manager → employee; other_manager → outsider; a coordinator and an owner."""
    boss = factories.user(session, name="Bo Chef", permissions=Permission.MANAGER)
    manager = factories.user(
        session, name="Maja Chef", permissions=Permission.MANAGER, manager=boss
    )
    employee = factories.user(session, name="Eva Anställd", manager=manager)
    other_manager = factories.user(session, name="Olle Chef", permissions=Permission.MANAGER)
    outsider = factories.user(session, name="Ulla Annan", manager=other_manager)
    coordinator = factories.user(session, name="Kim Samordnare", permissions=Permission.COORDINATOR)
    owner = factories.user(session, name="Ola Ägare", permissions=Permission.COURSE_OWNER)
    return {
        "boss": boss, "manager": manager, "employee": employee, "other_manager": other_manager,
        "outsider": outsider, "coordinator": coordinator, "owner": owner,
    }  # fmt: skip


def _follow_ups(
    session: Session, user: User, activity: Activity, *, days_ago: int
) -> list[TaskResponse]:
    """Complete `activity` `days_ago` days ago: its follow-ups open (due after 14 days)."""
    return tf.complete(session, user, activity, at=NOW - timedelta(days=days_ago))


def _with_follow_up(session: Session, title: str, **kw: Any) -> Activity:
    activity = cf.activity(session, title=title)
    tf.task(session, activity, phase="follow_up", title=f"Uppföljning: {title}", **kw)
    return activity


def _book(session: Session, user: User, occurrence: ActivitySession, status: str) -> None:
    sync_seats(session, occurrence)
    seat = 1 if status == "booked" else None
    session.add(Booking(session_id=occurrence.id, user_id=user.id, status=status, seat=seat))
    session.flush()


def _states(tasks: queries.MyTasks) -> dict[str, list[tuple[str, str]]]:
    """activity title -> [(task title, state)] over both lists."""
    found: dict[str, list[tuple[str, str]]] = {}
    for group in [*tasks.to_do, *tasks.done]:
        found.setdefault(group.activity.title, []).extend(
            (item.task.title, item.state) for item in group.items
        )
    return found


# --- my tasks --------------------------------------------------------------------------------


def test_follow_ups_are_overdue_due_awaiting_or_done_and_grouped_by_activity(
    session: Session, org: dict[str, User]
) -> None:
    employee = org["employee"]
    late = _with_follow_up(session, "Sent kursen")
    tf.task(session, late, phase="follow_up", title="Klar uppföljning", position=1)
    soon = _with_follow_up(session, "Ny kursen")
    talk = _with_follow_up(session, "Samtalskursen", kind="manager")
    overdue, done = _follow_ups(session, employee, late, days_ago=20)
    answer_follow_up(session, employee, done, text="Jag gjorde det.", now=NOW)
    _follow_ups(session, employee, soon, days_ago=2)
    (held,) = _follow_ups(session, employee, talk, days_ago=3)
    answer_follow_up(session, employee, held, text="Vi pratade.", now=NOW)

    tasks = queries.list_my_tasks(session, employee, today=TODAY, now=NOW)

    assert [g.activity.title for g in tasks.to_do] == ["Sent kursen", "Ny kursen", "Samtalskursen"]
    assert [(i.task.title, i.state) for i in tasks.to_do[0].items] == [
        ("Uppföljning: Sent kursen", "overdue")
    ]
    assert tasks.to_do[0].items[0].due_on == TODAY - timedelta(days=6)
    assert [(i.task.title, i.state) for i in tasks.done[0].items] == [("Klar uppföljning", "done")]
    assert tasks.done[0].activity.title == "Sent kursen"
    assert _states(tasks)["Ny kursen"] == [("Uppföljning: Ny kursen", "due")]
    assert _states(tasks)["Samtalskursen"] == [("Uppföljning: Samtalskursen", "awaiting")]
    assert dict(tasks.counts) == {"overdue": 1, "due": 1, "awaiting": 1, "done": 1}
    assert overdue.status == "open"


def test_pre_tasks_to_do_only_for_activities_the_person_takes_part_in(
    session: Session, org: dict[str, User]
) -> None:
    employee, outsider = org["employee"], org["outsider"]

    def scheduled(title: str, **kw: Any) -> ActivitySession:
        activity = cf.activity(session, title=title, format="workshop", delivery="physical")
        tf.task(session, activity, title=f"Inför {title}")
        return cf.session_of(session, activity, now=NOW, **kw)

    _book(session, employee, scheduled("Bokad"), "booked")
    _book(session, employee, scheduled("Väntelista"), "waitlisted")
    _book(session, employee, scheduled("Avbokad"), "cancelled")
    _book(session, employee, scheduled("Inställd", cancelled=True), "booked")
    _book(session, employee, scheduled("Passerad", starts_in=timedelta(days=-1)), "booked")
    _book(session, outsider, scheduled("Någon annans"), "booked")
    scheduled("Inte bokad")
    started = cf.activity(session, title="Påbörjad")
    tf.task(session, started, title="Inför Påbörjad", required=False)
    session.add(Enrolment(user_id=employee.id, activity_id=started.id, status="in_progress"))
    draft = cf.activity(session, title="Utkast", status="draft")
    tf.task(session, draft, title="Inför Utkast")
    session.add(Enrolment(user_id=employee.id, activity_id=draft.id, status="in_progress"))
    walk_in = cf.activity(session, title="Drop-in", format="workshop", delivery="physical")
    tf.task(session, walk_in, title="Inför Drop-in")
    record_completion(
        session,
        employee,
        occurrence_key="walk-in",
        activity=walk_in,
        minutes=60,
        source="attendance",
        completed_at=NOW,
        is_pre_task_missing=True,
    )
    session.flush()

    tasks = queries.list_my_tasks(session, employee, today=TODAY, now=NOW)

    assert tasks.done == []
    assert sorted(_states(tasks)) == ["Bokad", "Drop-in", "Påbörjad", "Väntelista"]
    assert all(state == "prepare" for items in _states(tasks).values() for _, state in items)


def test_answered_pre_tasks_show_their_state_and_partial_checklists_stay_to_do(
    session: Session, org: dict[str, User]
) -> None:
    employee = org["employee"]
    activity = cf.activity(session, title="Förberedd")
    reflection = tf.task(session, activity, title="Reflektion")
    checklist = tf.task(session, activity, kind="checklist", title="Checklista", position=1)
    talk = tf.task(session, activity, kind="manager", title="Samtal", position=2)
    answer_pre_task(session, employee, reflection, text="Klart.", now=NOW)
    answer_pre_task(session, employee, checklist, checked=[0], now=NOW)
    answer_pre_task(session, employee, talk, text="", now=NOW)

    tasks = queries.list_my_tasks(session, employee, today=TODAY, now=NOW)

    assert [(i.task.title, i.state) for i in tasks.to_do[0].items] == [
        ("Checklista", "prepare"),
        ("Samtal", "awaiting"),
    ]
    assert [(i.task.title, i.state) for i in tasks.done[0].items] == [("Reflektion", "done")]
    states = queries.list_pre_task_states(session, employee, activity)
    assert [(s.task.title, s.state) for s in states] == [
        ("Reflektion", "done"),
        ("Checklista", "prepare"),
        ("Samtal", "awaiting"),
    ]
    assert [s.state for s in queries.list_pre_task_states(session, org["outsider"], activity)] == [
        "prepare"
    ] * 3


def _load_many(session: Session, user: User, n: int) -> None:
    for i in range(n):
        activity = _with_follow_up(session, f"Kurs {i}")
        tf.task(session, activity, title=f"Inför {i}")
        tf.task(session, activity, phase="follow_up", kind="checklist", position=1)
        _follow_ups(session, user, activity, days_ago=i * 3)
        occurrence = cf.session_of(session, activity, now=NOW)
        _book(session, user, occurrence, "booked")


def test_my_tasks_take_two_queries_however_many_tasks(
    session: Session, org: dict[str, User], count_queries: Any
) -> None:
    _load_many(session, org["employee"], 1)
    session.expunge_all()
    employee = session.get(User, org["employee"].id)
    assert employee is not None
    with count_queries() as few:
        tasks = queries.list_my_tasks(session, employee, today=TODAY, now=NOW)
        [(i.task.title, i.task.activity.slug, i.due_on) for g in tasks.to_do for i in g.items]
    _load_many(session, employee, 9)
    session.expunge_all()
    employee = session.get(User, employee.id)
    assert employee is not None
    with count_queries() as many:
        tasks = queries.list_my_tasks(session, employee, today=TODAY, now=NOW)
        [(i.task.title, i.task.activity.slug, i.due_on) for g in tasks.to_do for i in g.items]
    assert len(tasks.to_do) == 10
    assert few.count == many.count == 2


# --- the team --------------------------------------------------------------------------------


def test_team_tasks_count_open_and_overdue_follow_ups_in_the_chain_only(
    session: Session, org: dict[str, User], count_queries: Any
) -> None:
    employee, manager = org["employee"], org["manager"]
    late = _with_follow_up(session, "Sent")
    soon = _with_follow_up(session, "Snart")
    talk = _with_follow_up(session, "Samtal", kind="manager")
    _follow_ups(session, employee, late, days_ago=20)
    _follow_ups(session, employee, soon, days_ago=1)
    (held,) = _follow_ups(session, employee, talk, days_ago=1)
    answer_follow_up(session, employee, held, text="Vi har pratat.", now=NOW)
    _follow_ups(session, org["outsider"], late, days_ago=20)
    gone = factories.user(session, name="Slutat", manager=manager)
    gone.is_active = False
    session.flush()

    with count_queries() as counter:
        team = queries.list_team_tasks(session, org["boss"], today=TODAY)
        [
            (m.user.department, r.user.name, r.task.activity.title)
            for m in team.members
            for r in team.awaiting
        ]
    assert counter.count == 2
    figures = {m.user.name: (m.open, m.overdue) for m in team.members}
    assert figures == {"Eva Anställd": (3, 1), "Maja Chef": (0, 0)}
    assert [r.id for r in team.awaiting] == [held.id]
    assert queries.list_team_tasks(session, org["other_manager"], today=TODAY).awaiting == []
    confirm_task(session, manager, held, now=NOW)
    again = queries.list_team_tasks(session, manager, today=TODAY)
    assert again.awaiting == []
    assert [(m.open, m.overdue) for m in again.members] == [(2, 1)]


def test_response_view_is_for_the_author_the_chain_and_shared_owners_only(
    session: Session, org: dict[str, User]
) -> None:
    activity = cf.activity(session, owners=[org["owner"]])
    private = tf.task(session, activity, phase="follow_up", kind="manager", title="Samtal")
    shared = tf.task(session, activity, phase="follow_up", title="Delad", shared=True, position=1)
    talk, reflection = _follow_ups(session, org["employee"], activity, days_ago=1)
    assert (talk.task_id, reflection.task_id) == (private.id, shared.id)
    answer_follow_up(session, org["employee"], talk, text="Vi pratade.", now=NOW)

    def seen(viewer: str, response: TaskResponse) -> tuple[bool, bool] | None:
        view = queries.get_response_view(session, org[viewer], response.id)
        return None if view is None else (view.is_author, view.may_confirm)

    assert seen("employee", talk) == (True, False)
    assert seen("manager", talk) == (False, True)
    assert seen("boss", talk) == (False, True)
    assert seen("owner", reflection) == (False, False)
    for outsider in ("other_manager", "outsider", "coordinator", "owner"):
        assert seen(outsider, talk) is None, outsider
    assert queries.get_response_view(session, org["employee"], 10**9) is None
