"""The start page as people see it: sections with the right content, hidden when empty."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale, format_date
from sqlalchemy import update
from sqlalchemy.orm import Session

from lms.accounts.models import Department, User
from lms.core.access import Permission
from lms.core.time import local_date, utcnow
from lms.recommend import views as recommend_views
from lms.recommend.explain import describe_all
from lms.recommend.models import RecommendationState
from tests import factories
from tests.assessment import factories as af
from tests.catalog import factories as cf
from tests.catalog.conftest import sv
from tests.catalog.factories import role_with_expectations
from tests.home import factories as hf
from tests.recommend import display as rd
from tests.transfer import factories as tf


def page_text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def section(html: str, heading_id: str) -> str:
    """The HTML of the section labelled by `heading_id` ("" when it is not on the page)."""
    match = re.search(
        rf'<(section|nav|article)[^>]*aria-labelledby="{heading_id}".*?</\1>', html, re.S
    )
    return match.group(0) if match else ""


@pytest.fixture
def library(session: Session) -> Department:
    return factories.department(session, "Stadsbiblioteket")


@pytest.fixture
def museum(session: Session) -> Department:
    return factories.department(session, "Stadsmuseet")


def log_in(session: Session, auth: object, person: User) -> None:
    session.commit()
    assert auth.login(person.email).status_code == 302  # type: ignore[attr-defined]


@pytest.fixture
def fatima(session: Session, auth: object, library: Department) -> User:
    person = factories.user(session, name="Fatima Ahmed", dept=library)
    log_in(session, auth, person)
    return person


def test_the_start_page_needs_a_sign_in(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_new_person_sees_a_first_step_and_no_empty_sections(
    client: FlaskClient, fatima: User
) -> None:
    html = client.get("/").get_data(as_text=True)
    text = page_text(html)
    assert sv("Hello, %(name)s!", name="Fatima") in text
    first_step = section(html, "first-step-heading")
    assert 'href="/katalog/"' in first_step and 'href="/kalender/"' in first_step
    assert 'href="/teman"' in first_step
    for heading in (
        "upcoming-heading",
        "tasks-heading",
        "continue-heading",
        "saved-heading",
        "department-heading",
        "recommended-heading",
        "tools-heading",
    ):
        assert section(html, heading) == "", heading
    assert "theme-feature" not in html
    assert 'href="/sparat/"' in section(html, "find-heading")


def test_the_recommended_slot_renders_nothing_while_empty(
    client: FlaskClient, session: Session, fatima: User
) -> None:
    hf.save(session, fatima, cf.activity(session, title="Sparad"))
    session.commit()
    html = client.get("/").get_data(as_text=True)
    assert sv("Recommended for you") not in html and "recommended" not in html


def test_this_months_theme_and_a_coming_one_are_shown_with_links(
    client: FlaskClient, session: Session, fatima: User
) -> None:
    today = local_date(utcnow())
    current = hf.theme(
        session,
        year=today.year,
        month=today.month,
        title="Informationssäkerhet",
        intro="Hela månaden handlar om hur vi skyddar information. " * 12,
    )
    year, month = hf.month_after(today)
    coming = hf.theme(session, year=year, month=month, title="AI i vardagen")
    session.commit()
    html = client.get("/").get_data(as_text=True)
    text = page_text(html)
    assert sv("Theme of the month") in text and "Informationssäkerhet" in text
    with force_locale("sv"):
        month_name = format_date(hf.date(year, month, 1), "LLLL")
    assert sv("Coming theme: %(month)s", month=month_name) in text
    assert f'href="/teman/{current.year_month}/{current.slug}"' in html
    assert f'href="/teman/{coming.year_month}/{coming.slug}"' in html
    assert 'href="/teman"' in html
    intro = re.search(r'class="theme-feature-intro">([^<]*)<', html)
    assert intro is not None and intro.group(1).startswith("Hela månaden")
    assert len(unescape(intro.group(1))) <= 265 and intro.group(1).endswith("…")


def test_a_theme_for_another_department_is_not_shown(
    client: FlaskClient, session: Session, fatima: User, museum: Department
) -> None:
    today = local_date(utcnow())
    hf.theme(
        session, year=today.year, month=today.month, title="Museets tema", departments=[museum]
    )
    session.commit()
    html = client.get("/").get_data(as_text=True)
    assert "Museets tema" not in html and "theme-feature" not in html


def test_the_department_section_lists_what_is_aimed_at_it(
    client: FlaskClient, session: Session, fatima: User, library: Department
) -> None:
    cf.activity(session, title="Bokcirkel på nätet", departments=[library], minutes=45)
    cf.activity(session, title="För hela förvaltningen")
    session.commit()
    html = client.get("/").get_data(as_text=True)
    part = section(html, "department-heading")
    assert "Bokcirkel på nätet" in part and "45 min" in part
    assert "För hela förvaltningen" not in part
    assert f'href="/avdelningar/{library.id}"' in part
    assert "Stadsbiblioteket" in page_text(part)


def test_upcoming_sessions_tasks_continue_and_saved_are_shown_with_their_links(
    client: FlaskClient, session: Session, fatima: User
) -> None:
    workshop = cf.activity(session, title="Workshop i AI", format="workshop")
    occurrence = cf.session_of(session, workshop, starts_in=timedelta(days=3), place="Sal 4")
    hf.book(session, fatima, occurrence)
    waiting = cf.activity(session, title="Fullbokad föreläsning", format="lecture")
    hf.book(
        session, fatima, cf.session_of(session, waiting, starts_in=timedelta(days=4)), "waitlisted"
    )
    nano = cf.activity(session, title="Starka lösenord")
    tf.task(session, nano, phase="follow_up", title="Byt ett lösenord")
    tf.complete(session, fatima, nano, at=utcnow() - timedelta(days=20))
    course = cf.activity(session, title="Kurs i källkritik", format="course", slug="kallkritik")
    cf.lesson(session, course, title="Vem står bakom?", slug="vem")
    cf.lesson(session, course, title="Bilder som ljuger", slug="bilder")
    hf.enrol(session, fatima, course, current_lesson=course.lessons[1])
    hf.save(session, fatima, cf.activity(session, title="Fota med mobilen"))
    session.commit()
    html = client.get("/").get_data(as_text=True)

    upcoming = section(html, "upcoming-heading")
    assert "Workshop i AI" in upcoming and "Sal 4" in upcoming
    assert "Fullbokad föreläsning" in upcoming and sv("On the waitlist") in upcoming
    assert f'href="/katalog/{workshop.slug}"' in upcoming

    tasks = section(html, "tasks-heading")
    assert "Byt ett lösenord" in tasks and "Starka lösenord" in tasks
    assert sv("Overdue: %(n)d", n=1) in tasks and 'href="/uppgifter/"' in tasks

    resume = section(html, "continue-heading")
    assert 'href="/katalog/kallkritik/bilder"' in resume
    assert "Bilder som ljuger" in page_text(resume)

    saved = section(html, "saved-heading")
    assert "Fota med mobilen" in saved and 'href="/sparat/"' in saved
    assert sv("Show all saved (%(n)d)", n=1) in page_text(saved)
    assert section(html, "first-step-heading") == ""


def test_role_shortcuts_follow_the_permissions(
    client: FlaskClient, session: Session, auth: object, library: Department
) -> None:
    boss = factories.user(
        session, name="Anders Lund", permissions=Permission.MANAGER | Permission.ADMIN, dept=library
    )
    factories.user(session, manager=boss)
    log_in(session, auth, boss)
    tools = section(client.get("/").get_data(as_text=True), "tools-heading")
    assert sv("See your team (%(n)d direct reports)", n=1) in page_text(tools)
    assert 'href="/admin/users"' in tools
    assert 'href="/redigera/"' not in tools


# --- "Rekommenderat för dig" -------------------------------------------------------------------


def test_the_best_five_recommendations_are_shown_with_reasons_and_a_not_interested_button(
    app: Flask, client: FlaskClient, session: Session, fatima: User
) -> None:
    activities = [
        cf.activity(session, title=f"Rekommendation nummer {n}", minutes=10 + n) for n in range(7)
    ]
    reasons = [[rd.gap(), rd.theme(), rd.short(), rd.short(5)]] + [[rd.theme()]] * 6
    rd.cache(session, fatima, activities, reasons=reasons)
    session.commit()
    html = client.get("/").get_data(as_text=True)
    part = section(html, "recommended-heading")
    assert sv("Recommended for you") in page_text(part)
    shown = re.findall(r'class="home-item-title" href="/katalog/([^"]+)"', part)
    assert shown == [a.slug for a in activities[:5]]
    with app.test_request_context():
        first_three = describe_all(reasons[0][:3])
        fourth = describe_all(reasons[0][3:])[0]
    text = page_text(part)
    for reason in first_three:
        assert reason in text
    assert fourth not in text  # the start page keeps it short: three reasons at most
    assert sv("Nano-lesson") in text and sv("Basic") in text and "10 min" in text
    for activity in activities[:5]:
        action = f"/rekommenderat/{activity.slug}/inte-intresserad"
        form = re.search(rf'<form method="post" action="{action}".*?</form>', part, re.S)
        assert form is not None
        assert 'name="csrf_token"' in form.group(0) and 'name="next" value="/"' in form.group(0)
        assert f'visually-hidden">: {activity.title}</span>' in form.group(0)
    assert 'href="/rekommenderat/"' in part and sv("All recommendations") in text


def test_marking_on_the_start_page_comes_back_to_it_with_an_undo(
    client: FlaskClient, session: Session, auth: object, fatima: User
) -> None:
    first = cf.activity(session, title="Skydda personuppgifter i vardagen")
    second = cf.activity(session, title="Känn igen nätfiske", slug="natfiske")
    rd.cache(session, fatima, [first, second])
    session.commit()
    token = auth.csrf_token()  # type: ignore[attr-defined]
    response = client.post(
        "/rekommenderat/natfiske/inte-intresserad", data={"csrf_token": token, "next": "/"}
    )
    assert response.status_code == 302 and response.headers["Location"] == "/"
    html = client.get("/").get_data(as_text=True)
    text = page_text(html)
    assert sv("We will not recommend “%(title)s” again.", title="Känn igen nätfiske") in text
    assert 'form="recommend-undo" formaction="/rekommenderat/natfiske/visa-igen"' in html
    undo = re.search(r'<form id="recommend-undo".*?</form>', html, re.S)
    assert undo is not None and 'name="csrf_token"' in undo.group(0)
    assert 'name="next" value="/"' in undo.group(0)
    part = section(html, "recommended-heading")
    assert "Skydda personuppgifter i vardagen" in part and "Känn igen nätfiske" not in part


def test_a_stale_cache_is_refreshed_when_the_start_page_opens(
    app: Flask, client: FlaskClient, session: Session, auth: object, library: Department
) -> None:
    """The real engine: a gap in 4.2 with motivation 5 puts a 4.2 activity first."""
    role = role_with_expectations(session, "Bibliotekarie", {"4.2": 3, "1.1": 3, "2.1": 3})
    person = factories.user(session, name="Fatima Ahmed", dept=library, role=role)
    round_ = af.assessment_round(session, "Skattning våren 2026")
    af.assessment(session, person, round_, {"4.2": (1, 5), "1.1": (3, 4), "2.1": (3, 3)})
    cf.activity(session, title="Chatta med låntagare", competences={"2.1": 1.0})
    cf.activity(session, title="Skydda personuppgifter i vardagen", competences={"4.2": 1.0})
    log_in(session, auth, person)
    html = client.get("/").get_data(as_text=True)
    part = section(html, "recommended-heading")
    shown = re.findall(r'class="home-item-title"[^>]*>([^<]+)<', part)
    assert shown and shown[0] == "Skydda personuppgifter i vardagen"
    assert "4.2" in page_text(part) and "Skydda personuppgifter och integritet" in page_text(part)


def test_a_failing_refresh_does_not_take_the_start_page_down(
    client: FlaskClient, session: Session, fatima: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    activity = cf.activity(session, title="Från cachen")
    rd.cache(session, fatima, [activity])
    session.execute(
        update(RecommendationState)
        .where(RecommendationState.user_id == fatima.id)
        .values(stale_since=utcnow())
    )
    session.commit()

    def broken(*args: object, **kwargs: object) -> bool:
        raise RuntimeError("the engine broke")

    monkeypatch.setattr(recommend_views, "ensure_fresh", broken)
    response = client.get("/")
    assert response.status_code == 200
    assert "Från cachen" in section(response.get_data(as_text=True), "recommended-heading")
