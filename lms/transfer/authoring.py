"""Authoring an activity's pre-tasks and follow-ups: add, change, reorder and delete them.

The rules are those of the content package reader (`lms.packages.tasks_reader`), so a task
written in the editor exports and re-imports unchanged, plus two that protect answers
already given: a task keeps its phase and kind once somebody has answered it, and it is not
deleted while it has answers (make it optional instead).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from lms.accounts.models import User
from lms.catalog.lessons import render_preview
from lms.catalog.models import Activity
from lms.catalog.services import require_edit
from lms.core.audit import record_event
from lms.core.errors import Conflict, ValidationError
from lms.core.i18n import _l
from lms.transfer.models import TaskKind, TaskPhase, TaskResponse, TransferTask

TITLE_LENGTH = 200
INSTRUCTIONS_LENGTH = 20_000
PROMPT_LENGTH = 1_000
ITEM_LENGTH = 200
MAX_ITEMS = 20
MAX_DUE_DAYS = 365
PHASES = tuple(phase.value for phase in TaskPhase)
KINDS = tuple(kind.value for kind in TaskKind)
DIRECTIONS = ("up", "down")


@dataclass
class TaskData:
    """What an author sets on a task; `due_days` only for follow-ups, `items` for checklists."""

    phase: str
    kind: str
    title: str
    instructions: str
    is_required: bool = False
    due_days: int | None = None
    is_shared_with_owner: bool = False
    prompt: str | None = None
    items: list[str] = field(default_factory=list)


# --- the rules -------------------------------------------------------------------------------


def _check_title(title: str) -> str:
    title = title.strip()
    if not title:
        raise ValidationError(_l("A title is required."), field="title")
    if len(title) > TITLE_LENGTH:
        raise ValidationError(
            _l("Keep the title to %(n)d characters or fewer.", n=TITLE_LENGTH), field="title"
        )
    return title


def _check_kind(data: TaskData) -> None:
    if data.phase not in PHASES:
        raise ValidationError(
            _l("Choose whether the task comes before or after the activity."), field="phase"
        )
    if data.kind not in KINDS:
        raise ValidationError(_l("Choose what kind of task it is."), field="kind")


def _check_due_days(data: TaskData) -> None:
    if data.phase == TaskPhase.PRE:
        if data.due_days is not None:
            raise ValidationError(
                _l("A pre-task has no due date: it is done before the activity."),
                field="due_days",
            )
        return
    if data.due_days is None:
        raise ValidationError(
            _l("Give the number of days after completion the follow-up is due."),
            field="due_days",
        )
    if not 1 <= data.due_days <= MAX_DUE_DAYS:
        raise ValidationError(
            _l("The follow-up is due 1 to %(n)d days after completion.", n=MAX_DUE_DAYS),
            field="due_days",
        )


def _check_items(data: TaskData) -> list[str]:
    items = [item.strip() for item in data.items if item.strip()]
    if data.kind != TaskKind.CHECKLIST:
        if items:
            raise ValidationError(
                _l("Only a checklist has items: empty the list or choose Checklist."),
                field="items",
            )
        return []
    if not 1 <= len(items) <= MAX_ITEMS:
        raise ValidationError(
            _l("A checklist has 1 to %(n)d items, one a line.", n=MAX_ITEMS), field="items"
        )
    if any(len(item) > ITEM_LENGTH for item in items):
        raise ValidationError(
            _l("Keep each item to %(n)d characters or fewer.", n=ITEM_LENGTH), field="items"
        )
    if len(set(items)) != len(items):
        raise ValidationError(_l("Each item of the checklist must be different."), field="items")
    return items


def _check_instructions(session: Session, text: str) -> str:
    text = text.replace("\r\n", "\n").strip()
    if not text:
        raise ValidationError(
            _l("Write the instructions: what should the participant do?"), field="instructions"
        )
    if len(text) > INSTRUCTIONS_LENGTH:
        raise ValidationError(
            _l("Keep the instructions to %(n)d characters or fewer.", n=INSTRUCTIONS_LENGTH),
            field="instructions",
        )
    rendered = render_preview(session, text)
    if rendered.problems:
        raise ValidationError("; ".join(rendered.problems), field="instructions")
    if rendered.quizzes:
        raise ValidationError(
            _l("A task's instructions cannot hold a knowledge check."), field="instructions"
        )
    return text


def _check_prompt(prompt: str | None) -> str | None:
    prompt = (prompt or "").replace("\r\n", "\n").strip()
    if len(prompt) > PROMPT_LENGTH:
        raise ValidationError(
            _l("Keep the question to %(n)d characters or fewer.", n=PROMPT_LENGTH),
            field="prompt",
        )
    return prompt or None


def _cleaned(session: Session, data: TaskData) -> TaskData:
    """`data` checked and tidied (trimmed text, no blank items), or a ValidationError."""
    title = _check_title(data.title)
    _check_kind(data)
    _check_due_days(data)
    return TaskData(
        phase=data.phase,
        kind=data.kind,
        title=title,
        instructions=_check_instructions(session, data.instructions),
        is_required=bool(data.is_required),
        due_days=data.due_days,
        is_shared_with_owner=bool(data.is_shared_with_owner),
        prompt=_check_prompt(data.prompt),
        items=_check_items(data),
    )


# --- helpers ---------------------------------------------------------------------------------


def has_answers(session: Session, task: TransferTask) -> bool:
    """True when anybody has a response to `task` (answered, opened or waiting)."""
    return bool(session.scalar(select(exists().where(TaskResponse.task_id == task.id))))


def _phase_tasks(session: Session, activity_id: int, phase: str) -> list[TransferTask]:
    stmt = (
        select(TransferTask)
        .where(TransferTask.activity_id == activity_id, TransferTask.phase == phase)
        .order_by(TransferTask.position, TransferTask.id)
    )
    return list(session.scalars(stmt))


def _renumber(tasks: list[TransferTask]) -> None:
    """Positions 0..n-1 in list order: the package numbers each phase the same way."""
    for position, task in enumerate(tasks):
        task.position = position


def _apply(task: TransferTask, data: TaskData) -> None:
    task.kind, task.title, task.instructions = data.kind, data.title, data.instructions
    task.is_required, task.due_days = data.is_required, data.due_days
    task.is_shared_with_owner, task.prompt = data.is_shared_with_owner, data.prompt
    task.items = list(data.items)


def _record(session: Session, actor: User, task: TransferTask, action: str) -> None:
    record_event(
        session,
        actor_id=actor.id,
        action=action,
        object_type="transfer_task",
        object_id=task.id,
        activity=task.activity.slug,
        phase=task.phase,
        position=task.position,
        title=task.title,
    )


def _protect_answers(session: Session, task: TransferTask, data: TaskData) -> None:
    """Refuse the changes that would change the meaning of answers already given."""
    if data.phase != task.phase:
        raise ValidationError(
            _l(
                "A task cannot move between before and after the activity: its answers "
                "belong to its phase. Add a new task instead."
            ),
            field="phase",
        )
    changes_kind = data.kind != task.kind
    drops_items = len(data.items) < len(task.items or [])
    starts_sharing = data.is_shared_with_owner and not task.is_shared_with_owner
    if not (changes_kind or drops_items or starts_sharing) or not has_answers(session, task):
        return
    if changes_kind:
        raise Conflict(_l("People have answered this task, so its kind cannot change."))
    if drops_items:
        raise Conflict(
            _l("People have ticked this checklist: you may reword its items but not remove any.")
        )
    raise Conflict(
        _l(
            "People answered this task without sharing their answers with you, so sharing "
            "cannot be turned on now. Add a new, shared task instead."
        )
    )


# --- the services ----------------------------------------------------------------------------


def add_task(session: Session, actor: User, activity: Activity, data: TaskData) -> TransferTask:
    """Add a pre-task or follow-up last in its phase."""
    require_edit(actor, activity)
    clean = _cleaned(session, data)
    siblings = _phase_tasks(session, activity.id, clean.phase)
    _renumber(siblings)
    task = TransferTask(activity=activity, phase=clean.phase, position=len(siblings))
    _apply(task, clean)
    session.add(task)
    session.flush()
    _record(session, actor, task, "transfer_task.add")
    return task


def update_task(session: Session, actor: User, task: TransferTask, data: TaskData) -> TransferTask:
    """Change a task's text and settings; its phase stays (answers belong to it)."""
    require_edit(actor, task.activity)
    clean = _cleaned(session, data)
    _protect_answers(session, task, clean)
    _apply(task, clean)
    session.flush()
    _record(session, actor, task, "transfer_task.update")
    return task


