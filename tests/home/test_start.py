"""The start page's reads: each section holds the right rows, in the right order, or nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from lms.accounts.models import Department, User
from lms.catalog.models import Activity, ActivitySession
from lms.core.access import Permission
from lms.core.time import local_date
from lms.home.start import build_start_page
from lms.progress.models import LessonProgress
from tests import factories
from tests.catalog import factories as cf
from tests.home import factories as hf
from tests.recommend import display as rd
from tests.transfer import factories as tf

NOW = datetime(2026, 10, 14, 10, 0, tzinfo=UTC)
TODAY = local_date(NOW)


@pytest.fixture
def library(session: Session) -> Department:
    return factories.department(session, "Stadsbiblioteket")


@pytest.fixture
def museum(session: Session) -> Department:
    return factories.department(session, "Stadsmuseet")


@pytest.fixture
def fatima(session: Session, library: Department) -> User:
    return factories.user(session, name="Fatima Ahmed", dept=library)


def test_a_new_person_gets_empty_sections_and_a_first_step(session: Session, fatima: User) -> None:
    cf.activity(session, title="För alla")  # in the catalogue, but not the person's own
    page = build_start_page(session, fatima, now=NOW)
    assert page.themes == [] and page.for_department == []
    assert page.upcoming.bookings == [] and page.upcoming.total == 0
    assert page.tasks.to_do == 0 and page.tasks.next == []
    assert page.in_progress == [] and page.saved == [] and page.saved_count == 0
    assert page.recommended == [] and page.team_size == 0
    assert not page.has_own_learning


# --- theme months ----------------------------------------------------------------------------


def test_this_months_theme_leads_and_an_early_published_coming_one_follows(
    session: Session, fatima: User
) -> None:
    hf.theme(session, year=2026, month=9, title="September: gammalt")
    hf.theme(session, year=2026, month=11, title="November: AI")
    hf.theme(session, year=2026, month=10, title="Oktober: säkerhet")
    hf.theme(session, year=2026, month=12, title="December: utkast", status="draft")
    page = build_start_page(session, fatima, now=NOW)
    assert [(c.theme.title, c.is_current) for c in page.themes] == [
        ("Oktober: säkerhet", True),
        ("November: AI", False),
    ]
    assert page.themes[1].first_day.month == 11


def test_a_coming_theme_alone_is_not_called_this_months(session: Session, fatima: User) -> None:
    hf.theme(session, year=2026, month=12, title="December: AI")
    [card] = build_start_page(session, fatima, now=NOW).themes
    assert card.theme.title == "December: AI" and not card.is_current


def test_a_theme_aimed_at_a_department_shows_there_only(
    session: Session, fatima: User, library: Department, museum: Department
) -> None:
    hf.theme(session, year=2026, month=10, title="Museets månad", departments=[museum])
    curator = factories.user(session, name="Kurt Kurator", dept=museum)
    assert [c.theme.title for c in build_start_page(session, curator, now=NOW).themes] == [
        "Museets månad"
    ]
    assert build_start_page(session, fatima, now=NOW).themes == []
    hf.theme(session, year=2026, month=10, title="Bibliotekets månad", departments=[library])
    assert [c.theme.title for c in build_start_page(session, fatima, now=NOW).themes] == [
        "Bibliotekets månad"
    ]


# --- for your department ---------------------------------------------------------------------


def test_for_the_department_lists_only_published_activities_aimed_at_it_newest_first(
    session: Session, fatima: User, library: Department, museum: Department
) -> None:
    for n in range(6):
        activity = cf.activity(session, title=f"Bibliotek {n}", departments=[library])
        activity.published_at = NOW - timedelta(days=10 - n)
    cf.activity(session, title="För alla")
    cf.activity(session, title="Museet", departments=[museum])
    cf.activity(session, title="Bibliotekets utkast", departments=[library], status="draft")
    session.flush()
    page = build_start_page(session, fatima, now=NOW)
    assert page.department is not None and page.department.name == "Stadsbiblioteket"
    assert [e.activity.title for e in page.for_department] == [
        "Bibliotek 5",
        "Bibliotek 4",
        "Bibliotek 3",
        "Bibliotek 2",
    ]


def test_someone_without_a_department_gets_no_department_section(session: Session) -> None:
    person = factories.user(session)
    person.department = None
    person.department_id = None
    session.flush()
    page = build_start_page(session, person, now=NOW)
    assert page.department is None and page.for_department == []


# --- upcoming sessions -----------------------------------------------------------------------


def test_upcoming_sessions_are_the_persons_live_bookings_soonest_first(
    session: Session, fatima: User
) -> None:
    other = factories.user(session)

    def occurrence(title: str, days: float, cancelled: bool = False) -> ActivitySession:
        workshop = cf.activity(session, title=title, format="workshop")
        return cf.session_of(
            session, workshop, starts_in=timedelta(days=days), now=NOW, cancelled=cancelled
        )

    later = occurrence("Senare", 9)
    soon = occurrence("Snart", 2)
    waiting = occurrence("Väntar", 5)
    hf.book(session, fatima, later)
    hf.book(session, fatima, soon)
    hf.book(session, fatima, waiting, "waitlisted")
    hf.book(session, fatima, occurrence("Avbokad", 3), "cancelled")
    hf.book(session, fatima, occurrence("Inställd", 3, cancelled=True))
    hf.book(session, fatima, occurrence("Förbi", -2))
    hf.book(session, other, occurrence("Någon annans", 1))
    hf.book(session, fatima, occurrence("Långt bort", 30))
    page = build_start_page(session, fatima, now=NOW)
    assert [(b.session.activity.title, b.status) for b in page.upcoming.bookings] == [
        ("Snart", "booked"),
        ("Väntar", "waitlisted"),
        ("Senare", "booked"),
    ]
    assert page.upcoming.total == 4
    assert page.has_own_learning


# --- tasks -----------------------------------------------------------------------------------


def test_tasks_are_counted_by_state_and_the_most_urgent_come_first(
    session: Session, fatima: User
) -> None:
    def with_follow_up(title: str, days_ago: int) -> None:
        activity = cf.activity(session, title=title)
        tf.task(session, activity, phase="follow_up", title=f"Uppföljning: {title}")
        tf.complete(session, fatima, activity, at=NOW - timedelta(days=days_ago))

    with_follow_up("Gammal", 20)  # due 14 days after: overdue
    with_follow_up("Ny", 1)
    with_follow_up("Nyare", 0)
    workshop = cf.activity(session, title="Workshop", format="workshop")
    tf.task(session, workshop, title="Inför workshoppen")
    hf.book(session, fatima, cf.session_of(session, workshop, now=NOW))
    page = build_start_page(session, fatima, now=NOW)
    assert page.tasks.counts["overdue"] == 1
    assert page.tasks.counts["due"] == 2
    assert page.tasks.counts["prepare"] == 1
    assert page.tasks.to_do == 4
    assert [item.task.title for item in page.tasks.next] == [
        "Uppföljning: Gammal",
        "Inför workshoppen",
        "Uppföljning: Ny",
    ]


# --- continue where you left off -------------------------------------------------------------


def _course(session: Session, title: str, lessons: int = 3) -> Activity:
    course = cf.activity(session, title=title, format="course")
    for n in range(1, lessons + 1):
        cf.lesson(session, course, title=f"{title}: lektion {n}", slug=f"lektion-{n}")
    return course


def test_started_activities_come_most_recently_active_first_with_the_next_lesson(
    session: Session, fatima: User
) -> None:
    fresh = _course(session, "Ny kurs")
    going = _course(session, "Pågående kurs")
    nano = cf.activity(session, title="Nanolektion")
    hf.enrol(session, fatima, fresh, started_at=NOW - timedelta(days=5))
    hf.enrol(
        session,
        fatima,
        going,
        started_at=NOW - timedelta(days=20),
        current_lesson=going.lessons[1],
    )
    session.add(
        LessonProgress(
            user_id=fatima.id,
            lesson_id=going.lessons[0].id,
            started_at=NOW - timedelta(days=20),
            completed_at=NOW - timedelta(days=1),
        )
    )
    hf.enrol(session, fatima, nano, started_at=NOW - timedelta(days=3))
    hf.enrol(session, fatima, cf.activity(session, title="Klar"), status="completed")
    hf.enrol(session, fatima, cf.activity(session, title="Bara anmäld"), status="enrolled")
    hf.enrol(session, fatima, cf.activity(session, title="Utkast", status="draft"))
    session.flush()
    page = build_start_page(session, fatima, now=NOW)
    items = [(i.activity.title, i.next_lesson_slug) for i in page.in_progress]
    assert items == [
        ("Pågående kurs", "lektion-2"),
        ("Nanolektion", None),
        ("Ny kurs", "lektion-1"),
    ]
    going_item = page.in_progress[0]
    assert (going_item.next_lesson_number, going_item.lesson_count) == (2, 3)
    assert going_item.next_lesson_title == "Pågående kurs: lektion 2"
    assert page.in_progress[2].next_lesson_number == 1


def test_only_three_started_activities_are_shown(session: Session, fatima: User) -> None:
    for n in range(5):
        activity = cf.activity(session, title=f"Påbörjad {n}")
        hf.enrol(session, fatima, activity, started_at=NOW - timedelta(days=n))
    page = build_start_page(session, fatima, now=NOW)
    assert [i.activity.title for i in page.in_progress] == [
        "Påbörjad 0",
        "Påbörjad 1",
        "Påbörjad 2",
    ]


# --- saved and roles -------------------------------------------------------------------------


def test_the_newest_saved_come_first_and_are_counted(session: Session, fatima: User) -> None:
    for n in range(5):
        hf.save(
            session, fatima, cf.activity(session, title=f"Sparad {n}"), at=NOW - timedelta(hours=n)
        )
    archived = cf.activity(session, title="Arkiverad")
    hf.save(session, fatima, archived, at=NOW)
    archived.status = "archived"
    session.flush()
    page = build_start_page(session, fatima, now=NOW)
    assert [e.activity.title for e in page.saved] == ["Sparad 0", "Sparad 1", "Sparad 2"]
    assert page.saved_count == 5


def test_a_manager_sees_the_size_of_the_team(session: Session, library: Department) -> None:
    boss = factories.user(session, permissions=Permission.MANAGER, dept=library)
    factories.user(session, manager=boss)
    factories.user(session, manager=boss)
    gone = factories.user(session, manager=boss)
    gone.is_active = False
    session.flush()
    assert build_start_page(session, boss, now=NOW).team_size == 2


# --- recommendations ---------------------------------------------------------------------------


def test_the_recommendations_are_the_best_five_still_right_to_show(
    session: Session, fatima: User
) -> None:
    activities = [cf.activity(session, title=f"Förslag {n}") for n in range(7)]
    activities[1].status = "archived"  # since the cache was computed
    rd.cache(session, fatima, activities, now=NOW)
    page = build_start_page(session, fatima, now=NOW)
    assert [item.activity.title for item in page.recommended] == [
        "Förslag 0",
        "Förslag 2",
        "Förslag 3",
        "Förslag 4",
        "Förslag 5",
    ]
    assert [r.kind for r in page.recommended[0].reasons] == ["gap", "short"]
