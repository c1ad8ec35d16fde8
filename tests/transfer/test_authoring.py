"""Authoring tasks: the package reader's rules, order within a phase, answers protected."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from lms.accounts.models import User
from lms.catalog.models import Activity
from lms.core.access import Permission
from lms.core.audit import AuditEvent
from lms.core.errors import Conflict, PermissionDenied, ValidationError
from lms.core.time import utcnow
from lms.packages.importer import import_package
from lms.packages.writer import export_package
from lms.progress.services import record_completion
from lms.transfer.authoring import (
    TaskData,
    add_task,
    delete_task,
    move_task,
    update_task,
)
from lms.transfer.models import TransferTask
from lms.transfer.services import answer_pre_task
from tests import factories
from tests.catalog import factories as cf

QUIZ = "Läs.\n\n```quiz\n- question: Vad?\n  options:\n    - text: Ja\n      correct: true\n```\n"


@pytest.fixture
def owner(session: Session) -> User:
    return factories.user(session, name="Maria Lindqvist", permissions=Permission.COURSE_OWNER)


@pytest.fixture
def activity(session: Session, owner: User) -> Activity:
    return cf.activity(session, title="Säker e-post", owners=[owner])


def pre(**changes: Any) -> TaskData:
    data = TaskData(
        phase="pre",
        kind="reflection",
        title="Förbered dig",
        instructions="Tänk på ett **mejl** du tvekade inför.",
    )
    return replace(data, **changes)


def follow_up(**changes: Any) -> TaskData:
    return replace(pre(title="Efter två veckor", phase="follow_up", due_days=14), **changes)


def checklist(**changes: Any) -> TaskData:
    return replace(pre(kind="checklist", items=["Läst", "Provat"]), **changes)


def tasks_of(session: Session, activity: Activity, phase: str) -> list[tuple[str, int]]:
    stmt = select(TransferTask).where(
        TransferTask.activity_id == activity.id, TransferTask.phase == phase
    )
    found = session.scalars(stmt.order_by(TransferTask.position, TransferTask.id))
    return [(task.title, task.position) for task in found]


def events(session: Session, action: str) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def answered(session: Session, task: TransferTask) -> None:
    learner = factories.user(session)
    text = "" if task.kind == "checklist" else "Mitt svar."
    checked = list(range(len(task.items))) if task.kind == "checklist" else []
    answer_pre_task(session, learner, task, text=text, checked=checked, now=utcnow())


# --- adding ----------------------------------------------------------------------------------


def test_tasks_are_added_last_in_their_phase_numbered_from_zero(
    session: Session, owner: User, activity: Activity
) -> None:
    add_task(session, owner, activity, pre(title="A"))
    add_task(session, owner, activity, follow_up(title="X"))
    add_task(session, owner, activity, pre(title="B"))

    assert tasks_of(session, activity, "pre") == [("A", 0), ("B", 1)]
    assert tasks_of(session, activity, "follow_up") == [("X", 0)]


def test_adding_stores_every_setting_trimmed(
    session: Session, owner: User, activity: Activity
) -> None:
    data = follow_up(
        kind="checklist",
        title="  Pröva på jobbet  ",
        instructions="Gör så här:\r\n\r\n- steg ett\r\n",
        is_required=True,
        due_days=30,
        is_shared_with_owner=True,
        prompt="  Hur gick det?  ",
        items=[" Provat ", "", "Berättat för en kollega"],
    )

    task = add_task(session, owner, activity, data)

    assert (task.title, task.kind, task.due_days) == ("Pröva på jobbet", "checklist", 30)
    assert task.instructions == "Gör så här:\n\n- steg ett"
    assert task.is_required and task.is_shared_with_owner
    assert task.prompt == "Hur gick det?"
    assert task.items == ["Provat", "Berättat för en kollega"]


def test_adding_records_an_audit_event(session: Session, owner: User, activity: Activity) -> None:
    task = add_task(session, owner, activity, pre())

    [event] = events(session, "transfer_task.add")
    assert (event.actor_id, event.object_type, event.object_id) == (
        owner.id,
        "transfer_task",
        str(task.id),
    )
    assert event.details_dict["activity"] == activity.slug


INVALID = [
    ("empty title", pre(title="  "), "title"),
    ("long title", pre(title="x" * 201), "title"),
    ("unknown phase", pre(phase="during"), "phase"),
    ("unknown kind", pre(kind="quiz"), "kind"),
    ("pre-task with due days", pre(due_days=7), "due_days"),
    ("follow-up without due days", follow_up(due_days=None), "due_days"),
    ("follow-up due at once", follow_up(due_days=0), "due_days"),
    ("follow-up due after a year", follow_up(due_days=366), "due_days"),
    ("checklist without items", checklist(items=[" ", ""]), "items"),
    ("checklist with 21 items", checklist(items=[f"Punkt {n}" for n in range(21)]), "items"),
    ("checklist item too long", checklist(items=["x" * 201]), "items"),
    ("checklist item twice", checklist(items=["Läst", "Läst"]), "items"),
    ("reflection with items", pre(items=["Läst"]), "items"),
    ("no instructions", pre(instructions=" \n "), "instructions"),
    ("instructions too long", pre(instructions="x" * 20_001), "instructions"),
    (
        "image without alt text",
        pre(instructions="Se ![](https://example.se/a.png)"),
        "instructions",
    ),
    ("knowledge check", pre(instructions=QUIZ), "instructions"),
    ("long question", pre(prompt="?" * 1001), "prompt"),
]


@pytest.mark.parametrize(("data", "field"), [c[1:] for c in INVALID], ids=[c[0] for c in INVALID])
def test_invalid_task_is_refused_at_its_field_and_nothing_is_saved(
    session: Session, owner: User, activity: Activity, data: TaskData, field: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        add_task(session, owner, activity, data)

    assert refused.value.field == field
    assert str(refused.value.message)
    assert session.scalars(select(TransferTask)).all() == []
    assert events(session, "transfer_task.add") == []


def test_limits_themselves_are_allowed(session: Session, owner: User, activity: Activity) -> None:
    add_task(session, owner, activity, follow_up(due_days=1))
    add_task(session, owner, activity, follow_up(due_days=365, title="x" * 200))
    add_task(session, owner, activity, checklist(items=[f"{n} " + "x" * 190 for n in range(20)]))
    assert len(session.scalars(select(TransferTask)).all()) == 3


# --- changing --------------------------------------------------------------------------------


def test_update_changes_the_task_and_is_audited(
    session: Session, owner: User, activity: Activity
) -> None:
    task = add_task(session, owner, activity, pre())

    update_task(session, owner, task, checklist(title="Nytt namn", is_required=True))

    assert (task.title, task.kind, task.items, task.is_required) == (
        "Nytt namn",
        "checklist",
        ["Läst", "Provat"],
        True,
    )
    assert [e.object_id for e in events(session, "transfer_task.update")] == [str(task.id)]


def test_update_cannot_move_a_task_to_the_other_phase(
    session: Session, owner: User, activity: Activity
) -> None:
    task = add_task(session, owner, activity, pre())

    with pytest.raises(ValidationError) as refused:
        update_task(session, owner, task, follow_up())

    assert refused.value.field == "phase"
    assert refused.value.field == "phase"
    assert task.phase == "pre"


def test_update_with_invalid_data_changes_nothing(
    session: Session, owner: User, activity: Activity
) -> None:
    task = add_task(session, owner, activity, pre())

    with pytest.raises(ValidationError):
        update_task(session, owner, task, pre(title=""))

    assert task.title == "Förbered dig"


@pytest.mark.parametrize(
    "change",
    [
        {"kind": "manager"},
        {"is_shared_with_owner": True},
        {"items": ["Läst"]},
    ],
    ids=["kind", "start sharing", "remove an item"],
)
def test_answered_task_keeps_what_its_answers_mean(
    session: Session, owner: User, activity: Activity, change: dict[str, Any]
) -> None:
    task = add_task(session, owner, activity, checklist())
    answered(session, task)
    kind = "manager" if change.get("kind") == "manager" else "checklist"
    items = [] if kind == "manager" else change.get("items", ["Läst", "Provat"])

    with pytest.raises(Conflict):
        update_task(session, owner, task, checklist(**{**change, "kind": kind, "items": items}))

    assert (task.kind, task.items, task.is_shared_with_owner) == (
        "checklist",
        ["Läst", "Provat"],
        False,
    )


def test_answered_task_may_be_reworded_made_optional_and_stop_sharing(
    session: Session, owner: User, activity: Activity
) -> None:
    task = add_task(
        session, owner, activity, checklist(is_required=True, is_shared_with_owner=True)
    )
    answered(session, task)

    update_task(session, owner, task, checklist(title="Ny rubrik", items=["Läst noga", "Provat"]))

    assert (task.title, task.items, task.is_required, task.is_shared_with_owner) == (
        "Ny rubrik",
        ["Läst noga", "Provat"],
        False,
        False,
    )


def test_unanswered_task_may_change_kind_and_start_sharing(
    session: Session, owner: User, activity: Activity
) -> None:
    task = add_task(session, owner, activity, checklist())

    update_task(session, owner, task, pre(kind="manager", is_shared_with_owner=True))

    assert (task.kind, task.items, task.is_shared_with_owner) == ("manager", [], True)


# --- order and deleting ----------------------------------------------------------------------


def test_move_swaps_with_the_neighbour_and_stops_at_the_ends(
    session: Session, owner: User, activity: Activity
) -> None:
    a, b, c = (add_task(session, owner, activity, pre(title=t)) for t in "ABC")
    add_task(session, owner, activity, follow_up(title="X"))

    move_task(session, owner, c, "up")
    assert tasks_of(session, activity, "pre") == [("A", 0), ("C", 1), ("B", 2)]
    move_task(session, owner, a, "down")
    assert tasks_of(session, activity, "pre") == [("C", 0), ("A", 1), ("B", 2)]
    move_task(session, owner, b, "down")
    move_task(session, owner, c, "up")
    assert tasks_of(session, activity, "pre") == [("C", 0), ("A", 1), ("B", 2)]
    assert tasks_of(session, activity, "follow_up") == [("X", 0)]
    assert len(events(session, "transfer_task.move")) == 2


def test_move_needs_up_or_down(session: Session, owner: User, activity: Activity) -> None:
    task = add_task(session, owner, activity, pre())
    with pytest.raises(ValidationError):
        move_task(session, owner, task, "sideways")


def test_delete_closes_the_gap_and_is_audited(
    session: Session, owner: User, activity: Activity
) -> None:
    _a, b, _c = (add_task(session, owner, activity, pre(title=t)) for t in "ABC")
    task_id = b.id

    delete_task(session, owner, b)

    assert tasks_of(session, activity, "pre") == [("A", 0), ("C", 1)]
    [event] = events(session, "transfer_task.delete")
    assert event.object_id == str(task_id)
    assert event.details_dict["title"] == "B"


def test_delete_is_refused_while_the_task_has_answers(
    session: Session, owner: User, activity: Activity
) -> None:
    task = add_task(session, owner, activity, pre())
    answered(session, task)

    with pytest.raises(Conflict) as refused:
        delete_task(session, owner, task)

    assert "valfri" in str(refused.value.message)  # "make it optional instead"
    assert tasks_of(session, activity, "pre") == [("Förbered dig", 0)]


def test_delete_is_refused_for_an_opened_follow_up(
    session: Session, owner: User, activity: Activity
) -> None:
    task = add_task(session, owner, activity, follow_up())
    learner = factories.user(session)
    record_completion(
        session, learner, occurrence_key=f"activity:{activity.id}", activity=activity,
        minutes=10, source="catalogue", completed_at=utcnow(),
    )  # fmt: skip

    with pytest.raises(Conflict):
        delete_task(session, owner, task)


# --- who may edit ----------------------------------------------------------------------------


def test_course_owner_of_another_activity_may_not_touch_the_tasks(
    session: Session, owner: User, activity: Activity
) -> None:
    task = add_task(session, owner, activity, pre())
    stranger = factories.user(session, permissions=Permission.COURSE_OWNER)
    cf.activity(session, owners=[stranger])

    for attempt in (
        lambda: add_task(session, stranger, activity, pre(title="Min")),
        lambda: update_task(session, stranger, task, pre(title="Min")),
        lambda: move_task(session, stranger, task, "down"),
        lambda: delete_task(session, stranger, task),
    ):
        with pytest.raises(PermissionDenied):
            attempt()
    assert tasks_of(session, activity, "pre") == [("Förbered dig", 0)]


def test_employee_may_not_add_tasks(session: Session, activity: Activity) -> None:
    with pytest.raises(PermissionDenied):
        add_task(session, factories.user(session), activity, pre())


def test_coordinator_may_edit_any_activity_s_tasks(
    session: Session, owner: User, activity: Activity
) -> None:
    coordinator = factories.user(session, permissions=Permission.COORDINATOR)

    task = add_task(session, coordinator, activity, pre())
    update_task(session, coordinator, task, pre(title="Ändrad"))
    delete_task(session, coordinator, task)

    assert [e.actor_id for e in events(session, "transfer_task.add")] == [coordinator.id]
    assert tasks_of(session, activity, "pre") == []


# --- content packages ------------------------------------------------------------------------


def _snapshot(session: Session, activity: Activity) -> list[tuple[Any, ...]]:
    session.expire_all()
    stmt = select(TransferTask).where(TransferTask.activity_id == activity.id)
    columns = ("phase", "position", "title", "instructions", "kind", "is_required", "due_days",
               "is_shared_with_owner", "prompt", "items")  # fmt: skip
    return sorted(tuple(getattr(t, name) for name in columns) for t in session.scalars(stmt))


def test_tasks_edited_in_the_editor_export_and_import_unchanged(
    session: Session, owner: User, activity: Activity, tmp_path: Path
) -> None:
    first = add_task(session, owner, activity, pre(title="Läs på", prompt="Vad vet du redan?"))
    add_task(session, owner, activity, checklist(title="Förbered", is_required=True))
    gone = add_task(session, owner, activity, pre(title="Tas bort"))
    add_task(
        session, owner, activity,
        follow_up(kind="manager", title="Prata med chefen", due_days=30, is_shared_with_owner=True,
                  instructions="Boka ett samtal.\n\n> Ta med dina anteckningar."),
    )  # fmt: skip
    add_task(session, owner, activity, follow_up(title="Pröva", due_days=7, prompt="Hur gick det?"))
    move_task(session, owner, first, "down")
    delete_task(session, owner, gone)
    update_task(session, owner, first, pre(title="Läs på först", is_shared_with_owner=True))
    before = _snapshot(session, activity)

    export_package(session, tmp_path / "A")
    session.execute(delete(TransferTask).where(TransferTask.activity_id == activity.id))
    import_package(session, tmp_path / "A")
    export_package(session, tmp_path / "B")

    assert _snapshot(session, activity) == before
    assert len(before) == 4
    name = f"activities/{activity.slug}.md"
    assert (tmp_path / "A" / name).read_bytes() == (tmp_path / "B" / name).read_bytes()
