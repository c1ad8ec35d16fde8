"""Shared iCalendar feeds: exactly the right sessions, cancelled ones marked, tokens, 404s."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask, render_template_string
from flask.testing import FlaskClient
from flask_login import login_user
from icalendar import Calendar
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.catalog.models import ActivitySession, SharedFeed, ThemeStatus
from lms.core.access import Permission
from lms.core.audit import AuditEvent
from lms.core.errors import DomainError
from lms.core.time import local_date, utcnow
from lms.discover import feeds
from lms.discover.calendar import add_months
from lms.discover.calendar_views import theme_feed
from tests import factories
from tests.discover import calendar_factories as cal

BASE = "https://lms.example.se"
NOW = datetime(2026, 9, 15, 8, 0, tzinfo=UTC)


def _events(body: bytes) -> dict[str, Any]:
    calendar = Calendar.from_ical(body)
    return {str(e["UID"]): e for e in calendar.walk("VEVENT")}


def _uids(*sessions: ActivitySession, host: str = "lms.example.se") -> set[str]:
    return {f"session-{s.id}@{host}" for s in sessions}


def _feed_body(session: Session, feed: SharedFeed, now: datetime = NOW) -> bytes:
    body = feeds.render_feed(session, feed.token, BASE, now)
    assert body is not None
    return body


# --- theme month feeds -----------------------------------------------------------------------


def _october(session: Session) -> dict[str, Any]:
    curated = cal.workshop(session, title="Nätfiske – så känner du igen det")
    draft = cal.workshop(session, status="draft")
    other = cal.workshop(session)  # published but not in the theme
    first_minute = cal.occurrence(session, curated, cal.local(2026, 10, 1, 0, 30))
    last_evening = cal.occurrence(session, curated, cal.local(2026, 10, 31, 23, 30))
    cancelled = cal.occurrence(session, curated, cal.local(2026, 10, 14, 13), cancelled=True)
    september = cal.occurrence(session, curated, cal.local(2026, 9, 30, 23, 30))
    november = cal.occurrence(session, curated, cal.local(2026, 11, 1, 0, 30))
    of_draft = cal.occurrence(session, draft, cal.local(2026, 10, 10))
    of_other = cal.occurrence(session, other, cal.local(2026, 10, 10))
    theme = cal.theme_month(session, year=2026, month=10, activities=[curated, draft])
    return {
        "theme": theme,
        "in": (first_minute, last_evening, cancelled),
        "out": (september, november, of_draft, of_other),
        "cancelled": cancelled,
    }


def test_theme_feed_holds_exactly_the_theme_months_sessions(session: Session) -> None:
    october = _october(session)
    feed = feeds.create_theme_feed(session, october["theme"])
    events = _events(_feed_body(session, feed))
    assert set(events) == _uids(*october["in"])
    assert not set(events) & _uids(*october["out"])
    cancelled = events[f"session-{october['cancelled'].id}@lms.example.se"]
    assert str(cancelled["STATUS"]) == "CANCELLED"
    others = [e for uid, e in events.items() if uid != str(cancelled["UID"])]
    assert {str(e["STATUS"]) for e in others} == {"CONFIRMED"}
    first = events[f"session-{october['in'][0].id}@lms.example.se"]
    assert first.decoded("DTSTART") == october["in"][0].starts_at
    assert str(first["SUMMARY"]) == "Nätfiske – så känner du igen det"


def test_theme_feed_is_named_after_the_theme(session: Session) -> None:
    october = _october(session)
    feed = feeds.create_theme_feed(session, october["theme"])
    calendar = Calendar.from_ical(_feed_body(session, feed))
    name = str(calendar["X-WR-CALNAME"])
    assert "Informationssäkerhet" in name
    assert "2026" in name


@pytest.mark.parametrize("status", [ThemeStatus.DRAFT, ThemeStatus.SCHEDULED])
def test_an_unpublished_theme_months_feed_is_not_found(
    session: Session, client: FlaskClient, status: str
) -> None:
    theme = cal.theme_month(session, year=2026, month=10, status=status)
    with pytest.raises(DomainError):
        feeds.create_theme_feed(session, theme)  # no address is made for a draft…
    feed = feeds.create_feeds(session, theme_month_ids=[theme.id]).themes[theme.id]
    session.commit()  # …but one made while it was published stops working when unpublished
    assert feeds.render_feed(session, feed.token, BASE, NOW) is None
    assert client.get(f"/kalender/flode/{feed.token}.ics").status_code == 404


def test_feed_over_http_needs_no_login_and_sets_no_cookie(
    session: Session, client: FlaskClient
) -> None:
    october = _october(session)
    feed = feeds.create_theme_feed(session, october["theme"])
    session.commit()
    response = client.get(f"/kalender/flode/{feed.token}.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert "Set-Cookie" not in response.headers
    assert set(_events(response.data)) == _uids(*october["in"], host="localhost")


@pytest.mark.parametrize("token", ["wrong-token", "x" * 65, "%00", "a%20b", "ä"])
def test_unknown_tokens_are_not_found(session: Session, client: FlaskClient, token: str) -> None:
    feeds.create_department_feed(session, factories.department(session).id)
    session.commit()
    assert client.get(f"/kalender/flode/{token}.ics").status_code == 404


# --- department feeds ------------------------------------------------------------------------


def test_department_feed_holds_everyones_and_the_departments_sessions_in_the_window(
    session: Session,
) -> None:
    library = factories.department(session, "Stadsbiblioteket")
    museum = factories.department(session, "Stadsmuseet")
    for_all = cal.workshop(session)
    for_library = cal.workshop(session, departments=[library])
    for_both = cal.workshop(session, departments=[museum, library])
    for_museum = cal.workshop(session, departments=[museum])
    draft = cal.workshop(session, status="draft", departments=[library])
    inside = [
        cal.occurrence(session, for_all, NOW - timedelta(days=29)),
        cal.occurrence(session, for_library, NOW + timedelta(days=364)),
        cal.occurrence(session, for_both, NOW + timedelta(days=3)),
        cal.occurrence(session, for_all, NOW + timedelta(days=5), cancelled=True),
    ]
    outside = [
        cal.occurrence(session, for_all, NOW - timedelta(days=31)),
        cal.occurrence(session, for_library, NOW + timedelta(days=366)),
        cal.occurrence(session, for_museum, NOW + timedelta(days=3)),
        cal.occurrence(session, draft, NOW + timedelta(days=3)),
    ]
    feed = feeds.create_department_feed(session, library.id)
    body = _feed_body(session, feed)
    events = _events(body)
    assert set(events) == _uids(*inside)
    assert not set(events) & _uids(*outside)
    assert str(events[f"session-{inside[3].id}@lms.example.se"]["STATUS"]) == "CANCELLED"
    assert "Stadsbiblioteket" in str(Calendar.from_ical(body)["X-WR-CALNAME"])


# --- tokens ----------------------------------------------------------------------------------


def test_create_makes_one_feed_per_target_with_long_random_tokens(session: Session) -> None:
    library = factories.department(session, "Stadsbiblioteket")
    theme = cal.theme_month(session, year=2026, month=10)
    first = feeds.create_feeds(session, theme_month_ids=[theme.id], department_ids=[library.id])
    again = feeds.create_feeds(session, theme_month_ids=[theme.id], department_ids=[library.id])
    assert first.themes[theme.id] is again.themes[theme.id]
    assert first.departments[library.id] is again.departments[library.id]
    tokens = {first.themes[theme.id].token, first.departments[library.id].token}
    assert len(tokens) == 2 and all(len(t) >= 43 for t in tokens)
    assert len(session.scalars(select(SharedFeed)).all()) == 2
    assert feeds.create_feeds(session) == feeds.SharedFeeds({}, {})


def test_a_feed_made_meanwhile_by_another_request_is_reused(session: Session) -> None:
    theme = cal.theme_month(session, year=2026, month=10)
    theirs = feeds.create_theme_feed(session, theme)
    # As if this request had read before the other one inserted: the insert must not fail.
    mine = feeds._create(session, theme_month_id=theme.id)
    assert mine is theirs
    assert len(session.scalars(select(SharedFeed)).all()) == 1


def test_reset_changes_the_token_and_the_old_url_is_gone(
    session: Session, client: FlaskClient
) -> None:
    theme = cal.theme_month(session, year=2026, month=10)
    feed = feeds.create_theme_feed(session, theme)
    old = feed.token
    feeds.reset_feed(session, feed, actor_id=None)
    session.commit()
    assert feed.token != old
    assert client.get(f"/kalender/flode/{old}.ics").status_code == 404
    assert client.get(f"/kalender/flode/{feed.token}.ics").status_code == 200


@pytest.mark.parametrize("permission", [Permission.COORDINATOR, Permission.ADMIN])
def test_coordinators_and_admins_reset_a_feed_from_the_page(
    session: Session, client: FlaskClient, auth: Any, csrf_off: None, permission: Permission
) -> None:
    department = factories.department(session, "Stadsbiblioteket")
    feed = feeds.create_department_feed(session, department.id)
    person = factories.user(session, permissions=permission)
    session.commit()
    old = feed.token
    auth.login(person.email)
    response = client.post(
        f"/kalender/flode/{feed.id}/ny-adress", data={"next": "/kalender/?vy=lista"}
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/kalender/?vy=lista")
    session.refresh(feed)
    assert feed.token != old
    assert client.get(f"/kalender/flode/{old}.ics").status_code == 404
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "shared_feed.reset"))
    assert event is not None and event.actor_id == person.id


def test_reset_redirects_only_within_the_site(
    session: Session, client: FlaskClient, auth: Any, csrf_off: None
) -> None:
    feed = feeds.create_department_feed(session, factories.department(session).id)
    person = factories.user(session, permissions=Permission.COORDINATOR)
    session.commit()
    auth.login(person.email)
    response = client.post(
        f"/kalender/flode/{feed.id}/ny-adress", data={"next": "https://evil.example/"}
    )
    assert response.headers["Location"].endswith("/kalender/")
    assert client.post("/kalender/flode/999999/ny-adress").status_code == 404


def test_employees_may_not_reset_and_a_reset_needs_the_csrf_token(
    session: Session, client: FlaskClient, auth: Any
) -> None:
    feed = feeds.create_department_feed(session, factories.department(session).id)
    employee = factories.user(session)
    coordinator = factories.user(session, permissions=Permission.COORDINATOR)
    session.commit()
    old = feed.token
    auth.login(employee.email)
    token = auth.csrf_token("/kalender/")
    assert token
    response = client.post(f"/kalender/flode/{feed.id}/ny-adress", data={"csrf_token": token})
    assert response.status_code == 403
    auth.logout()
    auth.login(coordinator.email)
    response = client.post(f"/kalender/flode/{feed.id}/ny-adress")  # no CSRF token
    assert response.status_code in (302, 400)  # the app's CSRF handler may redirect back
    session.refresh(feed)
    assert feed.token == old


# --- the theme month page's block --------------------------------------------------------------


def _render_block(app: Flask, session: Session, theme: Any, permission: Permission) -> str:
    person = factories.user(session, permissions=permission)
    session.commit()
    with app.test_request_context("/teman/2026-10/x"):
        login_user(person)
        return render_template_string(
            '{% include "discover/_theme_feed.html" %}',
            theme=theme,
            theme_calendar=theme_feed(theme),
        )


def test_theme_block_shows_the_feed_address_of_a_published_theme(
    app: Flask, session: Session
) -> None:
    theme = cal.theme_month(session, year=2026, month=10)
    html = _render_block(app, session, theme, Permission.NONE)
    assert session.scalar(select(SharedFeed)) is None  # the page never makes the feed
    assert f'action="/kalender/flode/tema/{theme.id}/skapa"' in html
    assert "/kalender/flode/" in html and ".ics" not in html
    feed = feeds.create_theme_feed(session, theme)
    html = _render_block(app, session, theme, Permission.NONE)
    assert f'value="http://localhost/kalender/flode/{feed.token}.ics"' in html
    assert "readonly" in html and "/skapa" not in html
    assert "ny-adress" not in html  # only coordinators and admins may reset
    assert "ny-adress" in _render_block(app, session, theme, Permission.COORDINATOR)


def test_theme_block_of_a_draft_shows_no_address(app: Flask, session: Session) -> None:
    theme = cal.theme_month(session, year=2026, month=10, status=ThemeStatus.DRAFT)
    html = _render_block(app, session, theme, Permission.COORDINATOR)
    assert "/kalender/flode/" not in html
    assert session.scalar(select(SharedFeed)) is None


# --- cost ------------------------------------------------------------------------------------


def test_feeds_run_the_same_queries_for_ten_and_a_thousand_sessions(
    session: Session, client: FlaskClient, count_queries: Any
) -> None:
    month = add_months(local_date(utcnow()), 1)  # inside the department feed's window too
    this_month = [cal.local(month.year, month.month, 10, hour) for hour in range(8, 20)]
    theme = cal.theme_month(session, year=month.year, month=month.month)
    department = factories.department(session, "Stadsbiblioteket")
    ids = cal.bulk_sessions(session, 0, 10, this_month)
    cal.curate(session, theme, ids)
    feeds_made = feeds.create_feeds(
        session, theme_month_ids=[theme.id], department_ids=[department.id]
    )
    session.commit()
    urls = [
        f"/kalender/flode/{feeds_made.themes[theme.id].token}.ics",
        f"/kalender/flode/{feeds_made.departments[department.id].token}.ics",
    ]

    def measure() -> tuple[list[int], list[int]]:
        counts, sizes = [], []
        for url in urls:
            with count_queries() as counter:
                response = client.get(url)
            assert response.status_code == 200
            counts.append(counter.count)
            sizes.append(len(_events(response.data)))
        return counts, sizes

    small, small_sizes = measure()
    more = cal.bulk_sessions(session, 10, 1000, this_month)
    cal.curate(session, theme, more)
    session.commit()
    large, large_sizes = measure()
    assert small_sizes == [10, 10] and large_sizes == [1000, 1000]
    assert large == small
    assert max(small) <= 3


# --- making a feed: a POST, never the page ---------------------------------------------------


def _count_feeds(session: Session) -> int:
    session.expire_all()
    return len(session.scalars(select(SharedFeed)).all())


def test_calendar_and_theme_pages_make_no_feed(
    session: Session, client: FlaskClient, auth: Any
) -> None:
    library = factories.department(session, "Stadsbiblioteket")
    today = local_date(utcnow())
    theme = cal.theme_month(session, year=today.year, month=today.month)
    person = factories.user(session, dept=library)
    session.commit()
    auth.login(person.email)
    assert client.get("/kalender/").status_code == 200
    assert client.get(f"/kalender/?avdelning={library.id}").status_code == 200
    assert client.get(f"/teman/{theme.year_month}/{theme.slug}").status_code == 200
    assert _count_feeds(session) == 0


@pytest.mark.parametrize("kind", ["tema", "avdelning"])
def test_a_post_makes_exactly_one_feed_and_a_second_changes_nothing(
    session: Session, client: FlaskClient, auth: Any, kind: str
) -> None:
    library = factories.department(session, "Stadsbiblioteket")
    theme = cal.theme_month(session, year=2026, month=10)
    person = factories.user(session, dept=library)
    session.commit()
    target = {"tema": theme.id, "avdelning": library.id}[kind]
    auth.login(person.email)
    token = auth.csrf_token("/kalender/")
    url = f"/kalender/flode/{kind}/{target}/skapa"
    first = client.post(url, data={"csrf_token": token, "next": "/kalender/?vy=lista"})
    assert first.status_code == 302
    assert first.headers["Location"].endswith("/kalender/?vy=lista")
    assert _count_feeds(session) == 1
    feed = session.scalars(select(SharedFeed)).one()
    made = feed.token
    again = client.post(url, data={"csrf_token": token, "next": "https://evil.example/"})
    assert again.status_code == 302 and again.headers["Location"].endswith("/kalender/")
    assert _count_feeds(session) == 1
    session.refresh(feed)
    assert feed.token == made  # a second tab never replaces the address
    assert (feed.theme_month_id, feed.department_id) == (
        (theme.id, None) if kind == "tema" else (None, library.id)
    )
    assert client.get(f"/kalender/flode/{made}.ics").status_code == 200


def test_making_a_feed_needs_login_csrf_and_a_published_theme_or_real_department(
    session: Session, client: FlaskClient, auth: Any
) -> None:
    library = factories.department(session, "Stadsbiblioteket")
    draft = cal.theme_month(session, year=2026, month=11, status=ThemeStatus.DRAFT)
    person = factories.user(session, dept=library)
    session.commit()
    url = f"/kalender/flode/avdelning/{library.id}/skapa"
    signed_out = client.post(url)
    assert signed_out.status_code in (302, 400)
    assert signed_out.status_code == 400 or "/login" in signed_out.headers["Location"]
    auth.login(person.email)
    assert client.post(url).status_code in (302, 400)  # no CSRF token: refused
    assert client.post(url, data={"csrf_token": "forged"}).status_code in (302, 400)
    assert _count_feeds(session) == 0
    token = auth.csrf_token("/kalender/")
    for missing in (f"tema/{draft.id}", "tema/999999", "avdelning/999999"):
        response = client.post(f"/kalender/flode/{missing}/skapa", data={"csrf_token": token})
        assert response.status_code == 404, missing
    assert _count_feeds(session) == 0
    assert client.post(url, data={"csrf_token": token}).status_code == 302
    assert _count_feeds(session) == 1
