"""The funder's per-person listing: counted minutes per person and month, where they belonged
at completion, protected identities and deactivated people included, sorted by name, paged."""

from __future__ import annotations

from datetime import date

import pytest

from lms.reports.esf_data import Coverage, EsfFilter
from lms.reports.esf_people import (
    count_person_months,
    iter_person_months,
    list_person_months,
    page_person_months,
)
from lms.reports.esf_report import build_esf_report, esf_filter_for
from tests.reports.esf_builders import complete, local
from tests.reports.esf_page_data import World, build_world


@pytest.fixture
def world(session) -> World:
    return build_world(session)


def rows(session, esf_filter: EsfFilter) -> list[tuple[str, str | None, str | None, str, int]]:
    return [
        (r.name, r.organisation, r.department, r.month, r.minutes)
        for r in list_person_months(session, esf_filter)
    ]


def test_each_person_month_with_where_they_belonged(session, world) -> None:
    lib, museum, nacka = "Stadsbiblioteket", "Stadsmuseet", "Nacka bibliotek"
    culture = "Kulturförvaltningen"
    assert rows(session, esf_filter_for(programme=world.programme)) == [
        ("Anna Testsson", culture, lib, "2024-03", 120),  # two completions, 23:30 included
        ("Bo Testsson", culture, lib, "2024-05", 60),  # his 0-minute import is not counted
        ("Cia Testsson", culture, museum, "2024-06", 120),  # approved external learning
        ("Dan Testsson", culture, museum, "2024-02", 45),  # deactivated: still counted
        ("Eva Testsson", "Nacka kommun", nacka, "2024-07", 75),
        ("Fia Testsson", culture, lib, "2024-04", 60),  # before she moved
        ("Fia Testsson", culture, museum, "2024-08", 30),  # after
        ("Skyddad Testsson", culture, lib, "2024-05", 30),  # the funder's file names everyone
    ]


def test_the_listing_adds_up_to_the_report(session, world) -> None:
    esf_filter = esf_filter_for(programme=world.programme)
    listed = list_person_months(session, esf_filter)
    report = build_esf_report(session, programme=world.programme)
    assert sum(r.minutes for r in listed) / 60 == report["hours"]["total"]
    assert len({r.user_id for r in listed}) == report["participants"]["total"]
    genders = {r.user_id: r.gender for r in listed}
    assert sum(1 for g in genders.values() if g == "woman") == report["participants"]["women"]


def test_coverages_limit_the_listing(session, world) -> None:
    museum = Coverage(department_ids=frozenset({world.depts["Stadsmuseet"].id}))
    esf_filter = esf_filter_for(programme=world.programme, coverage=museum)
    assert [r[0] for r in rows(session, esf_filter)] == [
        "Cia Testsson", "Dan Testsson", "Fia Testsson",
    ]  # fmt: skip
    nothing = esf_filter_for(programme=world.programme, coverage=Coverage())
    assert rows(session, nothing) == []


def test_months_are_stockholm_months(session, world) -> None:
    # 00:30 on 1 June in Stockholm is still 31 May in UTC.
    complete(session, world.people["gus"], local(2024, 6, 1, 0, 30), 15)
    esf_filter = EsfFilter(date(2024, 6, 1), date(2024, 6, 30))
    assert ("Gus Testsson", "Nacka kommun", "Nacka konsthall", "2024-06", 15) in rows(
        session, esf_filter
    )
    may = EsfFilter(date(2024, 5, 1), date(2024, 5, 31))
    assert not any(r[0] == "Gus Testsson" for r in rows(session, may))


def test_pages_and_the_stream_agree(session, world) -> None:
    esf_filter = esf_filter_for(programme=world.programme)
    everything = list_person_months(session, esf_filter)
    assert list(iter_person_months(session, esf_filter)) == everything
    assert count_person_months(session, esf_filter) == len(everything) == 8
    first = page_person_months(session, esf_filter, 1, per_page=3)
    last = page_person_months(session, esf_filter, 3, per_page=3)
    assert first.items == everything[:3] and last.items == everything[6:]
    assert (first.pages, first.has_next, last.has_next) == (3, True, False)
    assert page_person_months(session, esf_filter, 99, per_page=3).page == 3
    assert page_person_months(session, esf_filter, 0, per_page=3).page == 1


def test_a_page_is_two_queries(session, world, count_queries) -> None:
    esf_filter = esf_filter_for(programme=world.programme)
    with count_queries() as counted:
        page_person_months(session, esf_filter, 1)
    assert counted.count == 2
