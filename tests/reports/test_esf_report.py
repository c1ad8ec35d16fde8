"""The ESF report entry point: the report dict of the hand-built scenario figure by figure, for a
period and for a programme (from completions and from its summary tables), limited by the
reader's coverage and a department, and the validation of the period."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session

from lms.core.errors import DomainError, NotFound
from lms.reports.esf_data import Coverage
from lms.reports.esf_report import InvalidPeriod, build_esf_report, esf_filter_for, load_aggregates
from lms.reports.esf_summary import rebuild_programme
from lms.reports.programmes import programme_coverage
from tests.catalog.factories import AREAS
from tests.reports.esf_builders import PERIOD, Scenario, programme, scenario

K, N = "Kulturförvaltningen", "Nacka kommun"
TARGETS = {"target_participants": 4, "target_hours": 10, "target_hours_per_participant": 2.5}


@pytest.fixture
def world(session: Session) -> Scenario:
    return scenario(session)


def period_report(session: Session, **kw) -> dict:
    return build_esf_report(session, date_from=PERIOD[0], date_to=PERIOD[1], **kw)


def test_the_period_report_has_every_figure_of_the_scenario(
    session: Session, world: Scenario
) -> None:
    report = period_report(session)
    assert report["period"] == {"from": "2024-03-01", "to": "2024-05-31"}
    assert (report["programme"], report["targets"], report["attainment"]) == (None, None, None)
    assert report["participants"] == {
        "total": 5,
        "women": 2,
        "men": 1,
        "non_binary": 1,
        "not_stated": 1,
    }
    assert report["hours"] == {"total": 8.75, "per_participant": 1.75}
    assert report["hours_by_gender"] == {
        "women": 6.0,
        "men": 0.75,
        "non_binary": 1.5,
        "not_stated": 0.5,
    }
    assert report["by_department"] == [
        {"organisation": K, "department": "Stadsbiblioteket", "participants": 2, "hours": 3.75},
        {"organisation": K, "department": "Stadsmuseet", "participants": 1, "hours": 1.5},
        {"organisation": K, "department": None, "participants": 1, "hours": 0.5},
        {"organisation": N, "department": "Konsthallen", "participants": 1, "hours": 3.0},
    ]
    assert report["by_organisation"] == [
        {"organisation": K, "participants": 4, "hours": 5.75},
        {"organisation": N, "participants": 1, "hours": 3.0},
    ]
    assert report["by_month"] == [
        {"month": "2024-03", "hours": 2.5, "new_participants": 2},
        {"month": "2024-04", "hours": 4.5, "new_participants": 2},
        {"month": "2024-05", "hours": 1.75, "new_participants": 1},
    ]
    assert report["by_source"] == {
        "catalogue": 1.75,
        "attendance": 4.0,
        "import": 2.5,
        "external": 0.5,
    }
    assert report["completions_by_source"] == {
        "catalogue": 2,
        "attendance": 2,
        "import": 2,
        "external": 1,
    }
    assert report["by_area"] == [
        {"area": "1", "name": AREAS["1"], "hours": 4.0, "completions": 2},
        {"area": "2", "name": AREAS["2"], "hours": 1.5, "completions": 1},
        {"area": "4", "name": AREAS["4"], "hours": 5.75, "completions": 4},
    ]
    assert report["by_format"] == [
        {"format": "workshop", "hours": 4.0, "completions": 2},
        {"format": "nanolesson", "hours": 1.75, "completions": 2},
        {"format": "", "hours": 1.5, "completions": 2},
        {"format": "elearning", "hours": 1.5, "completions": 1},
    ]
    assert report["department_filter"] is None


def test_a_longer_period_lists_its_empty_months_and_the_near_misses(
    session: Session, world: Scenario
) -> None:
    report = build_esf_report(session, date_from=date(2024, 2, 1), date_to=date(2024, 6, 30))
    assert [(m["month"], m["hours"], m["new_participants"]) for m in report["by_month"]] == [
        ("2024-02", 1.0, 1),  # fred, 29 February 23:30 local
        ("2024-03", 2.5, 2),
        ("2024-04", 4.5, 2),
        ("2024-05", 1.75, 1),
        ("2024-06", 1.0, 0),  # fred again, 1 June 00:30 local
    ]
    assert report["participants"]["total"] == 6


def test_a_programme_report_has_targets_and_attainment(session: Session, world: Scenario) -> None:
    lyft = programme(
        session, *PERIOD, organisations=list(world.organisations.values()), slug="lyft", **TARGETS
    )
    report = build_esf_report(session, programme=lyft)
    assert report["programme"] == "lyft"
    assert report["period"] == {"from": "2024-03-01", "to": "2024-05-31"}
    assert report["targets"] == {"participants": 4, "hours": 10, "hours_per_participant": 2.5}
    assert report["attainment"] == {
        "participants": 5 / 4,
        "hours": 0.875,
        "hours_per_participant": 0.7,
    }
    assert report["participants"]["total"] == 5


def test_a_programme_counts_only_its_organisations_and_departments(
    session: Session, world: Scenario
) -> None:
    d = world.departments
    lyft = programme(
        session,
        *PERIOD,
        organisations=[world.organisations[N]],
        departments=[d["Stadsmuseet"]],
    )
    report = build_esf_report(session, programme=lyft)
    assert [(r["department"], r["participants"]) for r in report["by_department"]] == [
        ("Stadsmuseet", 1),
        ("Konsthallen", 1),
    ]
    assert report["hours"]["total"] == 4.5
    assert report["targets"] == {"participants": None, "hours": None, "hours_per_participant": None}
    assert report["attainment"] == {
        "participants": None,
        "hours": None,
        "hours_per_participant": None,
    }


def test_a_built_summary_gives_the_same_report_as_the_completions(
    session: Session, world: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    lyft = programme(session, *PERIOD, organisations=list(world.organisations.values()), **TARGETS)
    reader = Coverage(organisation_ids=frozenset({world.organisations[K].id}))
    library = world.departments["Stadsbiblioteket"].id
    raw = [
        build_esf_report(session, programme=lyft),
        build_esf_report(session, programme=lyft, coverage=reader),
        build_esf_report(session, programme=lyft, department_id=library),
    ]
    rebuild_programme(session, lyft)
    assert lyft.summary_built_at is not None

    def no_raw_reads(*args: object) -> None:
        raise AssertionError("a built summary is read, not the completions")

    monkeypatch.setattr("lms.reports.esf_report.raw_aggregates", no_raw_reads)
    assert build_esf_report(session, programme=lyft) == raw[0]
    assert build_esf_report(session, programme=lyft, coverage=reader) == raw[1]
    assert build_esf_report(session, programme=lyft, department_id=library) == raw[2]
    assert raw[2]["hours"] == {"total": 3.75, "per_participant": 1.875}


def test_a_narrower_period_of_a_built_programme_reads_the_completions(
    session: Session, world: Scenario
) -> None:
    lyft = programme(session, *PERIOD, organisations=list(world.organisations.values()))
    rebuild_programme(session, lyft)
    april = build_esf_report(
        session, programme=lyft, date_from=date(2024, 4, 1), date_to=date(2024, 4, 30)
    )
    assert april["period"] == {"from": "2024-04-01", "to": "2024-04-30"}
    assert april["hours"]["total"] == 4.5


def test_the_reader_coverage_limits_the_report(session: Session, world: Scenario) -> None:
    nacka = Coverage(organisation_ids=frozenset({world.organisations[N].id}))
    report = period_report(session, coverage=nacka)
    assert report["participants"] == {
        "total": 1,
        "women": 1,
        "men": 0,
        "non_binary": 0,
        "not_stated": 0,
    }
    assert report["hours"]["total"] == 3.0
    assert [r["organisation"] for r in report["by_organisation"]] == [N]


def test_a_department_filter_limits_the_report_and_is_named(
    session: Session, world: Scenario
) -> None:
    library = world.departments["Stadsbiblioteket"]
    report = period_report(session, department_id=library.id)
    assert report["department_filter"] == {
        "id": library.id,
        "organisation": K,
        "department": "Stadsbiblioteket",
    }
    assert report["participants"]["total"] == 2
    assert report["hours"] == {"total": 3.75, "per_participant": 1.875}
    assert report["by_source"] == {
        "catalogue": 1.75,
        "attendance": 2.0,
        "import": 0.0,
        "external": 0.0,
    }


def test_a_department_outside_the_reader_coverage_counts_nothing(
    session: Session, world: Scenario
) -> None:
    nacka = Coverage(organisation_ids=frozenset({world.organisations[N].id}))
    library = world.departments["Stadsbiblioteket"]
    report = period_report(session, coverage=nacka, department_id=library.id)
    assert report["participants"]["total"] == 0
    assert report["hours"] == {"total": 0.0, "per_participant": None}
    assert [m["hours"] for m in report["by_month"]] == [0.0, 0.0, 0.0]


def test_an_unknown_department_is_not_found(session: Session, world: Scenario) -> None:
    with pytest.raises(NotFound):
        period_report(session, department_id=999_999)


def test_a_period_ending_before_it_starts_is_refused_with_a_message(session: Session) -> None:
    with pytest.raises(InvalidPeriod) as refused:
        build_esf_report(session, date_from=date(2024, 5, 1), date_to=date(2024, 4, 30))
    assert isinstance(refused.value, DomainError) and str(refused.value)


def test_a_report_needs_a_programme_or_both_dates(session: Session) -> None:
    with pytest.raises(ValueError, match="programme or both dates"):
        build_esf_report(session)
    with pytest.raises(ValueError):
        build_esf_report(session, date_from=date(2024, 1, 1))


def test_dates_narrow_a_programme_only_within_its_period(session: Session, world: Scenario) -> None:
    lyft = programme(session, *PERIOD, organisations=list(world.organisations.values()))
    may = build_esf_report(session, programme=lyft, date_from=date(2024, 5, 1))
    assert may["period"] == {"from": "2024-05-01", "to": "2024-05-31"}
    assert may["hours"]["total"] == 1.75
    with pytest.raises(InvalidPeriod):
        build_esf_report(session, programme=lyft, date_to=date(2024, 6, 30))


def test_the_filter_holds_every_coverage(session: Session, world: Scenario) -> None:
    lyft = programme(session, *PERIOD, organisations=[world.organisations[K]])
    reader = Coverage(organisation_ids=frozenset({world.organisations[K].id}))
    found = esf_filter_for(programme=lyft, coverage=reader, department_id=7)
    assert (found.date_from, found.date_to) == PERIOD
    assert found.coverages == (
        programme_coverage(lyft),
        reader,
        Coverage(department_ids=frozenset({7})),
    )
    esf_filter, aggregates = load_aggregates(session, programme=lyft)
    assert esf_filter.coverages == (programme_coverage(lyft),)
    assert {row.title for row in aggregates.activities} == {"Nano", "Verkstad", "E-kurs", ""}


def test_the_report_runs_a_constant_number_of_statements(
    session: Session, world: Scenario, count_queries
) -> None:
    library = world.departments["Stadsbiblioteket"].id
    session.expire_all()
    with count_queries() as counter:
        period_report(session, department_id=library)
    assert counter.count == 1 + 12, "\n\n".join(
        counter.statements
    )  # the department, the aggregates
