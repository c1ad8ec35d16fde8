"""The coordinators' theme month pages: access, CSRF, forms, errors, publishing, query counts."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lms.accounts.models import User
from lms.catalog import themes
from lms.catalog.models import ThemeMonth, ThemeStatus, Upload
from lms.core.access import Permission
from lms.core.time import local_date, utcnow
from tests import factories
from tests.catalog import factories as cf
from tests.catalog.conftest import sv
from tests.catalog.test_editor_uploads import png
from tests.catalog.theme_helpers import coordinator, notes, theme

BASE = "/samordning/teman"
SLUG_RULE = "Use lowercase letters a–z, digits and hyphens (like informationssakerhet)."


def text(response: Any) -> str:
    return str(response.get_data(as_text=True))


def _next_month() -> tuple[int, int]:
    today = local_date(utcnow())
    return (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)


@pytest.fixture
def boss(session: Session, auth: Any) -> User:
    person = coordinator(session, name="Karin Samordnare")
    session.commit()
    auth.login(person.email)
    return person


@pytest.fixture
def coming(session: Session) -> ThemeMonth:
    """A draft theme month for next month, with one activity, made by another coordinator."""
    year, month = _next_month()
    made = theme(session, coordinator(session), year=year, month=month)
    session.commit()
    return made


def form(**changes: str) -> dict[str, Any]:
    year, month = _next_month()
    values: dict[str, Any] = {
        "title": "Informationssäkerhet",
        "month": str(month),
        "year": str(year),
        "slug": "",
        "intro": "Oktober handlar om **säkerhet**.",
        "action": "save",
    }
    values.update(changes)
    return values


def _count(session: Session) -> int:
    session.expire_all()
    return int(session.scalar(select(func.count()).select_from(ThemeMonth)) or 0)


# --- who may use the pages -------------------------------------------------------------------


@pytest.mark.parametrize(
    "permission", [Permission.NONE, Permission.COURSE_OWNER, Permission.MANAGER]
)
def test_employees_course_owners_and_managers_are_refused(
    client: FlaskClient,
    session: Session,
    auth: Any,
    csrf_off: None,
    coming: ThemeMonth,
    permission: Permission,
) -> None:
    person = factories.user(session, permissions=permission)
    session.commit()
    auth.login(person.email)
    for path in ("/", "/ny", f"/{coming.id}", f"/{coming.id}/forhandsvisning"):
        assert client.get(BASE + path).status_code == 403, path
    for path in ("/ny", f"/{coming.id}/publicera", f"/{coming.id}/ta-bort"):
        assert client.post(BASE + path, data=form()).status_code == 403, path
    session.expire_all()
    assert session.get(ThemeMonth, coming.id).status == ThemeStatus.DRAFT  # type: ignore[union-attr]


def test_signed_out_people_are_sent_to_log_in(client: FlaskClient) -> None:
    response = client.get(BASE + "/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("permission", [Permission.COORDINATOR, Permission.ADMIN])
def test_coordinators_and_admins_may_use_the_pages(
    client: FlaskClient, session: Session, auth: Any, coming: ThemeMonth, permission: Permission
) -> None:
    person = factories.user(session, permissions=permission)
    session.commit()
    auth.login(person.email)
    for path in ("/", "/ny", f"/{coming.id}", f"/{coming.id}/forhandsvisning"):
        assert client.get(BASE + path).status_code == 200, path
    assert client.get(BASE + "/999999").status_code == 404


def test_state_changes_need_the_csrf_token(
    client: FlaskClient, session: Session, boss: User, coming: ThemeMonth, auth: Any
) -> None:
    for path in (f"/{coming.id}/publicera", f"/{coming.id}/ta-bort", "/ny", f"/{coming.id}"):
        assert client.post(BASE + path, data=form()).status_code == 400, path
    assert client.get(BASE + f"/{coming.id}/publicera").status_code == 405
    session.expire_all()
    assert session.get(ThemeMonth, coming.id).status == ThemeStatus.DRAFT  # type: ignore[union-attr]
    token = auth.csrf_token(f"{BASE}/{coming.id}")
    response = client.post(f"{BASE}/{coming.id}/publicera", data={"csrf_token": token})
    assert response.status_code == 302
    session.expire_all()
    assert session.get(ThemeMonth, coming.id).status == ThemeStatus.PUBLISHED  # type: ignore[union-attr]


def test_the_editor_start_page_links_to_theme_months_for_coordinators_only(
    client: FlaskClient, session: Session, auth: Any
) -> None:
    owner = factories.user(session, permissions=Permission.COURSE_OWNER)
    both = factories.user(session, permissions=Permission.COURSE_OWNER | Permission.COORDINATOR)
    session.commit()
    auth.login(owner.email)
    assert f'href="{BASE}/"' not in text(client.get("/redigera/"))
    auth.logout()
    auth.login(both.email)
    assert f'href="{BASE}/"' in text(client.get("/redigera/"))


# --- creating and editing --------------------------------------------------------------------


def test_creating_saves_every_field_and_opens_the_activities(
    client: FlaskClient, session: Session, boss: User, csrf_off: None
) -> None:
    dept = factories.department(session, "Stadsmuseet")
    session.commit()
    response = client.post(BASE + "/ny", data=form(departments=str(dept.id)))
    assert response.status_code == 302
    session.expire_all()
    created = session.scalars(select(ThemeMonth)).one()
    assert response.headers["Location"] == f"{BASE}/{created.id}#activities"
    assert (created.title, created.slug, created.status) == (
        "Informationssäkerhet",
        "informationssakerhet",
        "draft",
    )
    assert (created.year, created.month) == _next_month()
    assert [d.name for d in created.departments] == ["Stadsmuseet"]
    assert "<strong>säkerhet</strong>" in created.intro_html


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"title": ""}, "title", sv("A title is required.")),
        ({"title": "x" * 201}, "title", ""),
        ({"slug": "Inte OK"}, "slug", sv(SLUG_RULE)),
        ({"month": "13"}, "month", ""),
        ({"month": "x"}, "month", ""),
        (
            {"year": "1999"},
            "year",
            sv("Give a year from %(first)d to %(last)d.", first=2000, last=2100),
        ),
        ({"year": "tjugo"}, "year", ""),
        ({"intro": "![](saknas.png)"}, "intro", ""),
        ({"intro": "![Bild](https://example.com/spion.png)"}, "intro", ""),
        ({"departments": "999999"}, "departments", ""),
    ],
)
def test_bad_input_is_shown_on_the_form_and_nothing_is_saved(
    client: FlaskClient,
    session: Session,
    boss: User,
    csrf_off: None,
    changes: dict[str, str],
    field: str,
    message: str,
) -> None:
    response = client.post(BASE + "/ny", data=form(**changes))
    assert response.status_code == 200
    page = text(response)
    assert 'class="error-summary"' in page and f'href="#{field}"' in page
    error = re.search(rf'<p class="error" id="{field}-error">(.*?)</p>', page, re.DOTALL)
    assert error is not None and message in error.group(1) and error.group(1).strip()
    assert _count(session) == 0


def test_a_taken_address_is_refused_beside_the_slug(
    client: FlaskClient, session: Session, boss: User, csrf_off: None, coming: ThemeMonth
) -> None:
    response = client.post(BASE + "/ny", data=form(slug=coming.slug))
    assert response.status_code == 200
    assert 'id="slug-error"' in text(response)
    assert _count(session) == 1


def test_editing_saves_and_a_published_theme_keeps_its_address(
    client: FlaskClient, session: Session, boss: User, csrf_off: None, coming: ThemeMonth
) -> None:
    url = f"{BASE}/{coming.id}"
    response = client.post(url, data=form(title="Säker vardag", slug="saker-vardag"))
    assert response.status_code == 302
    session.expire_all()
    edited = session.get(ThemeMonth, coming.id)
    assert edited is not None and (edited.title, edited.slug) == ("Säker vardag", "saker-vardag")
    assert client.post(url + "/publicera").status_code == 302
    assert client.post(url + "/avpublicera").status_code == 302
    page = text(client.get(url))
    assert 'name="slug"' not in page and 'name="month"' not in page
    response = client.post(url, data=form(title="Nytt namn", slug="nytt", month="1", year="2030"))
    assert response.status_code == 302
    session.expire_all()
    edited = session.get(ThemeMonth, coming.id)
    assert edited is not None and edited.title == "Nytt namn"
    assert (edited.slug, (edited.year, edited.month)) == ("saker-vardag", _next_month())


def test_the_intro_preview_button_renders_without_saving(
    client: FlaskClient, session: Session, boss: User, csrf_off: None, coming: ThemeMonth
) -> None:
    response = client.post(
        f"{BASE}/{coming.id}", data=form(title="Ändrad", intro="# Rubrik", action="preview")
    )
    assert response.status_code == 200 and "Rubrik</h1>" in text(response)
    session.expire_all()
    assert session.get(ThemeMonth, coming.id).title == "Informationssäkerhet"  # type: ignore[union-attr]
    live = client.post(BASE + "/forhandsgranska", data={"body": "![](okand.png)"})
    assert live.status_code == 200 and live.get_json()["problems"]


# --- curating and the banner -----------------------------------------------------------------


def test_activities_are_added_moved_and_removed(
    client: FlaskClient, session: Session, boss: User, csrf_off: None, coming: ThemeMonth
) -> None:
    second = cf.activity(session, title="Starka lösenord")
    draft = cf.activity(session, title="Utkastet", status="draft")
    session.commit()
    url = f"{BASE}/{coming.id}"
    page = text(client.get(url))
    assert "Starka lösenord" in page and "Utkastet" not in page
    for nothing in ({}, {"add-activity": ""}, {"add-activity": "tre"}):
        response = client.post(url + "/aktiviteter", data=nothing)
        assert response.status_code == 200 and 'id="add-activity-error"' in text(response)
    assert (
        client.post(url + "/aktiviteter", data={"add-activity": str(second.id)}).status_code == 302
    )
    refused = client.post(url + "/aktiviteter", data={"add-activity": str(draft.id)})
    assert refused.status_code == 200
    assert sv("Only published activities can be part of a theme month.") in text(refused)
    moved = client.post(url + f"/aktiviteter/{second.id}/flytta", data={"direction": "up"})
    assert moved.headers["Location"] == f"{url}#activities"
    session.expire_all()
    edited = session.get(ThemeMonth, coming.id)
    assert edited is not None
    assert [link.activity.title for link in edited.activity_links] == [
        "Starka lösenord",
        "Känn igen nätfiske",
    ]
    page = text(client.get(url))
    assert sv("Move up") in page and sv("Move down") in page and sv("Remove") in page
    assert client.post(url + f"/aktiviteter/{second.id}/ta-bort").status_code == 302
    assert (
        client.post(url + f"/aktiviteter/{second.id}/flytta", data={"direction": "x"}).status_code
        == 400
    )
    session.expire_all()
    assert [link.activity_id for link in session.get(ThemeMonth, coming.id).activity_links] == [  # type: ignore[union-attr]
        coming.activity_links[0].activity_id
    ]


def test_a_banner_that_is_not_an_image_is_refused(
    client: FlaskClient, session: Session, boss: User, csrf_off: None, coming: ThemeMonth
) -> None:
    url = f"{BASE}/{coming.id}/banner"
    fake = {
        "banner-image": (io.BytesIO(b"<svg onload=alert(1)>"), "banner.png"),
        "banner-banner_alt": "Ett hänglås",
    }
    response = client.post(url, data=fake, content_type="multipart/form-data")
    assert response.status_code == 200
    assert sv("Only PNG, JPEG, GIF and WebP images can be uploaded.") in text(response)
    no_alt = {"banner-image": (io.BytesIO(png()), "banner.png"), "banner-banner_alt": ""}
    assert client.post(url, data=no_alt, content_type="multipart/form-data").status_code == 200
    session.expire_all()
    assert session.scalars(select(Upload)).all() == []
    good = {"banner-image": (io.BytesIO(png()), "banner.png"), "banner-banner_alt": "Ett hänglås"}
    response = client.post(url, data=good, content_type="multipart/form-data")
    assert response.status_code == 302
    session.expire_all()
    stored = session.get(ThemeMonth, coming.id)
    assert stored is not None and stored.banner is not None and stored.banner_alt == "Ett hänglås"
    page = text(client.get(f"{BASE}/{coming.id}"))
    assert f'src="/uploads/{stored.banner.name}" alt="Ett hänglås"' in page
    assert client.post(url + "/ta-bort").status_code == 302
    session.expire_all()
    assert session.get(ThemeMonth, coming.id).banner_id is None  # type: ignore[union-attr]


# --- publishing ------------------------------------------------------------------------------


def test_publishing_now_tells_the_audience_and_shows_how_many(
    client: FlaskClient, session: Session, boss: User, csrf_off: None, coming: ThemeMonth
) -> None:
    learner = factories.user(session)
    session.commit()
    response = client.post(f"{BASE}/{coming.id}/publicera", follow_redirects=True)
    assert response.status_code == 200
    assert len(notes(session, learner)) == 1
    again = client.post(f"{BASE}/{coming.id}/publicera", follow_redirects=True)
    assert again.status_code == 200 and "flash-error" in text(again)
    assert len(notes(session, learner)) == 1


def test_scheduling_refuses_today_and_saves_a_later_date(
    client: FlaskClient, session: Session, boss: User, csrf_off: None, coming: ThemeMonth
) -> None:
    url = f"{BASE}/{coming.id}/schemalagg"
    today = local_date(utcnow())
    response = client.post(url, data={"schedule-publish_on": today.isoformat()})
    assert response.status_code == 200
    assert sv("Choose a date after today. To publish today, use “Publish now”.") in text(response)
    assert client.post(url, data={"schedule-publish_on": "imorgon"}).status_code == 200
    session.expire_all()
    assert session.get(ThemeMonth, coming.id).status == ThemeStatus.DRAFT  # type: ignore[union-attr]
    day = date(coming.year, coming.month, 1)
    day = max(day, today + timedelta(days=1))
    assert client.post(url, data={"schedule-publish_on": day.isoformat()}).status_code == 302
    session.expire_all()
    scheduled = session.get(ThemeMonth, coming.id)
    assert scheduled is not None and scheduled.publish_on == day
    assert f'datetime="{day.isoformat()}"' in text(client.get(BASE + "/"))
    assert client.post(f"{BASE}/{coming.id}/avbryt-schemalaggning").status_code == 302
    session.expire_all()
    assert session.get(ThemeMonth, coming.id).status == ThemeStatus.DRAFT  # type: ignore[union-attr]


def test_deleting_a_draft_but_not_a_published_theme_month(
    client: FlaskClient, session: Session, boss: User, csrf_off: None, coming: ThemeMonth
) -> None:
    other = theme(session, boss, slug="annat")
    session.commit()
    themes.publish_now(session, boss, other, utcnow())
    session.commit()
    assert client.post(f"{BASE}/{other.id}/ta-bort").status_code == 302
    response = client.post(f"{BASE}/{coming.id}/ta-bort")
    assert response.headers["Location"] == f"{BASE}/"
    session.expire_all()
    assert [t.slug for t in session.scalars(select(ThemeMonth))] == ["annat"]


def test_the_preview_shows_the_theme_as_learners_will_with_a_notice(
    client: FlaskClient, session: Session, boss: User, coming: ThemeMonth
) -> None:
    page = text(client.get(f"{BASE}/{coming.id}/forhandsvisning"))
    assert sv("Preview mode") in page
    assert "Informationssäkerhet" in page and "Känn igen nätfiske" in page
    assert "informationssäkerhetens</strong> månad" in page


# --- the overview ----------------------------------------------------------------------------


def _many(session: Session, actor: User, start: int, stop: int) -> None:
    activity = cf.activity(session)
    dept = factories.department(session, "Stadsarkivet")
    year, month = _next_month()
    for i in range(start, stop):
        made = theme(
            session,
            actor,
            activities=[activity],
            year=year,
            month=month,
            slug=f"tema-{i}",
            departments=[dept],
        )
        if i % 3 == 1:
            themes.schedule(session, actor, made, date(year, month, 28), local_date(utcnow()))
        elif i % 3 == 2:
            themes.publish_now(session, actor, made, utcnow())
    session.commit()


def test_the_overview_runs_the_same_number_of_queries_for_3_and_30(
    client: FlaskClient, session: Session, boss: User, count_queries: Any
) -> None:
    _many(session, boss, 0, 3)
    client.get(BASE + "/")
    with count_queries() as few:
        assert client.get(BASE + "/").status_code == 200
    _many(session, boss, 3, 30)
    with count_queries() as many:
        response = client.get(BASE + "/")
    assert response.status_code == 200
    assert len(re.findall(r'href="/samordning/teman/\d+"', text(response))) == 30
    assert many.count == few.count
