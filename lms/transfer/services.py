"""The Transfer of Training rules that write: the pre-task rule, answers, follow-ups, confirmation.

`require_pre_tasks` is the one enforcement point: `lms.progress` calls it on every path that
starts, books or completes an activity (see `lms.progress.services.check_can_progress`).
The two allowed exceptions (an owner marking a walk-in present, an import of historic
completions) simply do not call it; attendance flags the completion instead and asks the
person to do the pre-task afterwards (`ask_for_missing_pre_tasks`).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lms.accounts.models import User
from lms.accounts.queries import is_in_manager_chain
from lms.catalog.models import Activity
from lms.core.errors import Conflict, PermissionDenied, ValidationError
from lms.core.i18n import _l
from lms.notify.services import notify
from lms.transfer import rules
from lms.transfer.models import (
    PRE_SCOPE,
    ResponseStatus,
    TaskKind,
    TaskPhase,
    TaskResponse,
    TransferTask,
)

TEXT_LENGTH = 10_000  # a reflection or a note: a few pages at most
MY_TASKS_PATH = "/uppgifter/"


class PreTaskMissing(Conflict):
    """A required pre-task of the activity has no accepted response yet (HTTP 409)."""

    def __init__(self, activity: Activity, tasks: list[TransferTask]) -> None:
        super().__init__(
            _l(
                "Before you can take part in %(title)s, do the preparation: %(tasks)s.",
                title=activity.title,
                tasks=", ".join(task.title for task in tasks),
            )
        )
        self.activity = activity
        self.tasks = tasks


def completion_scope(completion_id: int) -> str:
    return f"completion:{completion_id}"


# --- the pre-task rule -----------------------------------------------------------------------


def list_missing_pre_tasks(
    session: Session, user: User, activity: Activity, *, required_only: bool = True
) -> list[TransferTask]:
    """The activity's (required) pre-tasks that `user` has no accepted response to, in order."""
    done = (
        select(TaskResponse.task_id)
        .where(
            TaskResponse.user_id == user.id,
            TaskResponse.scope == PRE_SCOPE,
            TaskResponse.status == ResponseStatus.DONE,
        )
        .scalar_subquery()
    )
    stmt = select(TransferTask).where(
        TransferTask.activity_id == activity.id,
        TransferTask.phase == TaskPhase.PRE,
        TransferTask.id.not_in(done),
    )
    if required_only:
        stmt = stmt.where(TransferTask.is_required.is_(True))
    return list(session.scalars(stmt.order_by(TransferTask.position, TransferTask.id)))


def require_pre_tasks(session: Session, user: User, activity: Activity) -> None:
    """Raise `PreTaskMissing` while a required pre-task of `activity` is not done by `user`."""
    missing = list_missing_pre_tasks(session, user, activity)
    if missing:
        raise PreTaskMissing(activity, missing)


def ask_for_missing_pre_tasks(
    session: Session, user: User, activity: Activity, *, occasion: str
) -> bool:
    """Tell `user` (once per `occasion`) to do the required pre-tasks they skipped.

    Used when attendance was recorded without them (a walk-in) and when a waitlist
    promotion gives a seat to someone who still has a pre-task to do. True when one is
    missing (whether or not this call was the one that told them).
    """
    missing = list_missing_pre_tasks(session, user, activity)
    if not missing:
        return False
    notify(
        session,
        user,
        kind="pre_task_missing",
        title=_l("Do the preparation for %(title)s", title=activity.title),
        body=_l(
            "The preparation is still to do: %(tasks)s.",
            tasks=", ".join(task.title for task in missing),
        ),
        link=f"/uppgifter/fore/{missing[0].id}",
        dedupe_key=f"pre-task:{occasion}:{user.id}",
    )
    return True


# --- answering -------------------------------------------------------------------------------


def _clean_answer(task: TransferTask, text: str, checked: Collection[int]) -> tuple[str, list[int]]:
    text = text.strip()
    if len(text) > TEXT_LENGTH:
        raise ValidationError(_l("Keep it under %(n)d characters.", n=TEXT_LENGTH), field="text")
    if task.kind == TaskKind.REFLECTION and not text:
        raise ValidationError(_l("Write your reflection before you save."), field="text")
    ticks = sorted(set(checked))
    if any(index < 0 or index >= len(task.items) for index in ticks):
        raise ValidationError(_l("Tick only the items on the list."), field="checked")
    if task.kind == TaskKind.CHECKLIST and not ticks:
        raise ValidationError(_l("Tick what you have done."), field="checked")
    return text, ticks


def _apply_answer(
    session: Session,
    response: TaskResponse,
    task: TransferTask,
    text: str,
    ticks: list[int],
    now: datetime,
) -> None:
    if response.status == ResponseStatus.DONE and task.kind == TaskKind.MANAGER:
        raise Conflict(_l("Your manager has confirmed this task, so it can no longer change."))
    status = rules.answer_status(task.kind, text, ticks, len(task.items))
    response.text, response.checked = text, ticks
    response.submitted_at = now
    if status == ResponseStatus.DONE and response.status != ResponseStatus.DONE:
        response.done_at = now
    response.status = status
    session.flush()
    if status == ResponseStatus.AWAITING_MANAGER:
        _ask_manager(session, response, task)


