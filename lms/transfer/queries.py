"""Reads for Transfer of Training: a person's tasks, one answer, a manager's team.

Bookings, enrolments and completions belong to `lms.progress`, which sits above this
package, so their tables are read by name (as `lms.transfer.figures` does).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import Subquery, and_, case, column, func, select, table, union
from sqlalchemy.orm import Session, joinedload

from lms.accounts.models import User
from lms.accounts.queries import is_in_manager_chain, team_ids
from lms.catalog.models import Activity, ActivitySession, Status
from lms.core.time import utcnow
from lms.transfer.models import (
    PRE_SCOPE,
    ResponseStatus,
    TaskKind,
    TaskPhase,
    TaskResponse,
    TransferTask,
)
from lms.transfer.services import can_read_response

# The states a task shows to its person, most urgent first.
OVERDUE, PREPARE, DUE, AWAITING, DONE = "overdue", "prepare", "due", "awaiting", "done"
_URGENCY = {OVERDUE: 0, PREPARE: 1, DUE: 2, AWAITING: 3, DONE: 4}

_bookings = table(
    "bookings", column("user_id"), column("session_id"), column("status"), column("id")
)
_enrolments = table("enrolments", column("user_id"), column("activity_id"), column("status"))
_completions = table(
    "completions", column("user_id"), column("activity_id"), column("is_pre_task_missing")
)


def pre_task_state(response: TaskResponse | None) -> str:
    """A pre-task's state: to prepare (also a checklist partly ticked), awaiting or done."""
    if response is None or response.status == ResponseStatus.OPEN:
        return PREPARE
    return AWAITING if response.status == ResponseStatus.AWAITING_MANAGER else DONE


def task_state(response: TaskResponse, today: date) -> str:
    """The state of one answered pre-task or opened follow-up (see the constants above)."""
    if response.scope == PRE_SCOPE or response.status != ResponseStatus.OPEN:
        return pre_task_state(response)
    due = response.due_on
    return OVERDUE if due is not None and due < today else DUE


# --- the person's own tasks ------------------------------------------------------------------


@dataclass(frozen=True)
class TaskItem:
    """One task of the person: a pre-task (answered or not) or an opened follow-up."""

    task: TransferTask
    state: str
    response: TaskResponse | None = None

    @property
    def due_on(self) -> date | None:
        return self.response.due_on if self.response is not None else None

    @property
    def is_pre(self) -> bool:
        return self.task.phase == TaskPhase.PRE

    def sort_key(self) -> tuple[int, date, int, int, int]:
        return (
            _URGENCY[self.state],
            self.due_on or date.max,
            0 if self.is_pre else 1,
            self.task.position,
            self.task.id,
        )


@dataclass(frozen=True)
class ActivityTasks:
    """The tasks of one activity, most urgent first."""

    activity: Activity
    items: list[TaskItem]

    @property
    def urgency(self) -> tuple[int, date, str]:
        first = self.items[0]
        return (_URGENCY[first.state], first.due_on or date.max, self.activity.title.casefold())


@dataclass(frozen=True)
class MyTasks:
    """A person's tasks by activity: what is still to do, and what is done."""

    to_do: list[ActivityTasks] = field(default_factory=list)
    done: list[ActivityTasks] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)

    @property
    def is_empty(self) -> bool:
        return not self.to_do and not self.done


def _upcoming_activity_ids(user: User, now: datetime) -> Subquery:
    """Activities the person is about to take part in (or took part in without preparing)."""
    b, e, c = _bookings.c, _enrolments.c, _completions.c
    booked = (
        select(ActivitySession.activity_id.label("activity_id"))
        .join(_bookings, b.session_id == ActivitySession.id)
        .where(
            b.user_id == user.id,
            b.status.in_(("booked", "waitlisted")),
            ActivitySession.is_cancelled.is_(False),
            ActivitySession.starts_at > now,
        )
    )
    started = select(e.activity_id).where(e.user_id == user.id, e.status == "in_progress")
    missing = select(c.activity_id).where(
        c.user_id == user.id, c.is_pre_task_missing.is_(True), c.activity_id.is_not(None)
    )
    return union(booked, started, missing).subquery("upcoming")


