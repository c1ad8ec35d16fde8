"""The recommendations page and the "inte intresserad" / "visa igen" buttons: wiring, access,
messages, filters and bad input."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.accounts.models import User
from lms.catalog.models import Activity
from lms.core.time import utcnow
from lms.recommend.data import Reason
from lms.recommend.explain import describe
from lms.recommend.models import NotInterested, Recommendation, RecommendationState
from tests import factories
from tests.catalog import factories as cf
from tests.catalog.conftest import sv
from tests.recommend.display import cache, gap, short, theme

LIST = "/rekommenderat/"


def text_of(response: Any) -> str:
    return html.unescape(response.get_data(as_text=True))


def words(app: Flask, reason: Reason) -> str:
    """The reason as the pages word it (Swedish, the default language)."""
    with app.test_request_context():
        return describe(reason)


def mark_url(activity: Activity) -> str:
    return f"/rekommenderat/{activity.slug}/inte-intresserad"


def undo_url(activity: Activity) -> str:
    return f"/rekommenderat/{activity.slug}/visa-igen"


@pytest.fixture
def fatima(session: Session, auth: Any) -> User:
    person = factories.user(session, name="Fatima Ahmed")
    session.commit()
    assert auth.login(person.email).status_code == 302
    return person


@pytest.fixture
def three(session: Session, fatima: User) -> list[Activity]:
    """Fatima's cache: three activities with different formats, levels and lengths."""
    made = [
        cf.activity(
            session,
            title="Skydda personuppgifter i vardagen",
            competences={"4.2": 1},
            minutes=10,
        ),
        cf.activity(
            session,
            title="Källkritik på djupet",
            competences={"1.2": 1},
            format="elearning",
            level="fördjupning",
            minutes=45,
        ),
        cf.activity(session, title="Säker digital arbetsplats", format="course", minutes=120),
    ]
    cache(session, fatima, made, reasons=[[gap(), short(10), theme()], [theme()], []])
    session.commit()
    return made


def marks(session: Session, user: User) -> list[int]:
    session.expire_all()
    return list(
        session.scalars(select(NotInterested.activity_id).where(NotInterested.user_id == user.id))
    )


# --- access ------------------------------------------------------------------------------------


def test_anonymous_people_are_sent_to_sign_in_and_nothing_changes(
    client: FlaskClient, session: Session, auth: Any
) -> None:
    person = factories.user(session, name="Fatima Ahmed")
    activity = cf.activity(session, title="Känn igen nätfiske", slug="natfiske")
    session.commit()
    response = client.get(LIST)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    token = auth.csrf_token()
    for url in (mark_url(activity), undo_url(activity)):
        response = client.post(url, data={"csrf_token": token})
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert marks(session, person) == []


def test_a_post_without_a_csrf_token_is_refused(
    client: FlaskClient, session: Session, fatima: User, three: list[Activity]
) -> None:
    response = client.post(mark_url(three[0]), data={"next": "/"})
    assert response.status_code == 400
    assert marks(session, fatima) == []
    session.add(NotInterested(user_id=fatima.id, activity_id=three[1].id))
    session.commit()
    assert client.post(undo_url(three[1]), data={}).status_code == 400
    assert marks(session, fatima) == [three[1].id]


def test_unknown_and_unpublished_slugs_are_404(
    client: FlaskClient, session: Session, auth: Any, fatima: User
) -> None:
    draft = cf.activity(session, title="Utkast om AI", slug="utkast-ai", status="draft")
    session.commit()
    token = auth.csrf_token()
    for url in (
        "/rekommenderat/finns-inte/inte-intresserad",
        "/rekommenderat/finns-inte/visa-igen",
        mark_url(draft),
        undo_url(draft),
        "/rekommenderat/%27%3B--/inte-intresserad",
    ):
        assert client.post(url, data={"csrf_token": token}).status_code == 404, url
    assert client.get(mark_url(draft)).status_code == 405
    assert marks(session, fatima) == []


# --- the list page -----------------------------------------------------------------------------


