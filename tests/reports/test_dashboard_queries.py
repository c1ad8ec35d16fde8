"""The dashboard's SQL aggregates over a programme's counted completions in the reader's scope:
feedback per activity, Transfer of Training figures (the same as lms.transfer.figures gives),
the Stockholm date of a timestamp in SQL, and the whole dashboard in a fixed number of queries."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import literal, select

from lms.core.time import start_of_local_day
from lms.progress.models import Completion
from lms.reports.dashboard_queries import (
    StockholmDate,
    get_transfer_figures,
    list_feedback,
    load_dashboard,
)
from lms.reports.esf_data import Coverage
from lms.reports.esf_report import build_esf_report
from lms.transfer.figures import list_transfer_figures
from lms.transfer.rules import TransferFigures
from tests.reports.dashboard_builders import World, feedback, world
from tests.reports.esf_builders import complete, person, programme, unit
from tests.transfer import factories as tf

TODAY = date(2026, 11, 21)


@pytest.fixture
def w(session) -> World:
    return world(session)


def _kultur(w: World) -> Coverage:
    return Coverage(organisation_ids=frozenset({w.kultur.id}))


def _museum(w: World) -> Coverage:
    return Coverage(department_ids=frozenset({w.depts["Stadsmuseet"].id}))


def test_feedback_per_activity_most_responses_first(session, w) -> None:
    rows = list_feedback(session, w.programme, None)
    assert [(r.title, r.responses, r.rating_sum, r.will_apply) for r in rows] == [
        ("Verkstad", 3, 12, 2),
        ("Nano", 2, 6, 1),
    ]
    assert rows[0].slug == w.workshop.slug and rows[0].format == "workshop"
    assert rows[0].mean_rating == 4.0 and rows[0].will_apply_share == pytest.approx(2 / 3)


def test_feedback_follows_the_readers_scope(session, w) -> None:
    kultur = list_feedback(session, w.programme, _kultur(w))
    assert [(r.title, r.responses, r.rating_sum) for r in kultur] == [
        ("Verkstad", 2, 9),
        ("Nano", 1, 2),
    ]
    assert list_feedback(session, w.programme, _museum(w)) == []


def test_feedback_outside_the_period_or_the_programme_is_left_out(session, w) -> None:
    stranger = person(session, w.kultur, w.depts["Stadsbiblioteket"])
    before = complete(session, stranger, date(2023, 12, 31), 30, activity=w.nano)
    feedback(session, before, 1, False)
    other, _ = unit(session, "Solna stad", "Kulturskolan")
    outsider = person(session, other, None)
    feedback(session, complete(session, outsider, date(2024, 5, 1), 30, activity=w.nano), 1, False)
    rows = list_feedback(session, w.programme, None)
    assert sum(r.responses for r in rows) == 5


def test_transfer_figures_of_the_whole_programme(session, w) -> None:
    figures = get_transfer_figures(session, w.programme, None, today=TODAY)
    assert figures == TransferFigures(
        participants=8,
        with_pre_tasks=5,
        pre_in_time=2,
        follow_ups_decided=5,
        follow_ups_on_time=2,
        overdue=1,
    )


def test_transfer_figures_equal_lms_transfer_figures_over_the_same_completions(session, w) -> None:
    """The programme covers everyone here, so the transfer package's own figures over the
    programme's period are the reference."""
    theirs = sum(
        list_transfer_figures(
            session,
            today=TODAY,
            start=start_of_local_day(w.programme.starts_on),
            end=start_of_local_day(w.programme.ends_on + timedelta(days=1)),
        ).values(),
        TransferFigures(),
    )
    assert get_transfer_figures(session, w.programme, None, today=TODAY) == theirs
    # Before any follow-up was due nothing is decided or overdue, in both.
    early = date(2024, 2, 20)
    theirs_early = sum(
        list_transfer_figures(
            session,
            today=early,
            start=start_of_local_day(w.programme.starts_on),
            end=start_of_local_day(w.programme.ends_on + timedelta(days=1)),
        ).values(),
        TransferFigures(),
    )
    mine_early = get_transfer_figures(session, w.programme, None, today=early)
    assert mine_early == theirs_early
    assert mine_early.overdue == 0