def _group(items: Iterable[TaskItem]) -> list[ActivityTasks]:
    by_activity: dict[int, list[TaskItem]] = {}
    for item in items:
        by_activity.setdefault(item.task.activity_id, []).append(item)
    groups = [
        ActivityTasks(activity=found[0].task.activity, items=sorted(found, key=TaskItem.sort_key))
        for found in by_activity.values()
    ]
    return sorted(groups, key=lambda group: group.urgency)


def list_my_tasks(
    session: Session, user: User, *, today: date, now: datetime | None = None
) -> MyTasks:
    """`user`'s follow-ups and pre-tasks grouped by activity (two queries).

    Pre-tasks without an answer are listed for activities the person has booked (a future
    session), is taking, or attended without preparing; answered ones always.
    """
    responses = session.scalars(
        select(TaskResponse)
        .where(TaskResponse.user_id == user.id)
        .options(joinedload(TaskResponse.task).joinedload(TransferTask.activity))
    ).all()
    answered = select(TaskResponse.task_id).where(
        TaskResponse.user_id == user.id, TaskResponse.scope == PRE_SCOPE
    )
    upcoming = _upcoming_activity_ids(user, now or utcnow())
    unanswered = session.scalars(
        select(TransferTask)
        .join(TransferTask.activity)
        .where(
            TransferTask.phase == TaskPhase.PRE,
            TransferTask.activity_id.in_(select(upcoming.c.activity_id)),
            TransferTask.id.not_in(answered),
            Activity.status == Status.PUBLISHED,
        )
        .options(joinedload(TransferTask.activity))
    ).all()
    items = [TaskItem(r.task, task_state(r, today), r) for r in responses]
    items += [TaskItem(task, PREPARE) for task in unanswered]
    return MyTasks(
        to_do=_group(item for item in items if item.state != DONE),
        done=_group(item for item in items if item.state == DONE),
        counts=Counter(item.state for item in items),
    )


# --- pre-tasks of one activity ---------------------------------------------------------------


def get_pre_task(session: Session, task_id: int) -> TransferTask | None:
    """A pre-task of a published activity (with the activity), or None."""
    return session.scalar(
        select(TransferTask)
        .join(TransferTask.activity)
        .where(
            TransferTask.id == task_id,
            TransferTask.phase == TaskPhase.PRE,
            Activity.status == Status.PUBLISHED,
        )
        .options(joinedload(TransferTask.activity))
    )


def get_pre_response(session: Session, user: User, task: TransferTask) -> TaskResponse | None:
    """`user`'s answer to a pre-task, or None before they answer."""
    return session.scalar(
        select(TaskResponse).where(
            TaskResponse.task_id == task.id,
            TaskResponse.user_id == user.id,
            TaskResponse.scope == PRE_SCOPE,
        )
    )


@dataclass(frozen=True)
class PreTaskState:
    """A pre-task of an activity with the person's progress on it."""

    task: TransferTask
    state: str
    response: TaskResponse | None = None

    @property
    def is_started(self) -> bool:
        """Answered in part (a checklist partly ticked) but not done."""
        return self.state == PREPARE and self.response is not None


def list_pre_task_states(session: Session, user: User, activity: Activity) -> list[PreTaskState]:
    """The activity's pre-tasks in order, each with `user`'s state (one query)."""
    rows = session.execute(
        select(TransferTask, TaskResponse)
        .outerjoin(
            TaskResponse,
            and_(
                TaskResponse.task_id == TransferTask.id,
                TaskResponse.user_id == user.id,
                TaskResponse.scope == PRE_SCOPE,
            ),
        )
        .where(TransferTask.activity_id == activity.id, TransferTask.phase == TaskPhase.PRE)
        .order_by(TransferTask.position, TransferTask.id)
    ).all()
    return [PreTaskState(task, pre_task_state(response), response) for task, response in rows]