def test_the_list_shows_every_recommendation_with_all_its_reasons_and_facts(
    app: Flask, client: FlaskClient, fatima: User, three: list[Activity]
) -> None:
    response = client.get(LIST)
    assert response.status_code == 200
    page = text_of(response)
    assert sv("Recommended for you") in page
    positions = [page.index(a.title) for a in three]
    assert positions == sorted(positions)
    for reason in (gap(), short(10), theme()):
        assert words(app, reason) in page
    assert sv("E-learning") in page and sv("In-depth") in page and "45 min" in page
    assert sv("%(h)d h", h=2) in page
    assert "3 " in page and re.search(r'role="status"[^>]*>\s*3 ', page)
    for activity in three:
        assert f'action="{mark_url(activity)}"' in page
        assert f'{sv("Not interested")}<span class="visually-hidden">: {activity.title}' in page
    assert sv("Hidden activities") in page


def test_the_list_holds_up_to_twenty(client: FlaskClient, session: Session, fatima: User) -> None:
    activities = [cf.activity(session, title=f"Nanolektion nummer {n:02d}") for n in range(22)]
    cache(session, fatima, activities)
    session.commit()
    page = text_of(client.get(LIST))
    assert "Nanolektion nummer 19" in page and "Nanolektion nummer 20" not in page


def test_filters_narrow_the_list_and_odd_values_are_ignored(
    client: FlaskClient, fatima: User, three: list[Activity]
) -> None:
    page = text_of(client.get(LIST, query_string={"format": "elearning"}))
    assert "Källkritik på djupet" in page and "Skydda personuppgifter" not in page
    page = text_of(client.get(LIST, query_string={"area": "4", "minutes": "30"}))
    assert "Skydda personuppgifter i vardagen" in page
    assert "Källkritik på djupet" not in page and "Säker digital arbetsplats" not in page
    assert 'option selected value="4"' in page or 'selected value="4"' in page
    page = text_of(client.get(LIST, query_string={"level": "spets"}))
    assert sv("No recommendations match the filters.") in page
    assert sv("Clear the filters") in page
    for odd in (
        {"minutes": "abc"},
        {"minutes": "-5"},
        {"area": "<script>"},
        {"format": "x" * 5000},
        {"level": ["grund", "spets"]},
    ):
        response = client.get(LIST, query_string=odd)
        assert response.status_code == 200, odd
    page = text_of(client.get(LIST, query_string={"minutes": "abc", "area": "99"}))
    assert all(a in page for a in ("Skydda personuppgifter", "Källkritik", "Säker digital"))


def test_without_recommendations_the_page_points_to_the_self_assessment(
    client: FlaskClient, session: Session, fatima: User
) -> None:
    # A fresh, empty cache: the page must not recompute it (there is nothing to recommend).
    session.add(RecommendationState(user_id=fatima.id, refreshed_at=utcnow()))
    session.commit()
    page = text_of(client.get(LIST))
    assert sv("We have no recommendations for you right now.") in page
    assert 'href="/skattning/"' in page
    assert (
        sv(
            "You have not hidden any activity. Choose “Not interested” on a recommendation you do "
            "not want, and it will not come back."
        )
        in page
    )


def test_what_changed_since_the_refresh_is_not_shown(
    client: FlaskClient, session: Session, fatima: User, three: list[Activity]
) -> None:
    three[0].status = "archived"
    session.commit()
    page = text_of(client.get(LIST))
    assert "Skydda personuppgifter i vardagen" not in page
    assert "Källkritik på djupet" in page


# --- marking and undoing -------------------------------------------------------------------------


