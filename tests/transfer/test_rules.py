"""The pure Transfer of Training rules and the report figures built on them."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.catalog.schedule import sync_seats
from lms.core.access import Permission
from lms.core.time import UTC
from lms.progress import attendance, bookings, services
from lms.progress.models import Completion
from lms.transfer import rules
from lms.transfer.figures import list_transfer_figures, list_transfer_statuses
from lms.transfer.models import TaskResponse, TransferTask
from lms.transfer.services import answer_follow_up, answer_pre_task
from tests import factories
from tests.catalog import factories as cf
from tests.transfer import factories as tf

TODAY = date(2026, 4, 1)


def _state(
    done: bool, due: date, counted: bool = True, done_on: date | None = None
) -> rules.FollowUpState:
    return rules.FollowUpState(is_counted=counted, is_done=done, due_on=due, done_on=done_on)


# --- answers ---------------------------------------------------------------------------------


def test_answer_status_per_kind() -> None:
    assert rules.answer_status("reflection", "  Jag provade.  ", [], 0) == "done"
    assert rules.answer_status("reflection", "   ", [], 0) == "open"
    assert rules.answer_status("checklist", "", [0, 2], 3) == "open"
    assert rules.answer_status("checklist", "", [2, 0, 1], 3) == "done"
    assert rules.answer_status("manager", "Vi har pratat", [], 0) == "awaiting_manager"


def test_due_dates_count_from_the_stockholm_day() -> None:
    # 22:30 UTC on 31 March is 00:30 on 1 April in Stockholm (summer time).
    assert rules.due_on(datetime(2026, 3, 31, 22, 30, tzinfo=UTC), 14) == date(2026, 4, 15)
    assert rules.overdue_reminder_on(date(2026, 4, 15)) == date(2026, 4, 22)


def test_counted_tasks_are_the_required_ones_or_all() -> None:
    assert rules.counted(["a", "b", "c"], [False, True, False]) == ["b"]
    assert rules.counted(["a", "b"], [False, False]) == ["a", "b"]
    assert rules.counted([], []) == []


# --- transfer status -------------------------------------------------------------------------


def test_transfer_status() -> None:
    yesterday, tomorrow = TODAY - timedelta(days=1), TODAY + timedelta(days=1)
    assert rules.transfer_status([], TODAY) is None
    assert rules.transfer_status([_state(False, tomorrow)], TODAY) == "pending"
    assert rules.transfer_status([_state(False, TODAY)], TODAY) == "pending"  # due today
    assert rules.transfer_status([_state(False, yesterday)], TODAY) == "overdue"
    assert rules.transfer_status([_state(True, yesterday), _state(True, TODAY)], TODAY) == "done"
    # An uncounted (optional) follow-up never makes a completion overdue.
    mixed = [_state(True, yesterday), _state(False, yesterday, counted=False)]
    assert rules.transfer_status(mixed, TODAY) == "done"


@given(
    st.lists(
        st.tuples(st.booleans(), st.booleans(), st.integers(min_value=-30, max_value=30)),
        max_size=6,
    )
)
def test_transfer_status_properties(items: list[tuple[bool, bool, int]]) -> None:
    states = [_state(done, TODAY + timedelta(days=d), counted) for counted, done, d in items]
    status = rules.transfer_status(states, TODAY)
    counted = [s for s in states if s.is_counted]
    if not counted:
        assert status is None
    elif all(s.is_done for s in counted):
        assert status == "done"
    else:
        late = any(not s.is_done and s.due_on < TODAY for s in counted)
        assert status == ("overdue" if late else "pending")


# --- figures (pure) --------------------------------------------------------------------------


def test_compute_figures() -> None:
    start = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
    before, after = start - timedelta(days=2), start + timedelta(hours=1)
    participations = [
        rules.Participation(start, (before,)),  # in time
        rules.Participation(start, (after,)),  # did it, but afterwards (a walk-in)
        rules.Participation(start, (None,)),  # never
        rules.Participation(start, ()),  # an activity without pre-tasks
    ]
    follow_ups = [
        _state(True, date(2026, 3, 24), done_on=date(2026, 3, 24)),  # on the due day
        _state(True, date(2026, 3, 24), done_on=date(2026, 3, 25)),  # a day late
        _state(False, date(2026, 3, 24)),  # overdue
        _state(False, date(2026, 4, 20)),  # not due yet: undecided
        _state(False, date(2026, 3, 1), counted=False),  # optional: not counted
    ]
    figures = rules.compute_figures(participations, follow_ups, TODAY)
    assert figures == rules.TransferFigures(
        participants=4,
        with_pre_tasks=3,
        pre_in_time=1,
        follow_ups_decided=3,
        follow_ups_on_time=1,
        overdue=1,
    )
    assert figures.pre_task_rate == 1 / 3
    assert figures.follow_up_rate == 1 / 3
    empty = rules.TransferFigures()
    assert (empty.pre_task_rate, empty.follow_up_rate) == (None, None)
    assert figures + empty == figures


# --- figures and statuses from the database --------------------------------------------------


def test_figures_and_statuses_from_the_database(session: Session) -> None:
    """A workshop: three attend (two prepared in time, one walked in), one follow-up each."""
    owner = factories.user(session, permissions=Permission.COURSE_OWNER)
    activity = cf.activity(session, format="workshop", delivery="physical", owners=[owner])
    pre = tf.task(session, activity, title="Inför")
    tf.task(session, activity, phase="follow_up", due_days=14, title="Efter två veckor")
    tf.task(session, activity, phase="follow_up", due_days=30, required=False, position=1)
    booked_at = datetime(2026, 2, 20, 9, 0, tzinfo=UTC)
    occurrence = cf.session_of(
        session,
        activity,
        starts_at=datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
        capacity=5,
        now=booked_at,
    )
    sync_seats(session, occurrence)
    anna, bo, walk_in = (factories.user(session, password=None) for _ in range(3))
    for person in (anna, bo):
        answer_pre_task(session, person, pre, text="Förberett.", now=booked_at)
        bookings.book_session(session, person, occurrence, now=booked_at)
    attendance.mark_attendance(
        session, owner, occurrence, {anna.id, bo.id}, set(), {walk_in.id}, now=occurrence.ends_at
    )
    answer_pre_task(session, walk_in, pre, text="I efterhand.", now=occurrence.ends_at)
    # Anna answers the required follow-up on time; Bo and the walk-in do not.
    anna_follow_up = session.scalars(
        select(TaskResponse)
        .join(TransferTask, TransferTask.id == TaskResponse.task_id)
        .where(
            TaskResponse.user_id == anna.id,
            TransferTask.phase == "follow_up",
            TransferTask.is_required.is_(True),
        )
    ).one()
    answered_at = occurrence.ends_at + timedelta(days=3)
    answer_follow_up(session, anna, anna_follow_up, text="Jag har provat.", now=answered_at)

    today = date(2026, 3, 20)  # the 14-day follow-ups were due on 16 March
    figures = list_transfer_figures(session, today=today)[activity.id]
    assert figures.participants == 3
    assert (figures.with_pre_tasks, figures.pre_in_time) == (3, 2)
    assert (figures.follow_ups_decided, figures.follow_ups_on_time, figures.overdue) == (3, 1, 2)
    # A period that ends before the session sees nobody.
    assert list_transfer_figures(session, today=today, end=occurrence.starts_at) == {}
    statuses = list_transfer_statuses(
        session, [_completion_id(session, p.id) for p in (anna, bo)], today=today
    )
    assert list(statuses.values()) == ["done", "overdue"]
    assert list_transfer_statuses(
        session, [_completion_id(session, bo.id)], today=date(2026, 3, 10)
    ) == {_completion_id(session, bo.id): "pending"}


def _completion_id(session: Session, user_id: int) -> int:
    return session.scalars(select(Completion.id).where(Completion.user_id == user_id)).one()


def test_figures_use_a_constant_number_of_queries(session: Session, count_queries: object) -> None:
    activities = []
    for n in range(5):
        activity = cf.activity(session, format="nanolesson")
        tf.task(session, activity, required=False)
        tf.task(session, activity, phase="follow_up", due_days=7)
        activities.append(activity)
        for _ in range(n + 1):
            person = factories.user(session, password=None)
            services.complete_activity(
                session, person, activity, now=datetime(2026, 3, 2, tzinfo=UTC)
            )
    with count_queries() as counter:  # type: ignore[operator]
        figures = list_transfer_figures(session, today=TODAY)
    assert sum(f.participants for f in figures.values()) == 15
    assert len(counter.statements) <= 4


def test_figures_of_a_self_paced_activity(session: Session) -> None:
    """Self-paced: the pre-task must be done before the completion itself."""
    activity = cf.activity(session, format="nanolesson")
    pre = tf.task(session, activity)
    prepared = factories.user(session, password=None)
    answer_pre_task(session, prepared, pre, text="Klart.", now=datetime(2026, 3, 1, tzinfo=UTC))
    services.complete_activity(session, prepared, activity, now=datetime(2026, 3, 2, tzinfo=UTC))
    figures = list_transfer_figures(session, today=TODAY)[activity.id]
    assert (figures.participants, figures.with_pre_tasks, figures.pre_in_time) == (1, 1, 1)
    assert figures.pre_task_rate == 1.0