def answer_pre_task(
    session: Session,
    user: User,
    task: TransferTask,
    *,
    text: str = "",
    checked: Collection[int] = (),
    now: datetime,
) -> TaskResponse:
    """Save `user`'s answer to a pre-task (a repeat overwrites it; one row per person)."""
    if task.phase != TaskPhase.PRE:
        raise ValidationError(_l("This is not a preparation task."))
    clean_text, ticks = _clean_answer(task, text, checked)
    stmt = select(TaskResponse).where(
        TaskResponse.task_id == task.id,
        TaskResponse.user_id == user.id,
        TaskResponse.scope == PRE_SCOPE,
    )
    response = session.scalar(stmt)
    if response is None:
        response = TaskResponse(task_id=task.id, user_id=user.id, scope=PRE_SCOPE)
        try:
            with session.begin_nested():
                session.add(response)
        except IntegrityError:  # a double submit: the other request made the row
            response = session.scalars(stmt).one()
    _apply_answer(session, response, task, clean_text, ticks, now)
    return response


def answer_follow_up(
    session: Session,
    user: User,
    response: TaskResponse,
    *,
    text: str = "",
    checked: Collection[int] = (),
    now: datetime,
) -> TaskResponse:
    """Save `user`'s answer to one of their opened follow-ups."""
    if response.user_id != user.id:
        raise PermissionDenied(_l("You can only answer your own tasks."))
    task = response.task
    clean_text, ticks = _clean_answer(task, text, checked)
    _apply_answer(session, response, task, clean_text, ticks, now)
    return response


def _ask_manager(session: Session, response: TaskResponse, task: TransferTask) -> None:
    manager = response.user.manager
    if manager is None:
        return
    notify(
        session,
        manager,
        kind="task_confirmation",
        title=_l(
            "%(name)s asks you to confirm: %(task)s", name=response.user.name, task=task.title
        ),
        body=_l("After your conversation about %(title)s.", title=task.activity.title),
        link=f"/uppgifter/svar/{response.id}",
        dedupe_key=f"confirm:{response.id}",
    )


def confirm_task(
    session: Session, manager: User, response: TaskResponse, *, note: str = "", now: datetime
) -> TaskResponse:
    """A manager confirms a "discuss with your manager" task of someone in their chain."""
    if not is_in_manager_chain(session, manager, response.user):
        raise PermissionDenied(_l("Only the person's managers may confirm this task."))
    if response.task.kind != TaskKind.MANAGER:
        raise ValidationError(_l("Only a conversation with the manager is confirmed."))
    if response.status == ResponseStatus.DONE:
        return response
    if response.status != ResponseStatus.AWAITING_MANAGER:
        raise Conflict(_l("The person has not marked the conversation as held yet."))
    note = note.strip()
    if len(note) > TEXT_LENGTH:
        raise ValidationError(_l("Keep it under %(n)d characters.", n=TEXT_LENGTH), field="note")
    response.status, response.done_at = ResponseStatus.DONE, now
    response.confirmed_by_id, response.manager_note = manager.id, note
    session.flush()
    notify(
        session,
        response.user,
        kind="task_confirmed",
        title=_l("%(name)s confirmed: %(task)s", name=manager.name, task=response.task.title),
        link=MY_TASKS_PATH,
        dedupe_key=f"confirmed:{response.id}",
    )
    return response


# --- follow-ups ------------------------------------------------------------------------------


def open_follow_ups(
    session: Session,
    user: User,
    activity: Activity,
    *,
    completion_id: int,
    completed_at: datetime,
) -> list[TaskResponse]:
    """Open the activity's follow-ups for one completion, each due `due_days` after it.

    Called by `lms.progress` when a completion is first recorded; idempotent.
    """
    tasks = session.scalars(
        select(TransferTask)
        .where(TransferTask.activity_id == activity.id, TransferTask.phase == TaskPhase.FOLLOW_UP)
        .order_by(TransferTask.position, TransferTask.id)
    ).all()
    scope = completion_scope(completion_id)
    have = set(
        session.scalars(
            select(TaskResponse.task_id).where(
                TaskResponse.user_id == user.id, TaskResponse.scope == scope
            )
        )
    )
    opened = []
    for task in tasks:
        if task.id in have:
            continue
        response = TaskResponse(
            task_id=task.id,
            user_id=user.id,
            scope=scope,
            completion_id=completion_id,
            status=ResponseStatus.OPEN,
            due_on=rules.due_on(completed_at, task.due_days or 1),
        )
        session.add(response)
        opened.append(response)
    session.flush()
    return opened


# --- who may read an answer ------------------------------------------------------------------


def can_read_response(session: Session, viewer: User, response: TaskResponse) -> bool:
    """The author, their manager chain, and the activity's owners when the task is shared.

    Coordinators and admins are not readers: they see counts only.
    """
    if viewer.id == response.user_id:
        return True
    if response.task.is_shared_with_owner and any(
        owner.id == viewer.id for owner in response.task.activity.owners
    ):
        return True
    return is_in_manager_chain(session, viewer, response.user)