def test_marking_removes_remembers_and_offers_an_undo(
    client: FlaskClient, session: Session, auth: Any, fatima: User, three: list[Activity]
) -> None:
    token = auth.csrf_token()
    response = client.post(mark_url(three[1]), data={"csrf_token": token, "next": LIST})
    assert response.status_code == 302 and response.headers["Location"] == LIST
    assert marks(session, fatima) == [three[1].id]
    assert session.get(Recommendation, (fatima.id, three[1].id)) is None
    page = text_of(client.get(LIST))
    message = sv("We will not recommend “%(title)s” again.", title="Källkritik på djupet")
    assert message in page
    assert f'form="recommend-undo" formaction="{undo_url(three[1])}"' in page
    assert '<form id="recommend-undo" method="post"' in page
    listed = page.split(sv("Hidden activities"), 1)
    assert "Källkritik på djupet" not in listed[0].split(message)[1]  # gone from the list …
    assert "Källkritik på djupet" in listed[1]  # … and listed as hidden, with "Visa igen"
    assert f'action="{undo_url(three[1])}"' in listed[1]


def test_marking_twice_is_harmless(
    client: FlaskClient, session: Session, auth: Any, fatima: User, three: list[Activity]
) -> None:
    token = auth.csrf_token()
    for _ in range(2):
        response = client.post(mark_url(three[0]), data={"csrf_token": token, "next": "/"})
        assert response.status_code == 302 and response.headers["Location"] == "/"
    assert marks(session, fatima) == [three[0].id]


def test_undo_shows_the_activity_again_and_makes_the_cache_stale(
    client: FlaskClient, session: Session, auth: Any, fatima: User, three: list[Activity]
) -> None:
    token = auth.csrf_token()
    client.post(mark_url(three[0]), data={"csrf_token": token, "next": LIST})
    for _ in range(2):  # a double click on "Ångra" does no harm
        response = client.post(undo_url(three[0]), data={"csrf_token": token, "next": LIST})
        assert response.status_code == 302 and response.headers["Location"] == LIST
    assert marks(session, fatima) == []
    state = session.get(RecommendationState, fatima.id)
    assert state is not None and state.stale_since is not None
    page = text_of(client.get(LIST))
    assert sv("“%(title)s” may be recommended to you again.", title=three[0].title) in page


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
        "javascript:alert(1)",
        "%2F%2Fevil.example",
        "/%0d%0aSet-Cookie:x=1",
        "",
    ],
)
def test_only_local_next_paths_are_followed(
    client: FlaskClient,
    session: Session,
    auth: Any,
    fatima: User,
    three: list[Activity],
    target: str,
) -> None:
    token = auth.csrf_token()
    response = client.post(mark_url(three[2]), data={"csrf_token": token, "next": target})
    assert response.status_code == 302 and response.headers["Location"] == LIST
    response = client.post(undo_url(three[2]), data={"csrf_token": token, "next": target})
    assert response.status_code == 302 and response.headers["Location"] == LIST


def test_a_hidden_activity_that_was_archived_can_still_be_shown_again(
    client: FlaskClient, session: Session, auth: Any, fatima: User, three: list[Activity]
) -> None:
    token = auth.csrf_token()
    client.post(mark_url(three[0]), data={"csrf_token": token})
    three[0].status = "archived"
    session.commit()
    assert client.post(mark_url(three[0]), data={"csrf_token": token}).status_code == 404
    assert client.post(undo_url(three[0]), data={"csrf_token": token}).status_code == 302
    assert marks(session, fatima) == []


def test_nobody_sees_another_persons_recommendations_or_marks(
    client: FlaskClient, session: Session, fatima: User, three: list[Activity]
) -> None:
    """Recommendations carry assessment data in their reasons: the pages read only the
    signed-in person's cache and marks, and there is no URL that names another person."""
    colleague = factories.user(session, name="Jonas Berg", dept=fatima.department)
    other = cf.activity(session, title="Jonas ärende: arkivera e-post")
    cache(session, colleague, [other], reasons=[[gap()]])
    session.add(NotInterested(user_id=colleague.id, activity_id=three[0].id))
    session.commit()

    page = text_of(client.get(LIST))
    start = text_of(client.get("/"))

    assert other.title not in page and other.title not in start
    assert three[0].title in page  # Jonas's mark hides nothing from Fatima
    assert client.get(f"{LIST}?user={colleague.id}").status_code == 200
    assert other.title not in text_of(client.get(f"{LIST}?user={colleague.id}"))
