"""The ESF aggregates read straight from completions: every figure and split of a hand-built
scenario, the period boundaries in Stockholm time, the source rules, the department at
completion, coverages, and a constant number of statements."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session

from lms.accounts.services import set_active
from lms.reports.esf_data import Coverage, EsfFilter, GroupRow, MonthRow, SourceRow
from lms.reports.esf_queries import raw_aggregates
from lms.reports.programmes import programme_coverage
from tests.catalog.factories import AREAS
from tests.catalog.factories import activity as make_activity
from tests.reports.esf_builders import (
    PERIOD,
    Scenario,
    complete,
    local,
    move,
    person,
    programme,
    scenario,
    unit,
)

K, N = "Kulturförvaltningen", "Nacka kommun"


@pytest.fixture
def world(session: Session) -> Scenario:
    return scenario(session)


def aggregates_of(session: Session, *coverages: Coverage, period=PERIOD):
    return raw_aggregates(session, EsfFilter(period[0], period[1], tuple(coverages)))


def test_participants_and_minutes_by_gender(session: Session, world: Scenario) -> None:
    found = aggregates_of(session)
    assert dict(found.participants_by_gender) == {
        "woman": 2,
        "man": 1,
        "non_binary": 1,
        "unstated": 1,
    }
    assert dict(found.minutes_by_gender) == {
        "woman": 360,
        "man": 45,
        "non_binary": 90,
        "unstated": 30,
    }


def test_departments_are_named_and_the_one_without_a_name_comes_last(
    session: Session, world: Scenario
) -> None:
    rows = [
        (r.organisation, r.department, r.department_id, r.participants, r.minutes)
        for r in aggregates_of(session).departments
    ]
    d = world.departments
    assert rows == [
        (K, "Stadsbiblioteket", d["Stadsbiblioteket"].id, 2, 225),
        (K, "Stadsmuseet", d["Stadsmuseet"].id, 1, 90),
        (K, "", None, 1, 30),
        (N, "Konsthallen", d["Konsthallen"].id, 1, 180),
    ]


def test_organisations_count_distinct_people(session: Session, world: Scenario) -> None:
    rows = [
        (r.organisation_id, r.organisation, r.department_id, r.participants, r.minutes)
        for r in aggregates_of(session).organisations
    ]
    o = world.organisations
    assert rows == [(o[K].id, K, None, 4, 345), (o[N].id, N, None, 1, 180)]


def test_months_have_minutes_and_people_by_their_first_month(
    session: Session, world: Scenario
) -> None:
    assert aggregates_of(session).months == (
        MonthRow("2024-03", 150, 2),
        MonthRow("2024-04", 270, 2),
        MonthRow("2024-05", 105, 1),
    )


def test_sources_count_minutes_and_completions(session: Session, world: Scenario) -> None:
    assert dict(aggregates_of(session).sources) == {
        "catalogue": SourceRow(105, 2),
        "attendance": SourceRow(240, 2),
        "import": SourceRow(150, 2),
        "external": SourceRow(30, 1),
    }


def test_activities_count_people_once_per_department(session: Session, world: Scenario) -> None:
    rows = {
        r.activity_id: (r.title, r.participants, r.minutes, r.completions)
        for r in aggregates_of(session).activities
    }
    a = world.activities
    assert rows == {
        a["workshop"].id: ("Verkstad", 2, 240, 2),
        a["nano"].id: ("Nano", 2, 105, 2),
        a["elearning"].id: ("E-kurs", 1, 90, 1),
        None: ("", 2, 90, 2),  # dag's external learning and eva's import, in two departments
    }
    assert [r.minutes for r in aggregates_of(session).activities][:2] == [240, 105]


def test_areas_count_an_activity_in_each_of_its_areas(session: Session, world: Scenario) -> None:
    assert aggregates_of(session).areas == (
        GroupRow("1", AREAS["1"], 240, 2),
        GroupRow("2", AREAS["2"], 90, 1),
        GroupRow("4", AREAS["4"], 345, 4),
    )


def test_formats_by_minutes_with_learning_outside_the_catalogue_as_empty(
    session: Session, world: Scenario
) -> None:
    assert [(r.key, r.minutes, r.completions) for r in aggregates_of(session).formats] == [
        ("workshop", 240, 2),
        ("nanolesson", 105, 2),
        ("", 90, 2),
        ("elearning", 90, 1),
    ]


def test_period_boundaries_are_stockholm_days(session: Session) -> None:
    org, depts = unit(session, "Gränsförvaltningen", "Arkivet")
    who = person(session, org, depts["Arkivet"])
    complete(session, who, local(2024, 6, 30, 23, 30), 10)  # 21:30 UTC: the last day, inside
    complete(session, who, local(2024, 7, 1, 0, 30), 20)  # 30 June 22:30 UTC: outside
    complete(session, who, local(2024, 5, 31, 23, 30), 40)  # the day before: outside
    complete(session, who, local(2024, 6, 1, 0, 30), 80)  # 31 May 22:30 UTC: inside
    found = aggregates_of(session, period=(date(2024, 6, 1), date(2024, 6, 30)))
    assert found.sources["catalogue"] == SourceRow(90, 2)
    # In winter Stockholm is UTC+1: 23:30 on 31 December is 22:30 UTC, still that day.
    complete(session, who, local(2024, 12, 31, 23, 30), 5)
    complete(session, who, local(2025, 1, 1, 0, 30), 7)
    found = aggregates_of(session, period=(date(2024, 12, 1), date(2024, 12, 31)))
    assert found.sources["catalogue"] == SourceRow(5, 1)
    assert found.months == (MonthRow("2024-12", 5, 1),)


def test_only_approved_external_learning_and_minutes_above_zero_count(
    session: Session, world: Scenario
) -> None:
    found = aggregates_of(session)
    assert found.sources["external"] == SourceRow(30, 1)  # dag's; not anna's or bo's reports
    people = sum(found.participants_by_gender.values())
    assert people == 5  # gus, with only a zero-minute completion, is not a participant
    assert all(r.participants for r in found.departments)


def test_a_person_who_moved_keeps_hours_in_the_department_at_completion(session: Session) -> None:
    org, depts = unit(session, "Flyttförvaltningen", "Avdelning A", "Avdelning B")
    nano = make_activity(session, format="nanolesson")
    who = person(session, org, depts["Avdelning A"], "man")
    complete(session, who, date(2024, 3, 5), 60, activity=nano)
    move(session, who, depts["Avdelning B"])
    complete(session, who, date(2024, 4, 5), 30, activity=nano)
    found = aggregates_of(session, Coverage(organisation_ids=frozenset({org.id})))
    assert [(r.department, r.participants, r.minutes) for r in found.departments] == [
        ("Avdelning A", 1, 60),
        ("Avdelning B", 1, 30),
    ]
    assert [(r.participants, r.minutes) for r in found.organisations] == [(1, 90)]
    assert dict(found.participants_by_gender) == {"man": 1}
    assert found.months == (MonthRow("2024-03", 60, 1), MonthRow("2024-04", 30, 0))
    assert [(r.participants, r.minutes) for r in found.activities] == [(2, 90)]
    only_b = aggregates_of(session, Coverage(department_ids=frozenset({depts["Avdelning B"].id})))
    assert only_b.months == (MonthRow("2024-04", 30, 1),)  # first within the filter


def test_a_deactivated_persons_hours_still_count(session: Session, world: Scenario) -> None:
    admin = world.extra["chef"]
    set_active(session, admin, world.people["eva"], False)
    found = aggregates_of(session)
    assert found.participants_by_gender["woman"] == 2
    assert found.minutes_by_gender["woman"] == 360


def test_every_coverage_must_let_a_completion_through(session: Session) -> None:
    x, x_depts = unit(session, "Förvaltning X", "X1")
    z, z_depts = unit(session, "Förvaltning Z", "Y", "W")
    q, q_depts = unit(session, "Förvaltning Q", "Q1")
    for who, minutes in (
        (person(session, x, x_depts["X1"]), 1),
        (person(session, x, None), 2),
        (person(session, z, z_depts["Y"]), 4),
        (person(session, z, z_depts["W"]), 8),
        (person(session, q, q_depts["Q1"]), 16),
    ):
        complete(session, who, date(2024, 4, 1), minutes)
    lyft = programme(session, *PERIOD, organisations=[x], departments=[z_depts["Y"]])
    covered = programme_coverage(lyft)

    def minutes(*coverages: Coverage) -> int:
        return sum(r.minutes for r in aggregates_of(session, *coverages).sources.values())

    assert minutes(covered) == 1 + 2 + 4
    assert minutes(covered, Coverage(organisation_ids=frozenset({z.id}))) == 4
    assert minutes(covered, Coverage(organisation_ids=frozenset({x.id}))) == 1 + 2
    assert minutes(covered, Coverage(department_ids=frozenset({z_depts["W"].id}))) == 0
    assert minutes(covered, Coverage()) == 0
    assert minutes(Coverage()) == 0
    assert minutes(Coverage(department_ids=frozenset({z_depts["W"].id, q_depts["Q1"].id}))) == 24


def test_an_empty_period_has_empty_aggregates(session: Session, world: Scenario) -> None:
    found = aggregates_of(session, period=(date(2020, 1, 1), date(2020, 12, 31)))
    assert not found.participants_by_gender and not found.departments and not found.months
    assert not found.activities and not found.areas and not found.formats and not found.sources


def _crowd(session: Session, size: int) -> None:
    """`size` counted completions over people, departments, months, sources and activities."""
    org, depts = unit(session, "Mängdförvaltningen", "Avd 1", "Avd 2", "Avd 3")
    activities = [make_activity(session, format=f) for f in ("nanolesson", "workshop")]
    sources = ("catalogue", "attendance", "import", "external")
    for n in range(size):
        who = person(session, org, depts[f"Avd {n % 3 + 1}"], ("woman", "man")[n % 2])
        complete(
            session, who, date(2024, 3 + n % 3, 1 + n % 28), 10 + n, sources[n % 4],
            activities[n % 2] if n % 4 < 3 else None,
        )  # fmt: skip


@pytest.mark.parametrize("size", [1, 30])
def test_the_number_of_statements_does_not_grow_with_the_data(
    session: Session, count_queries, size: int
) -> None:
    _crowd(session, size)
    with count_queries() as counter:
        found = aggregates_of(session)
    assert sum(r.completions for r in found.sources.values()) == size
    assert counter.count == 12, counter.statements
