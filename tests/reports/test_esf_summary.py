"""Programme summary tables: a rebuild gives the raw figures; every completion written or taken
back keeps a built summary exactly where a fresh rebuild would put it."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lms.core.jobs import JobContext
from lms.core.time import utcnow
from lms.reports.esf_data import Coverage
from lms.reports.esf_summary import rebuild_all, rebuild_programme, summary_aggregates
from lms.reports.jobs import rebuild_programme_summaries
from lms.reports.models import ProgrammeActivityHours, ProgrammeParticipant
from tests.reports.esf_builders import complete, local, move, person
from tests.reports.esf_summary_support import (
    World,
    assert_rebuild_changes_nothing,
    assert_summary_equals_raw,
    attend,
    built,
    connect_upkeep,
    contents,
    no_show,
    reader_coverages,
    workshop_session,
    world,
)


@pytest.fixture(autouse=True)
def _upkeep() -> Iterator[None]:
    connect_upkeep()
    yield


@pytest.fixture
def w(session: Session) -> World:
    return world(session)


def record_everything(session: Session, w: World) -> None:
    """Completions of every kind, inside and outside both programmes' periods and coverage."""
    p = w.people
    complete(session, p["anna"], date(2024, 1, 1), 30, activity=w.nano)  # lyft's first day
    complete(session, p["anna"], local(2024, 3, 31, 23, 30), 45, activity=w.elearning)
    complete(session, p["anna"], date(2024, 4, 2), 60, "import", activity=w.nano)  # again
    complete(session, p["anna"], local(2023, 12, 31, 23, 30), 90)  # before lyft
    complete(session, p["bo"], date(2024, 2, 10), 120, "external", title="Konferens")
    complete(session, p["bo"], date(2025, 2, 1), 40, activity=w.nano)  # museer only
    complete(session, p["cleo"], local(2024, 12, 31, 23, 30), 15, activity=w.nano)  # last day
    complete(session, p["cleo"], local(2025, 1, 1, 0, 10), 15, activity=w.elearning)  # after
    complete(session, p["dan"], date(2024, 6, 1), 50, "import")  # Konsthallen, no activity
    complete(session, p["eva"], date(2024, 6, 1), 70, activity=w.elearning)  # museer only
    complete(session, p["fia"], date(2024, 6, 1), 80, activity=w.nano)  # Solna: nowhere
    complete(session, p["gun"], date(2024, 5, 5), 0, activity=w.nano)  # zero minutes
    morning = workshop_session(session, w, local(2024, 5, 14, 9))
    afternoon = workshop_session(session, w, local(2024, 5, 14, 13))
    attend(session, w, morning, p["anna"], p["bo"], p["gun"], p["eva"])
    attend(session, w, afternoon, p["anna"], p["dan"])
    no_show(session, w, morning, p["gun"])  # corrected: gun was not there after all
    move(session, p["bo"], w.depts["Stadsbiblioteket"])  # bo moves within Kultur
    complete(session, p["bo"], date(2024, 9, 3), 25, activity=w.elearning)
    move(session, p["eva"], w.depts["Konsthallen"])  # eva moves into lyft's department
    complete(session, p["eva"], date(2024, 9, 4), 35, activity=w.nano)


# --- rebuild ---------------------------------------------------------------------------------


def test_rebuilt_summary_gives_the_raw_figures_for_every_reader_and_department(
    session: Session, w: World
) -> None:
    record_everything(session, w)
    built(session, *w.programmes)
    for made in w.programmes:
        assert made.summary_built_at is not None
        assert_summary_equals_raw(session, made, reader_coverages(w))


