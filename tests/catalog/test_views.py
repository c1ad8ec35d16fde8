"""Catalogue pages: wiring, permissions, what a learner sees, and the knowledge check."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html import unescape

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from lms.accounts.models import User
from lms.catalog.models import Activity
from lms.core.access import Permission
from tests import factories
from tests.catalog import factories as cf
from tests.catalog.conftest import sv


def page_text(response: object) -> str:
    html = response.get_data(as_text=True)  # type: ignore[attr-defined]
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


@pytest.fixture
def employee(session: Session, auth: object) -> User:
    person = factories.user(session)
    session.commit()
    assert auth.login(person.email).status_code == 302  # type: ignore[attr-defined]
    return person


@pytest.fixture
def phishing(session: Session) -> Activity:
    owner = factories.user(session, name="Johan Ek", permissions=Permission.COURSE_OWNER)
    activity = cf.activity(
        session,
        slug="kanna-igen-natfiske",
        title="Känn igen nätfiske",
        summary="De vanligaste tecknen på nätfiske.",
        body="## Så kan det se ut\n\nEtt mejl från *IT-supporten*.\n" + cf.QUIZ,
        minutes=6,
        competences={"4.1": 1.0, "4.2": 0.3},
        subjects=["digital-arbetsplats"],
        owners=[owner],
    )
    session.commit()
    return activity


def test_catalogue_lists_published_activities_with_their_facts(
    client: FlaskClient, session: Session, employee: User, phishing: Activity
) -> None:
    cf.activity(session, slug="hemligt", title="Hemligt utkast", status="draft")
    session.commit()
    response = client.get("/katalog/")
    assert response.status_code == 200
    text = page_text(response)
    assert "Känn igen nätfiske" in text and "De vanligaste tecknen på nätfiske." in text
    assert "Hemligt utkast" not in text
    assert sv("Nano-lesson") in text and sv("Basic") in text and "6 min" in text
    assert "4.1 4.2" in text
    assert 'href="/katalog/kanna-igen-natfiske"' in response.get_data(as_text=True)


def test_filters_are_reflected_in_the_form_and_the_pager(
    client: FlaskClient, session: Session, employee: User
) -> None:
    for n in range(26):
        cf.activity(session, slug=f"kort-{n}", title=f"Säkerhet {n:02d}", minutes=5)
    session.commit()
    response = client.get("/katalog/?q=säkerhet&area=4&duration=short&upcoming=&format=x")
    html = response.get_data(as_text=True)
    assert 'value="säkerhet"' in html
    assert re.search(r'<option selected value="4">|<option value="4" selected>', html)
    assert re.search(r'<option selected value="short">|<option value="short" selected>', html)
    assert 'name="upcoming"' in html and "checked" not in html.split('name="upcoming"')[1][:40]
    next_link = re.search(r'rel="next" href="([^"]+)"', html)
    assert next_link is not None
    link = unescape(next_link.group(1))
    for part in ("page=2", "area=4", "duration=short", "q=s%C3%A4kerhet"):
        assert part in link
    assert "format=" not in link  # an unknown value is ignored, not carried along
    assert client.get(link).status_code == 200


def test_catalogue_shows_a_message_when_nothing_matches(
    client: FlaskClient, employee: User
) -> None:
    text = page_text(client.get("/katalog/?q=zzzzqqq"))
    assert sv("No activities match the search and filters.") in text


def test_activity_page_shows_what_a_learner_needs(
    client: FlaskClient, session: Session, employee: User, phishing: Activity
) -> None:
    workshop = cf.activity(
        session,
        slug="workshop",
        title="Workshop om nätfiske",
        format="workshop",
        delivery="physical",
        level="fördjupning",
        minutes=90,
        departments=[employee.department],  # type: ignore[list-item]
    )
    cf.session_of(
        session,
        workshop,
        starts_at=datetime(2030, 1, 15, 7, 30, tzinfo=UTC),
        place="Stadsbiblioteket, sal 2",
        capacity=18,
    )
    cf.pre_task(session, workshop, "Läs rutinen för incidentrapportering", required=True)
    cf.pre_task(session, workshop, "Titta på filmen", required=False, position=1)
    session.commit()
    text = page_text(client.get("/katalog/workshop"))
    assert "Workshop om nätfiske" in text
    assert "1 h 30 min" in text or sv("%(h)d h %(m)d min", h=1, m=30) in text
    assert sv("Workshop") in text and sv("In-depth") in text and sv("On site") in text
    assert "tisdag 15 januari 2030, 08:30–09:30" in text  # Stockholm time, Swedish date
    assert "Stadsbiblioteket, sal 2" in text and "18 18" in text  # capacity and free seats
    assert "Läs rutinen för incidentrapportering" in text and "Titta på filmen" in text
    assert employee.department.name in text  # type: ignore[union-attr]

    text = page_text(client.get("/katalog/kanna-igen-natfiske"))
    assert "Johan Ek" in text and "Digital arbetsplats" in text
    assert f"4.1 Skydda enheter ({sv('mainly')})" in text
    assert f"4.2 Skydda personuppgifter och integritet ({sv('partly')})" in text
    assert "Så kan det se ut" in text and "IT-supporten" in text


def test_quiz_shows_no_answers_before_submitting(
    client: FlaskClient, employee: User, phishing: Activity
) -> None:
    html = client.get("/katalog/kanna-igen-natfiske").get_data(as_text=True)
    assert "Vad gör du med ett misstänkt mejl?" in html
    assert 'type="radio"' in html and 'type="checkbox"' in html
    for secret in ("correct", "Rätt – rapportera", "angriparen vill", "klassiskt knep"):
        assert secret not in html
    assert 'action="/larande/kanna-igen-natfiske/kunskapskoll#kunskapskoll"' in html


def test_wrong_answers_get_feedback_and_right_answers_pass(
    client: FlaskClient, auth: object, employee: User, phishing: Activity
) -> None:
    token = auth.csrf_token("/katalog/kanna-igen-natfiske")  # type: ignore[attr-defined]
    url = "/katalog/kanna-igen-natfiske/kunskapskoll"
    wrong = client.post(url, data={"csrf_token": token, "q0": "0", "q1": ["0", "1"]})
    assert wrong.status_code == 200
    text = page_text(wrong)
    assert "Det är precis vad angriparen vill." in text
    assert sv("Not passed yet") in text and sv("Not right") in text
    assert (
        sv(
            "You answered %(right)d of %(total)d questions correctly (%(percent)d %%).",
            right=0,
            total=2,
            percent=0,
        )
        in text
    )
    assert re.search(r'id="q0-0" name="q0" value="0" checked', wrong.get_data(as_text=True))

    right = client.post(url, data={"csrf_token": token, "q0": "1", "q1": ["0", "2"]})
    text = page_text(right)
    assert sv("Passed – well done!") in text
    assert "Rätt – rapportera och radera." in text
    assert (
        sv(
            "You answered %(right)d of %(total)d questions correctly (%(percent)d %%).",
            right=2,
            total=2,
            percent=100,
        )
        in text
    )


def test_grading_needs_a_csrf_token(
    client: FlaskClient, employee: User, phishing: Activity
) -> None:
    assert (
        client.post("/katalog/kanna-igen-natfiske/kunskapskoll", data={"q0": "1"}).status_code
        == 400
    )


def test_opening_the_grading_address_leads_back_to_the_activity(
    client: FlaskClient, employee: User, phishing: Activity
) -> None:
    response = client.get("/katalog/kanna-igen-natfiske/kunskapskoll")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/katalog/kanna-igen-natfiske")


def test_drafts_are_404_for_employees_and_shown_to_their_owner_with_a_banner(
    client: FlaskClient, session: Session, auth: object
) -> None:
    owner = factories.user(session, permissions=Permission.COURSE_OWNER)
    reader = factories.user(session)
    cf.activity(session, slug="utkast", title="Mitt utkast", status="draft", owners=[owner])
    cf.activity(session, slug="arkiverad", title="Gammal", status="archived", owners=[owner])
    session.commit()
    auth.login(reader.email)  # type: ignore[attr-defined]
    assert client.get("/katalog/utkast").status_code == 404
    assert client.get("/katalog/arkiverad").status_code == 404
    assert client.get("/katalog/finns-inte").status_code == 404
    auth.logout()  # type: ignore[attr-defined]
    auth.login(owner.email)  # type: ignore[attr-defined]
    response = client.get("/katalog/utkast")
    assert response.status_code == 200
    assert sv("Draft") in page_text(response)
    assert sv("Only its editors can see this page; it is not shown in the catalogue.") in page_text(
        response
    )
    assert sv("Archived") in page_text(client.get("/katalog/arkiverad"))


def test_course_path_and_lesson_navigation(
    client: FlaskClient, session: Session, employee: User
) -> None:
    course = cf.activity(
        session, slug="office", title="Office-grunder", format="course", minutes=60
    )
    cf.lesson(session, course, title="Word", slug="word", minutes=15, body="Formatmallar.")
    cf.lesson(session, course, title="Excel", slug="excel", minutes=20, body="Tabeller." + cf.QUIZ)
    cf.lesson(session, course, title="Teams", slug="teams", minutes=10, required=False)
    session.commit()
    html = client.get("/katalog/office").get_data(as_text=True)
    positions = [
        html.index(f'href="/katalog/office/{slug}"') for slug in ("word", "excel", "teams")
    ]
    assert positions == sorted(positions)
    text = page_text(client.get("/katalog/office"))
    assert "Word 15 min" in text and sv("Optional") in text

    lesson = client.get("/katalog/office/excel").get_data(as_text=True)
    assert "Tabeller." in lesson
    assert re.search(r'rel="prev" href="/katalog/office/word"', lesson)
    assert re.search(r'rel="next" href="/katalog/office/teams"', lesson)
    assert 'action="/larande/office/excel/kunskapskoll#kunskapskoll"' in lesson
    assert "angriparen vill" not in lesson
    first = client.get("/katalog/office/word").get_data(as_text=True)
    assert 'rel="prev"' not in first
    assert client.get("/katalog/office/saknas").status_code == 404


def test_lesson_quiz_is_graded_on_the_server(
    client: FlaskClient, session: Session, auth: object, employee: User, csrf_off: None
) -> None:
    course = cf.activity(session, slug="kurs", title="Kurs", format="course", minutes=30)
    cf.lesson(session, course, title="Lektion", slug="lektion", body=cf.QUIZ)
    session.commit()
    text = page_text(
        client.post("/katalog/kurs/lektion/kunskapskoll", data={"q0": "1", "q1": ["0", "2"]})
    )
    assert sv("Passed – well done!") in text


def test_lessons_exist_only_for_courses(
    client: FlaskClient, employee: User, phishing: Activity
) -> None:
    assert client.get("/katalog/kanna-igen-natfiske/nagot").status_code == 404


def test_main_navigation_links_to_catalogue_and_framework(
    client: FlaskClient, employee: User
) -> None:
    html = client.get("/katalog/").get_data(as_text=True)
    assert re.search(r'href="/katalog/"\s+aria-current="page"', html)
    assert 'href="/kompetens/"' in html