def delete_task(session: Session, actor: User, task: TransferTask) -> None:
    """Delete a task nobody has answered, and close the gap in its phase's order."""
    require_edit(actor, task.activity)
    if has_answers(session, task):
        raise Conflict(
            _l(
                "People have answered this task, so it cannot be deleted: their answers would "
                "be lost. Make it optional instead."
            )
        )
    _record(session, actor, task, "transfer_task.delete")
    rest = [t for t in _phase_tasks(session, task.activity_id, task.phase) if t.id != task.id]
    session.delete(task)
    _renumber(rest)
    session.flush()


def move_task(session: Session, actor: User, task: TransferTask, direction: str) -> None:
    """Move a task one step "up" or "down" within its phase; at either end nothing moves."""
    require_edit(actor, task.activity)
    if direction not in DIRECTIONS:
        raise ValidationError(_l("Move a task up or down."), field="direction")
    tasks = _phase_tasks(session, task.activity_id, task.phase)
    index = tasks.index(task)
    target = index - 1 if direction == "up" else index + 1
    if not 0 <= target < len(tasks):
        _renumber(tasks)
        session.flush()
        return
    tasks[index], tasks[target] = tasks[target], tasks[index]
    _renumber(tasks)
    session.flush()
    _record(session, actor, task, "transfer_task.move")