def test_rebuilt_summary_holds_one_row_per_person_and_department(
    session: Session, w: World
) -> None:
    record_everything(session, w)
    built(session, w.lyft)
    p, d = w.people, w.depts
    kultur, nacka = w.orgs["kultur"].id, w.orgs["nacka"].id
    assert contents(session, w.lyft)["programme_participants"] == sorted([
        (p["anna"].id, kultur, d["Stadsbiblioteket"].id, 30 + 45 + 60 + 120 + 120, 5,
         date(2024, 1, 1)),
        (p["bo"].id, kultur, d["Stadsmuseet"].id, 120 + 120, 2, date(2024, 2, 10)),
        (p["bo"].id, kultur, d["Stadsbiblioteket"].id, 25, 1, date(2024, 9, 3)),
        (p["cleo"].id, kultur, 0, 15, 1, date(2024, 12, 31)),
        (p["dan"].id, nacka, d["Konsthallen"].id, 50 + 120, 2, date(2024, 5, 14)),
        (p["eva"].id, nacka, d["Konsthallen"].id, 35, 1, date(2024, 9, 4)),
    ])  # fmt: skip
    workshop = session.get(ProgrammeActivityHours, (w.lyft.id, kultur, d["Stadsbiblioteket"].id,
                                                    w.workshop.id))  # fmt: skip
    assert workshop is not None  # anna attended twice: two completions, one person
    assert (workshop.minutes, workshop.completions, workshop.participants) == (240, 2, 1)


def test_rebuild_replaces_rows_after_the_period_changes(session: Session, w: World) -> None:
    record_everything(session, w)
    built(session, w.lyft)
    w.lyft.starts_on, w.lyft.ends_on = date(2024, 6, 1), date(2024, 6, 30)
    rebuild_programme(session, w.lyft)
    people = session.scalars(
        select(ProgrammeParticipant.user_id).where(ProgrammeParticipant.programme_id == w.lyft.id)
    )
    assert sorted(people) == [w.people["dan"].id]
    assert_summary_equals_raw(session, w.lyft, reader_coverages(w))


def test_a_programme_covering_nothing_has_no_rows(session: Session, w: World) -> None:
    record_everything(session, w)
    w.museer.departments = []
    built(session, w.museer)
    assert contents(session, w.museer) == {
        "programme_participants": [],
        "programme_month_hours": [],
        "programme_activity_hours": [],
    }
    assert_summary_equals_raw(session, w.museer, [()])


def test_rebuild_all_and_the_nightly_job_rebuild_every_programme(
    session: Session, w: World, app: Flask
) -> None:
    record_everything(session, w)
    assert rebuild_all(session) == 2
    before = {made.slug: contents(session, made) for made in w.programmes}
    for made in w.programmes:
        made.summary_built_at = None
    ctx = JobContext(session=session, now=utcnow(), app=app, log=logging.getLogger("test"))
    assert rebuild_programme_summaries(ctx) == {"programmes": 2}
    assert all(made.summary_built_at is not None for made in w.programmes)
    assert {made.slug: contents(session, made) for made in w.programmes} == before


# --- incremental upkeep ----------------------------------------------------------------------


def test_every_kind_of_completion_keeps_a_built_summary_in_step(session: Session, w: World) -> None:
    built(session, *w.programmes)
    record_everything(session, w)
    for made in w.programmes:
        assert_rebuild_changes_nothing(session, made)
        assert_summary_equals_raw(session, made, reader_coverages(w))


def test_an_unbuilt_summary_is_left_alone(session: Session, w: World) -> None:
    record_everything(session, w)
    assert w.lyft.summary_built_at is None
    assert session.scalar(select(func.count()).select_from(ProgrammeParticipant)) == 0


def test_attendance_corrected_to_no_show_takes_the_hours_back(session: Session, w: World) -> None:
    built(session, w.lyft)
    anna = w.people["anna"]
    morning = workshop_session(session, w, local(2024, 5, 14, 9))
    afternoon = workshop_session(session, w, local(2024, 5, 14, 13))
    attend(session, w, morning, anna)
    attend(session, w, afternoon, anna)
    assert_rebuild_changes_nothing(session, w.lyft)
    no_show(session, w, morning, anna)  # the repeat stays: still a participant of the workshop
    assert_rebuild_changes_nothing(session, w.lyft)
    workshop = _workshop_cell(session, w)
    assert workshop is not None and (workshop.minutes, workshop.participants) == (120, 1)
    no_show(session, w, afternoon, anna)
    assert_rebuild_changes_nothing(session, w.lyft)
    assert _workshop_cell(session, w) is None
    assert contents(session, w.lyft)["programme_participants"] == []


