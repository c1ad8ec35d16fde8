"""Subject, competence area and department entrances, their indexes and the catalogue's links."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from lms.accounts.models import User
from tests import factories
from tests.catalog import factories as cf
from tests.catalog.conftest import sv
from tests.discover import helpers
from tests.discover.conftest import page_text


def _headings(text: str) -> list[int]:
    # The last mention is the level's heading (the first is the ladder's step at the top).
    return [text.rindex(f"{sv('Step %(n)d', n=n)} {sv(label)}") for n, label in LADDER]


LADDER = [(1, "Basic"), (2, "In-depth"), (3, "Advanced")]


def test_subject_page_groups_published_activities_by_level_in_ladder_order(
    client: FlaskClient, session: Session, employee: User
) -> None:
    subject = ["digital-arbetsplats"]
    cf.activity(session, title="Teams på djupet", level="spets", subjects=subject)
    cf.activity(session, title="Teams för nybörjare", level="grund", subjects=subject)
    cf.activity(session, title="Delade kalendrar", level="fördjupning", subjects=subject)
    cf.activity(session, title="Arkiv i Teams", level="grund", subjects=subject, minutes=75)
    cf.activity(session, title="Utkast om Teams", level="grund", subjects=subject, status="draft")
    cf.activity(
        session, title="Gammal Teamskurs", level="grund", subjects=subject, status="archived"
    )
    cf.activity(session, title="Annat ämne", level="grund", subjects=["digital-innovation"])
    session.commit()

    response = client.get("/amnen/digital-arbetsplats")
    assert response.status_code == 200
    text = page_text(response)
    assert "Digital arbetsplats" in text
    basic, deep, advanced = _headings(text)
    assert basic < text.index("Arkiv i Teams") < text.index("Teams för nybörjare") < deep
    assert deep < text.index("Delade kalendrar") < advanced < text.index("Teams på djupet")
    for hidden in ("Utkast om Teams", "Gammal Teamskurs", "Annat ämne"):
        assert hidden not in text
    assert (
        sv("%(h)d h %(m)d min", h=1, m=15) in text and sv("Nano-lesson") in text
    )  # the card's duration and format
    assert (
        sv("Start here. No prior knowledge needed: the basics you can use at work tomorrow.")
        in text
    )
    assert 'href="/katalog/?subject=digital-arbetsplats"' in response.get_data(as_text=True)


def test_an_empty_level_says_so_briefly(
    client: FlaskClient, session: Session, employee: User
) -> None:
    cf.activity(session, title="Bara grund", level="grund", subjects=["digital-innovation"])
    session.commit()
    text = page_text(client.get("/amnen/digital-innovation"))
    assert text.count(sv("Nothing at this level yet.")) == 2


def test_subject_without_published_activities_says_so(
    client: FlaskClient, session: Session, employee: User
) -> None:
    cf.framework(session)
    cf.activity(session, title="Utkast", subjects=["digital-innovation"], status="draft")
    session.commit()
    text = page_text(client.get("/amnen/digital-innovation"))
    assert sv("There are no published activities in this subject yet.") in text
    assert sv("Step %(n)d", n=1) not in text


def test_area_page_lists_its_competences_and_activities_by_level(
    client: FlaskClient, session: Session, employee: User
) -> None:
    cf.activity(session, title="Lösenord", level="grund", competences={"4.1": 1.0})
    cf.activity(session, title="Dataskydd", level="spets", competences={"2.1": 1.0, "4.2": 0.5})
    cf.activity(session, title="Kommunikation", level="grund", competences={"2.1": 1.0})
    cf.activity(session, title="Utkast", level="grund", competences={"4.1": 1.0}, status="draft")
    session.commit()

    response = client.get("/omraden/4")
    assert response.status_code == 200
    text = page_text(response)
    html = response.get_data(as_text=True)
    assert "Digital säkerhet" in text
    assert "4.1 Skydda enheter" in text and "4.2 Skydda personuppgifter och integritet" in text
    assert 'href="/kompetens/#competence-4.2-heading"' in html
    basic, _, advanced = _headings(text)
    assert basic < text.index("Lösenord") < advanced < text.index("Dataskydd")
    assert "Kommunikation" not in text and "Utkast" not in text


def test_department_page_shows_what_is_aimed_at_the_department(
    client: FlaskClient, session: Session, employee: User
) -> None:
    school = factories.department(session, "Kulturskolan")
    library = factories.department(session, "Stadsbiblioteket")
    ours = cf.activity(
        session, title="AI i kulturskolan", level="fördjupning", departments=[school]
    )
    cf.activity(session, title="Öppen för alla", level="grund")
    cf.activity(session, title="Bara biblioteket", departments=[library])
    cf.activity(session, title="Utkast för skolan", departments=[school], status="draft")
    cf.session_of(session, ours)
    cf.session_of(session, ours, cancelled=True)
    helpers.theme(session, title="Musik och AI", slug="musik-ai", departments=[school])
    helpers.theme(session, title="Allas tema", slug="alla")
    helpers.theme(
        session, title="Skolans utkast", slug="utkast", departments=[school], status="draft"
    )
    session.commit()

    response = client.get(f"/avdelningar/{school.id}")
    assert response.status_code == 200
    text = page_text(response)
    assert "Kulturskolan" in text and "Kulturförvaltningen" in text
    assert "AI i kulturskolan" in text
    for hidden in ("Öppen för alla", "Bara biblioteket", "Utkast för skolan"):
        assert hidden not in text
    assert "Musik och AI" in text
    assert "Allas tema" not in text and "Skolans utkast" not in text
    assert "1 " + sv("coming session of these activities") in text or "1 coming session" in text
    html = response.get_data(as_text=True)
    assert f'href="/katalog/?department={school.id}"' in html


@pytest.mark.parametrize(
    "url", ["/amnen/finns-inte", "/omraden/9", "/omraden/4.1", "/avdelningar/99999"]
)
def test_unknown_subject_area_or_department_is_not_found(
    client: FlaskClient, session: Session, employee: User, url: str
) -> None:
    cf.framework(session)
    session.commit()
    assert client.get(url).status_code == 404


@pytest.mark.parametrize(
    "url", ["/amnen", "/amnen/digital-arbetsplats", "/omraden", "/omraden/4", "/avdelningar"]
)
def test_entrances_need_a_login(client: FlaskClient, session: Session, url: str) -> None:
    cf.framework(session)
    session.commit()
    response = client.get(url)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_indexes_count_published_activities(
    client: FlaskClient, session: Session, employee: User
) -> None:
    school = factories.department(session, "Kulturskolan")
    cf.activity(session, subjects=["digital-arbetsplats"], competences={"4.1": 1.0, "4.2": 1.0})
    cf.activity(session, subjects=["digital-arbetsplats"], departments=[school])
    cf.activity(session, subjects=["digital-arbetsplats"], status="draft", departments=[school])
    session.commit()

    subjects = page_text(client.get("/amnen"))
    assert "Digital arbetsplats 2 " in subjects and "Digital innovation 0 " in subjects
    areas = page_text(client.get("/omraden"))
    assert "4 Digital säkerhet 2 " in areas  # two activities, however many of its competences
    assert "1 Informations- och datakunnighet 0 " in areas
    departments = client.get("/avdelningar")
    text = page_text(departments)
    assert "Kulturskolan 1 " in text
    assert f'href="/avdelningar/{employee.department_id}"' in departments.get_data(as_text=True)


def test_catalogue_offers_the_ways_in_and_links_an_active_filter_to_its_entrance(
    client: FlaskClient, session: Session, employee: User
) -> None:
    cf.activity(session, subjects=["digital-arbetsplats"])
    session.commit()
    html = client.get("/katalog/").get_data(as_text=True)
    assert 'href="/amnen/digital-arbetsplats"' in html and 'href="/omraden/4"' in html
    assert 'href="/teman"' in html
    assert f'href="/avdelningar/{employee.department_id}"' in html
    assert "filter-entrances" not in html

    filtered = client.get(
        f"/katalog/?subject=digital-innovation&area=2&department={employee.department_id}"
    ).get_data(as_text=True)
    entrances = filtered[filtered.index("filter-entrances") :]
    for link in (
        "/amnen/digital-innovation",
        "/omraden/2",
        f"/avdelningar/{employee.department_id}",
    ):
        assert f'href="{link}"' in entrances
    mine = client.get("/katalog/?department=mine").get_data(as_text=True)
    assert f'href="/avdelningar/{employee.department_id}"' in mine[mine.index("filter-entrances") :]


def test_tampered_catalogue_filter_gets_no_entrance_link(
    client: FlaskClient, session: Session, employee: User, auth: Any
) -> None:
    cf.framework(session)
    session.commit()
    html = client.get("/katalog/?subject=<script>&area=99").get_data(as_text=True)
    assert "filter-entrances" not in html


def test_a_crowded_level_shows_the_first_thirty_and_links_to_the_rest(
    client: FlaskClient, session: Session, employee: User
) -> None:
    helpers.bulk_activities(
        session,
        60,
        prefix="manga",
        levels=("grund", "grund", "spets"),
        subject="digital-innovation",
    )
    session.commit()
    response = client.get("/amnen/digital-innovation")
    html = response.get_data(as_text=True)
    text = page_text(response)
    assert html.count('class="card activity-card"') == 30 + 20
    assert sv("See all %(num)d at this level in the catalogue", num=40) in text
    assert html.count('class="level-more"') == 1
    assert 'href="/katalog/?level=grund&amp;subject=digital-innovation"' in html
