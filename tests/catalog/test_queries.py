"""The catalogue's filters, alone and combined, its order, paging and the next session."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from lms.accounts.models import User
from lms.catalog.queries import (
    CatalogFilter,
    Duration,
    get_lesson_page,
    get_visible_activity,
    list_catalog_page,
    list_catalog_slugs,
    stored_questions,
)
from lms.core.access import Permission
from tests import factories
from tests.catalog import factories as cf


@pytest.fixture
def people(session: Session) -> dict[str, User]:
    library = factories.department(session, "Stadsbiblioteket")
    museum = factories.department(session, "Stadsmuseet")
    return {
        "librarian": factories.user(session, dept=library),
        "curator": factories.user(session, dept=museum),
    }


@pytest.fixture
def catalogue(session: Session, people: dict[str, User]) -> None:
    library = people["librarian"].department
    museum = people["curator"].department
    cf.activity(
        session,
        slug="natfiske",
        title="Känn igen nätfiske",
        minutes=6,
        competences={"4.1": 1.0, "4.2": 0.3},
        subjects=["digital-arbetsplats"],
    )
    cf.activity(
        session,
        slug="gdpr-bibliotek",
        title="Personuppgifter på biblioteket",
        format="workshop",
        delivery="physical",
        level="fördjupning",
        minutes=90,
        competences={"4.2": 1.0},
        departments=[library],
    )
    cf.activity(
        session,
        slug="3d-museum",
        title="3D-modellering av museiföremål",
        format="course",
        level="spets",
        minutes=45,
        competences={"3.1": 1.0},
        subjects=["digital-innovation"],
        departments=[museum],
    )
    cf.activity(
        session,
        slug="teams",
        title="Teams i vardagen",
        format="lecture",
        delivery="hybrid",
        minutes=15,
        competences={"2.1": 1.0},
    )
    cf.activity(session, slug="utkast", title="Utkast om säkerhet", status="draft")


def slugs(session: Session, user: User | None = None, **filters: object) -> list[str]:
    return list_catalog_slugs(session, CatalogFilter(**filters), user)  # type: ignore[arg-type]


def test_without_filters_every_published_activity_in_swedish_order(
    session: Session, catalogue: None
) -> None:
    assert slugs(session) == ["3d-museum", "natfiske", "gdpr-bibliotek", "teams"]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"area": "4"}, ["natfiske", "gdpr-bibliotek"]),
        ({"competence": "4.2"}, ["natfiske", "gdpr-bibliotek"]),
        ({"competence": "4.1"}, ["natfiske"]),
        ({"subject": "digital-innovation"}, ["3d-museum"]),
        ({"department_id": "museum"}, ["3d-museum", "natfiske", "teams"]),
        ({"format": "workshop"}, ["gdpr-bibliotek"]),
        ({"level": "spets"}, ["3d-museum"]),
        ({"delivery": "hybrid"}, ["teams"]),
        ({"duration": Duration.SHORT}, ["natfiske", "teams"]),
        ({"duration": Duration.MEDIUM}, ["3d-museum"]),
        ({"duration": Duration.LONG}, ["gdpr-bibliotek"]),
        ({"text": "personuppgifter"}, ["gdpr-bibliotek"]),
    ],
)
def test_each_filter_alone(
    session: Session,
    catalogue: None,
    people: dict[str, User],
    filters: dict[str, object],
    expected: list[str],
) -> None:
    if filters.get("department_id") == "museum":
        filters = {"department_id": people["curator"].department_id}
    assert slugs(session, **filters) == expected


def test_my_department_means_aimed_at_it_or_at_everyone(
    session: Session, catalogue: None, people: dict[str, User]
) -> None:
    assert slugs(session, people["librarian"], my_department=True) == [
        "natfiske",
        "gdpr-bibliotek",
        "teams",
    ]
    assert slugs(session, people["curator"], my_department=True) == [
        "3d-museum",
        "natfiske",
        "teams",
    ]


def test_filters_combine(session: Session, catalogue: None, people: dict[str, User]) -> None:
    assert slugs(session, area="4", duration=Duration.SHORT) == ["natfiske"]
    assert slugs(session, area="4", duration=Duration.LONG, format="workshop") == ["gdpr-bibliotek"]
    assert slugs(session, people["curator"], area="4", my_department=True, level="grund") == [
        "natfiske"
    ]
    assert slugs(session, competence="4.2", text="nätfiske", subject="digital-arbetsplats") == [
        "natfiske"
    ]
    assert slugs(session, area="4", delivery="hybrid") == []


def test_upcoming_sessions_filter_and_next_session_date(session: Session, catalogue: None) -> None:
    workshop = get_visible_activity(session, "gdpr-bibliotek", factories.user(session))
    assert workshop is not None
    cf.session_of(session, workshop, starts_in=timedelta(days=-3))  # past
    cf.session_of(session, workshop, starts_in=timedelta(days=2), cancelled=True)
    later = cf.session_of(session, workshop, starts_in=timedelta(days=20))
    nearer = cf.session_of(session, workshop, starts_in=timedelta(days=9))
    assert slugs(session, upcoming=True) == ["gdpr-bibliotek"]
    page = list_catalog_page(session, CatalogFilter(), None)
    next_at = {entry.activity.slug: entry.next_session_at for entry in page.items}
    assert next_at["gdpr-bibliotek"] == nearer.starts_at != later.starts_at
    assert next_at["natfiske"] is None


def test_pages_of_24(session: Session) -> None:
    for n in range(30):
        cf.activity(session, slug=f"a-{n:02d}", title=f"Aktivitet {n:02d}")
    first = list_catalog_page(session, CatalogFilter(), None, page=1)
    second = list_catalog_page(session, CatalogFilter(), None, page=2)
    assert (first.total, first.pages, len(first.items), len(second.items)) == (30, 2, 24, 6)
    assert second.items[0].activity.slug == "a-24"
    assert list_catalog_page(session, CatalogFilter(), None, page=99).page == 2


def test_drafts_are_visible_only_to_those_who_may_edit_them(
    session: Session, catalogue: None
) -> None:
    owner = factories.user(session, permissions=Permission.COURSE_OWNER)
    draft = cf.activity(
        session, slug="eget-utkast", title="Eget utkast", status="draft", owners=[owner]
    )
    assert get_visible_activity(session, draft.slug, factories.user(session)) is None
    other_owner = factories.user(session, permissions=Permission.COURSE_OWNER)
    assert get_visible_activity(session, draft.slug, other_owner) is None
    assert get_visible_activity(session, draft.slug, owner) is draft
    coordinator = factories.user(session, permissions=Permission.COORDINATOR)
    assert get_visible_activity(session, draft.slug, coordinator) is draft
    assert get_visible_activity(session, "finns-inte", coordinator) is None


def test_lesson_page_knows_its_neighbours(session: Session) -> None:
    course = cf.activity(session, slug="kurs", title="En kurs", format="course")
    for n in range(1, 4):
        cf.lesson(session, course, title=f"Lektion {n}", slug=f"lektion-{n}")
    session.refresh(course)
    middle = get_lesson_page(course, "lektion-2")
    assert middle is not None
    assert (middle.number, middle.total) == (2, 3)
    assert middle.previous is not None and middle.previous.slug == "lektion-1"
    assert middle.next is not None and middle.next.slug == "lektion-3"
    first = get_lesson_page(course, "lektion-1")
    assert first is not None and first.previous is None
    assert get_lesson_page(course, "saknas") is None


def test_stored_questions_round_trip(session: Session) -> None:
    activity = cf.activity(session, slug="quiz", body=cf.QUIZ)
    questions = stored_questions(activity.quiz)
    assert [q.kind for q in questions] == ["single", "multiple"]
    assert [o.correct for o in questions[1].options] == [True, False, True]
