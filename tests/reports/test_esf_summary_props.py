"""Random sequences of completions, attendance and its corrections, moves and rebuilds: a built
summary kept incrementally always equals a fresh rebuild, and its figures the raw ones."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from lms.catalog.models import ActivitySession
from lms.reports.esf_data import Coverage
from lms.reports.esf_summary import rebuild_programme
from tests.reports.esf_builders import complete, local, move
from tests.reports.esf_summary_support import (
    World,
    assert_rebuild_changes_nothing,
    assert_summary_equals_raw,
    attend,
    connect_upkeep,
    no_show,
    workshop_session,
    world,
)

# Around both programmes' boundaries (lyft: 2024; museer: 2024-03 – 2025-06), Stockholm time.
MOMENTS = (
    local(2023, 12, 31, 23, 30),
    local(2024, 1, 1, 0, 0),
    local(2024, 2, 29),
    local(2024, 3, 1, 0, 5),
    local(2024, 6, 15),
    local(2024, 12, 31, 23, 30),
    local(2025, 1, 1, 0, 10),
    local(2025, 6, 30, 23, 59),
    local(2025, 7, 1),
)
SESSION_STARTS = (
    local(2024, 2, 28, 9),
    local(2024, 5, 14, 13),
    local(2024, 12, 31, 22),  # ends at midnight: dated 2025-01-01, after lyft
    local(2025, 3, 1, 9),
)
PEOPLE = ("anna", "gun", "bo", "cleo", "dan", "eva", "fia")
DEPARTMENTS = (None, "Stadsbiblioteket", "Stadsmuseet", "Konsthallen", "Musikskolan")
ACTIVITIES = (None, "nano", "elearning", "workshop")

person_index = st.integers(0, len(PEOPLE) - 1)
session_index = st.integers(0, len(SESSION_STARTS) - 1)
# Attendance among a few people (anna and gun share a department), so repeats, corrections
# and first completions meet.
attendee_index = st.integers(0, 2)
complete_op = st.tuples(
    st.just("complete"),
    st.one_of(attendee_index, person_index),
    st.integers(0, len(ACTIVITIES) - 1),
    st.integers(0, len(MOMENTS) - 1),
    st.sampled_from((0, 5, 30, 90)),
    st.sampled_from(("catalogue", "import", "external")),
)
attend_op = st.tuples(st.just("attend"), session_index, attendee_index)
no_show_op = st.tuples(st.just("no_show"), st.integers(0, 20))  # one credited so far
# Weighted towards what meets: completions, attendance and its corrections; fewer moves.
KINDS = ("complete",) * 3 + ("attend",) * 3 + ("no_show",) * 2 + ("move", "rebuild")
BY_KIND = {
    "complete": complete_op,
    "attend": attend_op,
    "no_show": no_show_op,
    "move": st.tuples(st.just("move"), person_index, st.integers(0, len(DEPARTMENTS) - 1)),
    "rebuild": st.tuples(st.just("rebuild"), st.integers(0, 1)),
}
operation = st.sampled_from(KINDS).flatmap(BY_KIND.__getitem__)


@pytest.fixture(autouse=True)
def _upkeep() -> Iterator[None]:
    connect_upkeep()
    yield


@dataclass
class Setting:
    w: World
    sessions: list[ActivitySession]
    credited: list[tuple[int, int]] = field(default_factory=list)  # (session, person) indexes


def apply(session: Session, setting: Setting, op: tuple[Any, ...]) -> None:
    kind, *args = op
    w, sessions = setting.w, setting.sessions
    if kind == "complete":
        who, activity, moment, minutes, source = args
        name = ACTIVITIES[activity]
        when: datetime = MOMENTS[moment]
        complete(session, w.people[PEOPLE[who]], when, minutes, source,
                 activity=getattr(w, name) if name else None)  # fmt: skip
    elif kind == "attend":
        attend(session, w, sessions[args[0]], w.people[PEOPLE[args[1]]])
        if (args[0], args[1]) not in setting.credited:
            setting.credited.append((args[0], args[1]))
    elif kind == "no_show" and setting.credited:
        which, who = setting.credited.pop(args[0] % len(setting.credited))
        no_show(session, w, sessions[which], w.people[PEOPLE[who]])
    elif kind == "move":
        dept = DEPARTMENTS[args[1]]
        who = w.people[PEOPLE[args[0]]]
        target = w.depts[dept] if dept else None
        if target is not None:  # possibly to another organisation
            who.organisation_id = target.organisation_id
        move(session, who, target)
    elif kind == "rebuild":
        rebuild_programme(session, w.programmes[args[0]])


@pytest.fixture
def made(session: Session) -> tuple[World, list[ActivitySession]]:
    w = world(session)
    return w, [workshop_session(session, w, start) for start in SESSION_STARTS]


@settings(
    max_examples=10,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=st.lists(operation, min_size=10, max_size=30))
def test_incremental_upkeep_equals_a_rebuild_after_any_sequence(
    session: Session,
    made: tuple[World, list[ActivitySession]],
    operations: list[tuple[Any, ...]],
) -> None:
    setting = Setting(*made)
    w = setting.w
    kultur = Coverage(organisation_ids=frozenset({w.orgs["kultur"].id}))
    museum = Coverage(department_ids=frozenset({w.depts["Stadsmuseet"].id}))
    savepoint = session.begin_nested()  # each example starts from the same world
    try:
        for programme in w.programmes:
            rebuild_programme(session, programme)
        for op in operations:
            apply(session, setting, op)
        for programme in w.programmes:
            assert_rebuild_changes_nothing(session, programme)
            assert_summary_equals_raw(session, programme, [(), (kultur, museum)])
    finally:
        savepoint.rollback()
