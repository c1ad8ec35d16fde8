"""Scheduled jobs of Transfer of Training: reminding people of their follow-ups."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, timedelta

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import Session, selectinload

from lms.accounts.models import User
from lms.core.i18n import _l
from lms.core.jobs import JobContext
from lms.core.time import local_date
from lms.notify.models import Notification
from lms.notify.services import notify
from lms.transfer import rules
from lms.transfer.models import ResponseStatus, TaskResponse, TransferTask

BATCH_SIZE = 500  # responses loaded (with their people and tasks) per round of queries
DUE, OVERDUE, MANAGERS = "due", "overdue", "managers"


def reminder_for(
    status: str,
    due: date | None,
    today: date,
    *,
    reminded_due: bool,
    reminded_overdue: bool,
) -> str | None:
    """Which reminder a follow-up gets on `today`: ``due``, ``overdue`` or None.

    The due reminder goes out from the due date while the learner still has to answer;
    the overdue one from `OVERDUE_REMINDER_DAYS` after it, to the learner or, once they
    have marked a manager conversation held, to their manager. A follow-up first seen
    after the overdue date gets only the overdue one, so nobody gets two mails at once.
    """
    if status == ResponseStatus.DONE or due is None or due > today:
        return None
    if rules.overdue_reminder_on(due) <= today:
        return None if reminded_overdue else OVERDUE
    if status == ResponseStatus.OPEN and not reminded_due:
        return DUE
    return None


def send_transfer_reminders(ctx: JobContext) -> dict[str, int]:
    """Remind people of follow-ups due today and a week overdue, each reminder once."""
    today = local_date(ctx.now)
    counts = {DUE: 0, OVERDUE: 0, MANAGERS: 0}
    for batch in _batches(ctx.session, _candidates(today)):
        for response in batch:
            reminder = reminder_for(
                response.status,
                response.due_on,
                today,
                reminded_due=response.reminded_due_at is not None,
                reminded_overdue=response.reminded_overdue_at is not None,
            )
            if reminder is None:
                continue
            sent = _send(ctx.session, response, reminder)
            if sent is None:
                continue  # no active manager to ask: try again tomorrow
            counts[sent[0]] += sent[1] is not None
            if reminder == OVERDUE:
                response.reminded_overdue_at = response.reminded_overdue_at or ctx.now
            response.reminded_due_at = response.reminded_due_at or ctx.now
        ctx.session.flush()
    return counts


def _candidates(today: date) -> Select[TaskResponse]:
    """Follow-ups of active people with a reminder to send today (the same rule in SQL)."""
    overdue_by = today - timedelta(days=rules.OVERDUE_REMINDER_DAYS)
    return (
        select(TaskResponse)
        .join(User, User.id == TaskResponse.user_id)
        .where(
            User.is_active.is_(True),
            TaskResponse.status.in_([ResponseStatus.OPEN, ResponseStatus.AWAITING_MANAGER]),
            TaskResponse.due_on <= today,
            or_(
                and_(
                    TaskResponse.status == ResponseStatus.OPEN,
                    TaskResponse.reminded_due_at.is_(None),
                    TaskResponse.due_on > overdue_by,
                ),
                and_(
                    TaskResponse.due_on <= overdue_by,
                    TaskResponse.reminded_overdue_at.is_(None),
                ),
            ),
        )
        .options(
            selectinload(TaskResponse.user).selectinload(User.manager),
            selectinload(TaskResponse.task).selectinload(TransferTask.activity),
        )
        .order_by(TaskResponse.id)
    )


def _batches(session: Session, stmt: Select[TaskResponse]) -> Iterator[Sequence[TaskResponse]]:
    """The rows of `stmt` in id order, BATCH_SIZE at a time (a constant number of queries each)."""
    last_id = 0
    while True:
        batch = session.scalars(stmt.where(TaskResponse.id > last_id).limit(BATCH_SIZE)).all()
        if batch:
            yield batch
        if len(batch) < BATCH_SIZE:
            return
        last_id = batch[-1].id


def _send(
    session: Session, response: TaskResponse, reminder: str
) -> tuple[str, Notification | None] | None:
    """Send one reminder: (what it counts as, the notification or None when deduplicated).

    None when there is nobody to tell (an overdue manager conversation without an active
    manager), so the reminder is not marked as sent.
    """
    task, learner = response.task, response.user
    values = {
        "task": task.title,
        "activity": task.activity.title,
        "date": response.due_on.isoformat() if response.due_on else "",
    }
    if reminder == DUE:
        return DUE, notify(
            session,
            learner,
            kind="follow_up_due",
            title=_l("Time for the follow-up: %(task)s", **values),
            body=_l("Your follow-up on %(activity)s is due on %(date)s.", **values),
            link=f"/uppgifter/svar/{response.id}",
            dedupe_key=f"follow-up-due:{response.id}",
        )
    if response.status == ResponseStatus.AWAITING_MANAGER:
        manager = learner.manager
        if manager is None or not manager.is_active:
            return None
        return MANAGERS, notify(
            session,
            manager,
            kind="confirmation_overdue",
            title=_l("Confirm your conversation with %(name)s", name=learner.name),
            body=_l(
                "%(name)s has marked your conversation about %(activity)s as held "
                "(%(task)s, due on %(date)s). Please confirm it.",
                name=learner.name,
                **values,
            ),
            link=f"/uppgifter/svar/{response.id}",
            dedupe_key=f"follow-up-overdue:{response.id}",
        )
    return OVERDUE, notify(
        session,
        learner,
        kind="follow_up_overdue",
        title=_l("Your follow-up is overdue: %(task)s", **values),
        body=_l("Your follow-up on %(activity)s was due on %(date)s.", **values),
        link=f"/uppgifter/svar/{response.id}",
        dedupe_key=f"follow-up-overdue:{response.id}",
    )
