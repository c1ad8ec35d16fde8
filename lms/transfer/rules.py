"""The Transfer of Training rules as pure functions over plain values (no database).

- A response is *accepted* (status done) when a reflection has text, a checklist has every
  item ticked, and a "discuss with your manager" task is confirmed by the manager.
- The *counted* tasks of a phase are its required tasks, or all of them when none is
  required: they decide an activity's pre-task rate and a completion's transfer status.
- A completion's transfer status over its counted follow-ups: ``done`` when all are done,
  ``overdue`` when one is not done and its due date has passed, else ``pending``; None when
  the activity has no follow-ups.
- The report figures (per activity and period) follow from the same definitions: see
  `TransferFigures`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TypeVar

from lms.core.time import local_date
from lms.transfer.models import ResponseStatus, TaskKind

OVERDUE_REMINDER_DAYS = 7  # the second reminder goes out this many days after the due date
PENDING, DONE, OVERDUE = "pending", "done", "overdue"
T = TypeVar("T")


def answer_status(kind: str, text: str, checked: Iterable[int], item_count: int) -> str:
    """The status of a learner's answer before any manager has looked at it."""
    if kind == TaskKind.CHECKLIST:
        complete = set(checked) >= set(range(item_count))
        return ResponseStatus.DONE if complete else ResponseStatus.OPEN
    if kind == TaskKind.MANAGER:
        return ResponseStatus.AWAITING_MANAGER
    return ResponseStatus.DONE if text.strip() else ResponseStatus.OPEN


def due_on(completed_at: datetime, due_days: int) -> date:
    """A follow-up is due `due_days` after the (Stockholm) day of the completion."""
    return local_date(completed_at) + timedelta(days=due_days)


def overdue_reminder_on(due: date) -> date:
    return due + timedelta(days=OVERDUE_REMINDER_DAYS)


def counted(tasks: Sequence[T], is_required: Sequence[bool]) -> list[T]:
    """The required ones of `tasks`, or all of them when none is required."""
    required = [task for task, flag in zip(tasks, is_required, strict=True) if flag]
    return required or list(tasks)


@dataclass(frozen=True)
class FollowUpState:
    """One opened follow-up as the status and the figures need it."""

    is_counted: bool
    is_done: bool
    due_on: date
    done_on: date | None = None  # the Stockholm day it was accepted


def is_overdue(state: FollowUpState, today: date) -> bool:
    return not state.is_done and state.due_on < today


def transfer_status(follow_ups: Sequence[FollowUpState], today: date) -> str | None:
    """``pending``, ``done`` or ``overdue`` over the counted follow-ups; None without any."""
    counted_ones = [item for item in follow_ups if item.is_counted]
    if not counted_ones:
        return None
    if all(item.is_done for item in counted_ones):
        return DONE
    if any(is_overdue(item, today) for item in counted_ones):
        return OVERDUE
    return PENDING


@dataclass(frozen=True)
class Participation:
    """One participant's completion of an activity, for the pre-task figure.

    `attended_at` is when the session started (attendance) or when the person completed
    (self-paced); `pre_done_at` holds when each counted pre-task was accepted (None: not).
    """

    attended_at: datetime
    pre_done_at: tuple[datetime | None, ...]


def did_pre_tasks_in_time(participation: Participation) -> bool:
    return all(
        done is not None and done <= participation.attended_at for done in participation.pre_done_at
    )


@dataclass(frozen=True)
class TransferFigures:
    """Transfer of Training figures of one activity (or all) over one period.

    - participants: completions in the period (imports excluded: no tasks were kept then);
    - with_pre_tasks / pre_in_time: of those on activities with pre-tasks, how many had
      done every counted pre-task before attending;
    - follow_ups_decided / follow_ups_on_time: counted follow-ups whose due date has passed
      or that are done / of those, done by the due date;
    - overdue: counted follow-ups not done after their due date.
    """

    participants: int = 0
    with_pre_tasks: int = 0
    pre_in_time: int = 0
    follow_ups_decided: int = 0
    follow_ups_on_time: int = 0
    overdue: int = 0

    @property
    def pre_task_rate(self) -> float | None:
        """Share of participants who did the pre-task before attending (None: no pre-task)."""
        return self.pre_in_time / self.with_pre_tasks if self.with_pre_tasks else None

    @property
    def follow_up_rate(self) -> float | None:
        """Share of follow-ups done by their due date (None: none due yet)."""
        if not self.follow_ups_decided:
            return None
        return self.follow_ups_on_time / self.follow_ups_decided

    def __add__(self, other: TransferFigures) -> TransferFigures:
        return TransferFigures(
            participants=self.participants + other.participants,
            with_pre_tasks=self.with_pre_tasks + other.with_pre_tasks,
            pre_in_time=self.pre_in_time + other.pre_in_time,
            follow_ups_decided=self.follow_ups_decided + other.follow_ups_decided,
            follow_ups_on_time=self.follow_ups_on_time + other.follow_ups_on_time,
            overdue=self.overdue + other.overdue,
        )


def compute_figures(
    participations: Sequence[Participation],
    follow_ups: Sequence[FollowUpState],
    today: date,
) -> TransferFigures:
    """The figures from the participations and the opened follow-ups of one activity."""
    with_pre = [item for item in participations if item.pre_done_at]
    counted_ones = [item for item in follow_ups if item.is_counted]
    decided = [item for item in counted_ones if item.is_done or item.due_on < today]
    return TransferFigures(
        participants=len(participations),
        with_pre_tasks=len(with_pre),
        pre_in_time=sum(did_pre_tasks_in_time(item) for item in with_pre),
        follow_ups_decided=len(decided),
        follow_ups_on_time=sum(
            item.is_done and item.done_on is not None and item.done_on <= item.due_on
            for item in decided
        ),
        overdue=sum(is_overdue(item, today) for item in counted_ones),
    )