# --- one answer ------------------------------------------------------------------------------


def get_response(session: Session, response_id: int) -> TaskResponse | None:
    """A response with its task, activity and author loaded, or None."""
    return session.scalar(
        select(TaskResponse)
        .where(TaskResponse.id == response_id)
        .options(
            joinedload(TaskResponse.task).joinedload(TransferTask.activity),
            joinedload(TaskResponse.user),
        )
    )


@dataclass(frozen=True)
class ResponseView:
    """A response as `viewer` may see it: as its author, or as a reader who may confirm."""

    response: TaskResponse
    is_author: bool
    may_confirm: bool


def get_response_view(session: Session, viewer: User, response_id: int) -> ResponseView | None:
    """The response if `viewer` may read it (author, manager chain, owner when shared), else None.

    None both for a missing id and for one the viewer may not read, so ids cannot be probed.
    """
    response = get_response(session, response_id)
    if response is None or not can_read_response(session, viewer, response):
        return None
    is_author = response.user_id == viewer.id
    may_confirm = (
        not is_author
        and response.task.kind == TaskKind.MANAGER
        and response.status == ResponseStatus.AWAITING_MANAGER
        and is_in_manager_chain(session, viewer, response.user)
    )
    return ResponseView(response, is_author, may_confirm)


# --- the manager's team ----------------------------------------------------------------------


@dataclass(frozen=True)
class MemberTasks:
    """One report's follow-ups not yet done, and how many of them are overdue."""

    user: User
    open: int
    overdue: int


@dataclass(frozen=True)
class TeamTasks:
    members: list[MemberTasks]
    awaiting: list[TaskResponse]


def _list_member_counts(session: Session, manager: User, today: date) -> list[MemberTasks]:
    not_done = TaskResponse.status != ResponseStatus.DONE
    counts = (
        select(
            TaskResponse.user_id.label("user_id"),
            func.count(case((not_done, TaskResponse.id))).label("open"),
            func.count(case((and_(not_done, TaskResponse.due_on < today), TaskResponse.id))).label(
                "overdue"
            ),
        )
        .where(TaskResponse.scope != PRE_SCOPE, TaskResponse.due_on.is_not(None))
        .group_by(TaskResponse.user_id)
        .subquery("counts")
    )
    rows = session.execute(
        select(User, func.coalesce(counts.c.open, 0), func.coalesce(counts.c.overdue, 0))
        .outerjoin(counts, counts.c.user_id == User.id)
        .where(User.id.in_(team_ids(manager)), User.is_active.is_(True))
        .options(joinedload(User.department))
        .order_by(User.name, User.id)
    )
    return [MemberTasks(user, int(n_open), int(n_overdue)) for user, n_open, n_overdue in rows]


def list_awaiting_confirmation(session: Session, manager: User) -> list[TaskResponse]:
    """Conversations the people below `manager` marked as held, oldest first (one query)."""
    return list(
        session.scalars(
            select(TaskResponse)
            .join(TaskResponse.task)
            .join(User, User.id == TaskResponse.user_id)
            .where(
                TaskResponse.user_id.in_(team_ids(manager)),
                User.is_active.is_(True),
                TaskResponse.status == ResponseStatus.AWAITING_MANAGER,
                TransferTask.kind == TaskKind.MANAGER,
            )
            .options(
                joinedload(TaskResponse.task).joinedload(TransferTask.activity),
                joinedload(TaskResponse.user),
            )
            .order_by(TaskResponse.submitted_at, TaskResponse.id)
        )
    )


def list_team_tasks(session: Session, manager: User, *, today: date) -> TeamTasks:
    """Each direct and indirect report's open and overdue follow-ups, and what awaits
    `manager`'s confirmation (two queries)."""
    return TeamTasks(
        members=_list_member_counts(session, manager, today),
        awaiting=list_awaiting_confirmation(session, manager),
    )