def test_transfer_figures_follow_the_readers_scope(session, w) -> None:
    kultur = get_transfer_figures(session, w.programme, _kultur(w), today=TODAY)
    assert kultur == TransferFigures(6, 4, 2, 4, 1, 1)
    museum = get_transfer_figures(session, w.programme, _museum(w), today=TODAY)
    assert museum == TransferFigures(2, 1, 0, 1, 0, 0)
    assert museum.pre_task_rate == 0 and museum.follow_up_rate == 0


def test_an_optional_task_counts_only_when_none_is_required(session, w) -> None:
    tf.task(session, w.workshop, title="Frivillig", required=False, position=1)
    # Anna and Bo never answered the optional one: their pre-tasks are still in time.
    assert get_transfer_figures(session, w.programme, None, today=TODAY).pre_in_time == 2


def test_imports_and_external_training_have_no_transfer_figures(session, w) -> None:
    empty = programme(
        session, date(2024, 5, 1), date(2024, 8, 31), organisations=[w.kultur, w.nacka], slug="x"
    )
    # Bo's import (May) and Fia's external training (August) only; Dan's and Fia's June
    # workshops are followed.
    figures = get_transfer_figures(session, empty, None, today=TODAY)
    assert figures.participants == 2


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2024, 2, 24, 22, 30, tzinfo=UTC), date(2024, 2, 24)),  # 23:30 CET
        (datetime(2024, 2, 24, 23, 30, tzinfo=UTC), date(2024, 2, 25)),  # 00:30 CET
        (datetime(2024, 6, 15, 21, 30, tzinfo=UTC), date(2024, 6, 15)),  # 23:30 CEST
        (datetime(2024, 6, 15, 22, 30, tzinfo=UTC), date(2024, 6, 16)),  # 00:30 CEST
        (datetime(2024, 3, 31, 0, 59, tzinfo=UTC), date(2024, 3, 31)),  # 01:59 CET
        (datetime(2024, 3, 31, 22, 0, tzinfo=UTC), date(2024, 4, 1)),  # 00:00 CEST
        (datetime(2024, 10, 27, 0, 59, tzinfo=UTC), date(2024, 10, 27)),  # 02:59 CEST
        (datetime(2024, 10, 27, 22, 59, tzinfo=UTC), date(2024, 10, 27)),  # 23:59 CET
        (datetime(2024, 10, 27, 23, 0, tzinfo=UTC), date(2024, 10, 28)),  # 00:00 CET
        (datetime(2023, 12, 31, 23, 0, tzinfo=UTC), date(2024, 1, 1)),
    ],
)
def test_stockholm_date_in_sql(session, moment, expected) -> None:
    value = session.scalar(select(StockholmDate(literal(moment, Completion.completed_at.type))))
    assert value == expected or value == expected.isoformat()


def test_the_dashboard_report_is_the_esf_report(session, w) -> None:
    for coverage in (None, _kultur(w), _museum(w)):
        data = load_dashboard(session, w.programme, coverage, today=TODAY)
        assert data.report == build_esf_report(session, programme=w.programme, coverage=coverage)
    data = load_dashboard(session, w.programme, None, today=TODAY)
    assert data.report["participants"]["total"] == 7
    assert data.report["hours"]["total"] == 10
    assert data.slugs == {w.workshop.id: w.workshop.slug, w.nano.id: w.nano.slug}
    by_people, by_hours = data.top_activities
    assert [r.activity_id for r in by_people] == [w.workshop.id, w.nano.id]
    assert [r.activity_id for r in by_hours] == [w.workshop.id, w.nano.id]
    assert data.outside is not None and data.outside.activity_id is None


def test_the_dashboard_of_an_organisation_coordinator(session, w) -> None:
    data = load_dashboard(session, w.programme, _kultur(w), today=TODAY)
    assert data.report["participants"]["total"] == 5
    assert data.report["hours"]["total"] == 7
    museum = load_dashboard(session, w.programme, _museum(w), today=TODAY)
    assert museum.report["participants"]["total"] == 2
    assert museum.report["hours"]["total"] == 1.5
