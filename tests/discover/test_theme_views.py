"""The theme month page and the theme archive: what a learner sees, progress, 404s, access."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from lms.accounts.models import User
from lms.catalog.models import ThemeStatus
from lms.catalog.schedule import sync_seats
from lms.core.time import STOCKHOLM, local_date, utcnow
from lms.progress import bookings
from tests import factories
from tests.catalog import factories as cf
from tests.catalog.conftest import sv
from tests.discover import helpers
from tests.discover.conftest import page_text

URL = "/teman/2026-10/informationssakerhet"


def test_theme_month_shows_header_and_published_activities_in_curated_order(
    client: FlaskClient, session: Session, employee: User
) -> None:
    second = cf.activity(session, slug="tvastegsverifiering", title="Tvåstegsverifiering")
    first = cf.activity(session, slug="kanna-igen-natfiske", title="Känn igen nätfiske")
    draft = cf.activity(session, slug="utkast", title="Hemligt utkast", status="draft")
    archived = cf.activity(session, slug="gammal", title="Gammal kurs", status="archived")
    banner = helpers.upload(session)
    helpers.theme(
        session,
        activities=[first, draft, second, archived],
        banner=banner,
        banner_alt="Ett hänglås på ett tangentbord",
    )
    session.commit()

    response = client.get(URL)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    text = page_text(response)
    assert '<h1 class="page-title theme-title">Informationssäkerhet</h1>' in html
    assert "oktober 2026" in text
    assert "<p>I oktober lär vi oss att skydda information.</p>" in html
    assert f'src="/uploads/{banner.name}" alt="Ett hänglås på ett tangentbord"' in html
    assert text.index("Känn igen nätfiske") < text.index("Tvåstegsverifiering")
    assert "Hemligt utkast" not in text and "Gammal kurs" not in text
    assert 'href="/katalog/kanna-igen-natfiske"' in html


def test_theme_month_lists_next_sessions_in_stockholm_time_with_free_seats(
    client: FlaskClient, session: Session, employee: User
) -> None:
    workshop = cf.activity(session, slug="krisovning", title="Krisövning", format="workshop")
    start = (utcnow() + timedelta(days=10)).replace(hour=7, minute=30, second=0, microsecond=0)
    occurrence = cf.session_of(session, workshop, starts_at=start, capacity=3)
    sync_seats(session, occurrence)
    cf.session_of(session, workshop, starts_at=start - timedelta(days=20))  # past
    cf.session_of(session, workshop, starts_at=start + timedelta(days=1), cancelled=True)
    for _ in range(2):
        bookings.book_session(session, factories.user(session), occurrence, now=utcnow())
    helpers.theme(session, activities=[workshop])
    session.commit()

    text = page_text(client.get(URL))
    local = start.astimezone(STOCKHOLM)
    assert f"{local:%H:%M}–" in text  # 09:30 in summer time, 08:30 in winter
    assert f"{start:%H:%M}–" not in text or local.utcoffset() == timedelta(0)
    assert "1 seat left" in text or "1 plats kvar" in text
    assert text.count("seat left") + text.count("plats kvar") + text.count("platser kvar") == 1


def test_full_session_says_waitlist_and_self_paced_says_anytime(
    client: FlaskClient, session: Session, employee: User
) -> None:
    workshop = cf.activity(session, slug="fullt", title="Fullsatt workshop", format="workshop")
    occurrence = cf.session_of(session, workshop, capacity=1)
    sync_seats(session, occurrence)
    bookings.book_session(session, factories.user(session), occurrence, now=utcnow())
    lesson = cf.activity(session, slug="nano", title="Nanolektion", format="nanolesson")
    empty = cf.activity(session, slug="tom", title="Utan tillfällen", format="lecture")
    helpers.theme(session, activities=[workshop, lesson, empty])
    session.commit()
    text = page_text(client.get(URL))
    assert sv("Full – waitlist") in text
    assert sv("Take it whenever it suits you.") in text
    assert sv("No sessions are planned right now.") in text


@pytest.fixture
def small_minimum(app: Flask) -> Any:
    settings = app.config["LMS"]
    app.config["LMS"] = settings.with_overrides(min_group_size=3)
    yield 3
    app.config["LMS"] = settings


def test_progress_counts_active_people_with_a_completion_of_a_curated_activity(
    client: FlaskClient, session: Session, auth: Any, small_minimum: int
) -> None:
    library = factories.department(session, "Stadsbiblioteket")
    museum = factories.department(session, "Museer och konst")
    viewer = factories.user(session, dept=library)
    colleagues = [factories.user(session, dept=library) for _ in range(3)]
    gone = factories.user(session, dept=library)
    gone.is_active = False
    curated = cf.activity(session, slug="natfiske", title="Nätfiske")
    other = cf.activity(session, slug="annat", title="Något annat")
    museum_people = [factories.user(session, dept=museum) for _ in range(2)]
    outsider_org = factories.organisation(session, "Nacka kommun")
    outsider = factories.user(
        session, dept=factories.department(session, "Bibliotek", outsider_org)
    )
    helpers.theme(session, activities=[curated])
    helpers.completion(session, colleagues[0], curated)
    helpers.completion(session, colleagues[1], other)  # not in the theme
    helpers.completion(session, gone, curated)  # inactive: not counted
    helpers.completion(session, museum_people[0], curated)
    helpers.completion(session, outsider, curated)  # another organisation
    session.commit()
    auth.login(viewer.email)

    text = page_text(client.get(URL))
    # Department: viewer + 3 colleagues active = 4, one with a curated completion.
    assert "1 of 4 in your department" in text or "1 av 4 i din avdelning" in text
    # Organisation (Kulturförvaltningen): 4 + 2 museum = 6 active, two with completions.
    assert "2 of 6 in the organisation" in text or "2 av 6 i" in text
    assert sv("Too few people to show") not in text


def test_progress_is_suppressed_for_a_small_department_but_not_the_organisation(
    client: FlaskClient, session: Session, auth: Any, small_minimum: int
) -> None:
    tiny = factories.department(session, "Kommunikationsstaben")
    big = factories.department(session, "Kulturskolan")
    viewer = factories.user(session, dept=tiny)
    factories.user(session, dept=tiny)  # two in the staff: below 3
    for _ in range(3):
        factories.user(session, dept=big)
    curated = cf.activity(session, slug="natfiske", title="Nätfiske")
    helpers.completion(session, viewer, curated)
    helpers.theme(session, activities=[curated])
    session.commit()
    auth.login(viewer.email)

    text = page_text(client.get(URL))
    assert text.count(sv("Too few people to show")) == 1
    assert "1 of 5 in the organisation" in text or "1 av 5 i" in text
    assert "in your department have" not in text and "i din avdelning har" not in text


def test_progress_at_the_default_minimum_suppresses_a_department_of_four(
    client: FlaskClient, session: Session, auth: Any
) -> None:
    dept = factories.department(session, "Liljevalchs konsthall")
    people = [factories.user(session, dept=dept) for _ in range(4)]
    helpers.theme(session, activities=[cf.activity(session)])
    session.commit()
    auth.login(people[0].email)
    text = page_text(client.get(URL))
    assert text.count(sv("Too few people to show")) == 2  # department 4 and organisation 4


def test_viewer_sees_which_activities_they_have_done(
    client: FlaskClient, session: Session, employee: User
) -> None:
    done = cf.activity(session, slug="gjord", title="Gjord")
    todo = cf.activity(session, slug="kvar", title="Kvar")
    helpers.completion(session, employee, done)
    helpers.theme(session, activities=[done, todo])
    session.commit()
    html = client.get(URL).get_data(as_text=True)
    assert html.count("theme-item is-done") == 1
    assert html.index("theme-item is-done") < html.index("/katalog/kvar")


def test_targeted_theme_month_is_readable_by_everyone_and_says_whom_it_is_for(
    client: FlaskClient, session: Session, employee: User
) -> None:
    school = factories.department(session, "Kulturskolan")
    helpers.theme(session, departments=[school], activities=[cf.activity(session)])
    session.commit()
    response = client.get(URL)
    assert response.status_code == 200
    text = page_text(response)
    assert f"{sv('Aimed at:')} Kulturskolan" in text


def test_untargeted_theme_month_names_no_audience(
    client: FlaskClient, session: Session, employee: User
) -> None:
    helpers.theme(session)
    session.commit()
    response = client.get(URL)
    text = page_text(response)
    assert sv("Aimed at:") not in text
    assert sv("No activities have been added to this theme month yet.") in text
    assert "theme-banner" not in response.get_data(as_text=True)  # no banner, no empty image


@pytest.mark.parametrize("status", [ThemeStatus.DRAFT, ThemeStatus.SCHEDULED])
def test_unpublished_theme_month_is_not_found_even_for_coordinators(
    client: FlaskClient, session: Session, auth: Any, status: str
) -> None:
    from lms.core.access import Permission

    coordinator = factories.user(session, permissions=Permission.COORDINATOR)
    helpers.theme(session, status=status)
    session.commit()
    auth.login(coordinator.email)
    assert client.get(URL).status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "/teman/2026-10/finns-inte",
        "/teman/2026-11/informationssakerhet",
        "/teman/2026-13/informationssakerhet",
        "/teman/2026-1/informationssakerhet",
        "/teman/oktober/informationssakerhet",
        "/teman/10-2026/informationssakerhet",
    ],
)
def test_unknown_slug_month_or_bad_year_month_is_not_found(
    client: FlaskClient, session: Session, employee: User, url: str
) -> None:
    helpers.theme(session)
    session.commit()
    assert client.get(URL).status_code == 200
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("url", [URL, "/teman"])
def test_anonymous_visitors_are_sent_to_log_in(
    client: FlaskClient, session: Session, url: str
) -> None:
    helpers.theme(session)
    session.commit()
    response = client.get(url)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_themes_index_shows_current_and_coming_then_the_archive_newest_first(
    client: FlaskClient, session: Session, employee: User
) -> None:
    today = local_date(utcnow())
    this_year, this_month = today.year, today.month

    def shift(months: int) -> tuple[int, int]:
        index = this_year * 12 + this_month - 1 + months
        return index // 12, index % 12 + 1

    for months, slug, title in [
        (-13, "forra-aret", "Förra årets tema"),
        (-1, "forra-manaden", "Förra månadens tema"),
        (0, "nu", "Månadens tema"),
        (2, "snart", "Kommande tema"),
    ]:
        year, month = shift(months)
        activities = [cf.activity(session, title=f"{title} aktivitet")] if months == 0 else []
        helpers.theme(
            session, year=year, month=month, slug=slug, title=title, activities=activities
        )
    year, month = shift(1)
    helpers.theme(
        session, year=year, month=month, slug="utkast", title="Utkasttema", status="draft"
    )
    archived_activity = cf.activity(session, status="archived")
    helpers.curate(session, _find(session, "nu"), [archived_activity.id])
    session.commit()

    response = client.get("/teman")
    assert response.status_code == 200
    text = page_text(response)
    order = [text.index(t) for t in ("Månadens tema", "Kommande tema", sv("Earlier theme months"))]
    assert order == sorted(order)
    archive = text[text.index(sv("Earlier theme months")) :]
    assert archive.index("Förra månadens tema") < archive.index("Förra årets tema")
    assert "Utkasttema" not in text
    assert "1 activity" in text or "1 aktivitet" in text  # the archived one is not counted
    html = response.get_data(as_text=True)
    year, month = shift(0)
    assert f'href="/teman/{year:04d}-{month:02d}/nu"' in html


def _find(session: Session, slug: str) -> Any:
    from sqlalchemy import select

    from lms.catalog.models import ThemeMonth

    return session.scalar(select(ThemeMonth).where(ThemeMonth.slug == slug))