def _workshop_cell(session: Session, w: World) -> ProgrammeActivityHours | None:
    session.expire_all()
    key = (w.lyft.id, w.orgs["kultur"].id, w.depts["Stadsbiblioteket"].id, w.workshop.id)
    return session.get(ProgrammeActivityHours, key)


def test_taking_back_the_first_completion_moves_first_on(session: Session, w: World) -> None:
    built(session, w.lyft)
    anna = w.people["anna"]
    early = workshop_session(session, w, local(2024, 2, 6, 9))
    attend(session, w, early, anna)
    complete(session, anna, date(2024, 4, 9), 30, activity=w.nano)
    no_show(session, w, early, anna)
    assert_rebuild_changes_nothing(session, w.lyft)
    [row] = contents(session, w.lyft)["programme_participants"]
    assert row[-1] == date(2024, 4, 9)
    assert_summary_equals_raw(session, w.lyft, [()])


def test_backdated_imports_inside_and_outside_the_period(session: Session, w: World) -> None:
    built(session, w.lyft)
    anna = w.people["anna"]
    complete(session, anna, date(2024, 8, 1), 30, activity=w.nano)
    complete(session, anna, date(2023, 11, 1), 60, "import", activity=w.nano)  # outside
    assert_rebuild_changes_nothing(session, w.lyft)
    complete(session, anna, date(2024, 2, 1), 60, "import", activity=w.nano)  # earlier, inside
    assert_rebuild_changes_nothing(session, w.lyft)
    [row] = contents(session, w.lyft)["programme_participants"]
    assert (row[-3], row[-2], row[-1]) == (90, 2, date(2024, 2, 1))
    assert_summary_equals_raw(session, w.lyft, [()])


def test_zero_minute_completions_change_nothing(session: Session, w: World) -> None:
    built(session, w.lyft)
    before = contents(session, w.lyft)
    complete(session, w.people["anna"], date(2024, 5, 1), 0, activity=w.nano)
    assert contents(session, w.lyft) == before


def test_a_person_who_moves_counts_in_both_departments_and_once_in_total(
    session: Session, w: World
) -> None:
    built(session, w.lyft)
    bo = w.people["bo"]
    complete(session, bo, date(2024, 3, 3), 30, activity=w.nano)
    move(session, bo, w.depts["Stadsbiblioteket"])
    complete(session, bo, date(2024, 4, 4), 30, activity=w.nano)
    assert_rebuild_changes_nothing(session, w.lyft)
    aggregates = summary_aggregates(session, w.lyft, ())
    assert sum(aggregates.participants_by_gender.values()) == 1
    assert [row.participants for row in aggregates.departments] == [1, 1]
    assert [(m.month, m.new_participants) for m in aggregates.months] == [
        ("2024-03", 1),
        ("2024-04", 0),
    ]
    [nano] = aggregates.activities
    assert (nano.participants, nano.completions) == (2, 2)  # once per department


def test_someone_without_a_department_passes_only_organisation_coverages(
    session: Session, w: World
) -> None:
    built(session, w.lyft)
    complete(session, w.people["cleo"], date(2024, 5, 5), 45)
    own_department = Coverage(department_ids=frozenset({w.depts["Stadsbiblioteket"].id}))
    assert summary_aggregates(session, w.lyft, (own_department,)).departments == ()
    [row] = summary_aggregates(session, w.lyft, ()).departments
    assert (row.department_id, row.department, row.minutes) == (None, "", 45)


# --- reading ---------------------------------------------------------------------------------


def test_summary_aggregates_take_a_constant_number_of_queries(
    session: Session, w: World, count_queries: object
) -> None:
    built(session, *w.programmes)
    complete(session, w.people["anna"], date(2024, 5, 5), 45, activity=w.nano)
    with count_queries() as few:  # type: ignore[operator]
        summary_aggregates(session, w.lyft, ())
    record_everything(session, w)
    for n in range(6):
        extra = person(session, w.orgs["kultur"], w.depts["Stadsmuseet"], gender="man")
        complete(session, extra, date(2024, 7, 1) + timedelta(days=31 * n), 20 + n)
    with count_queries() as many:  # type: ignore[operator]
        summary_aggregates(session, w.lyft, ())
    assert few.count == many.count <= 11
