"""The calendar page: what each session shows, filters, navigation, Stockholm days, feeds."""

from __future__ import annotations

import re
from datetime import date
from html import unescape
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.accounts.models import Department, User
from lms.catalog.models import SharedFeed
from lms.core.access import Permission
from lms.core.time import local_date, utcnow
from lms.discover.calendar import add_months
from lms.discover.feeds import create_department_feed
from tests import factories
from tests.discover import calendar_factories as cal


def _login(session: Session, auth: Any, **kw: Any) -> User:
    person = factories.user(session, **kw)
    person.language = "en"  # the Swedish strings are merged into the catalogue later
    session.commit()
    assert auth.login(person.email).status_code == 302
    return person


def _html(client: FlaskClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def _text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def _month_days(html: str) -> dict[int, str]:
    """The month grid's days of the month by number, each with its own HTML."""
    chunks = html.split('<li class="cal-day')[1:]
    days = {}
    for chunk in chunks:
        if chunk.startswith(" is-outside"):
            continue
        number = re.search(r'class="cal-day-number" aria-hidden="true">(\d+)<', chunk)
        assert number is not None
        days[int(number.group(1))] = chunk.split('<li class="cal-week')[0]
    return days


def _list_days(html: str) -> dict[str, str]:
    """The list view's days by ISO date, each with its own HTML."""
    parts = re.split(r'<section class="cal-listday[^"]*" aria-labelledby="day-([\d-]+)"', html)
    return {parts[n]: parts[n + 1].split("</section>")[0] for n in range(1, len(parts), 2)}


def _href(html: str, rel: str) -> str:
    match = re.search(rf'<a rel="{rel}" href="([^"]+)"', html)
    assert match is not None
    return unescape(match.group(1))


# --- what a session shows --------------------------------------------------------------------


def test_month_shows_published_uncancelled_sessions_with_time_place_format_and_seats(
    session: Session, client: FlaskClient, auth: Any
) -> None:
    talk = cal.workshop(session, title="Frukostföreläsning om IT-attacker", format="lecture")
    full = cal.workshop(session, title="Fotografera med mobilen")
    draft = cal.workshop(session, title="Hemligt utkast", status="draft")
    cal.occurrence(session, talk, cal.local(2030, 12, 3, 8, 30), capacity=3, place="",
                   online_url="https://zoom.example/j/1")  # fmt: skip
    booked_on = cal.occurrence(session, talk, cal.local(2030, 12, 10, 9), capacity=3)
    cal.book(session, booked_on, 1)
    cal.book(session, cal.occurrence(session, full, cal.local(2030, 12, 4, 13), capacity=1), 1)
    cal.occurrence(session, talk, cal.local(2030, 12, 5, 9), cancelled=True)
    cal.occurrence(session, draft, cal.local(2030, 12, 6, 9))
    cal.occurrence(session, talk, cal.local(2031, 1, 1, 9))
    _login(session, auth)
    html = _html(client, "/kalender/?datum=2030-12-01")
    days = _month_days(html)
    assert len(days) == 31
    assert "Frukostföreläsning om IT-attacker" in days[3]
    third = _text(days[3])
    assert "08:30 – 10:00" in third and "Lecture or webinar" in third and "Online" in third
    assert "3 seats left" in third
    assert "2 seats left" in _text(days[10])
    assert "Stadsbiblioteket, sal 2" in _text(days[10])
    assert "Fully booked" in _text(days[4])
    assert f'href="/katalog/{talk.slug}"' in days[3]
    assert "cal-entry" not in days[5]  # cancelled
    assert "Hemligt utkast" not in html
    assert "3 sessions" in _text(html)


def test_today_is_marked_as_the_current_date(
    session: Session, client: FlaskClient, auth: Any
) -> None:
    _login(session, auth)
    today = local_date(utcnow())
    for view in ("manad", "vecka"):
        html = _html(client, f"/kalender/?vy={view}&datum={today.isoformat()}")
        assert html.count('aria-current="date"') == 1
    html = _html(client, f"/kalender/?datum={add_months(today, 2).isoformat()}")
    assert 'aria-current="date"' not in html


def test_empty_periods_say_so(session: Session, client: FlaskClient, auth: Any) -> None:
    _login(session, auth)
    assert "No sessions are planned in this period" in _html(client, "/kalender/?datum=2031-02-01")
    filtered = _html(client, "/kalender/?datum=2031-02-01&format=coaching")
    assert "No sessions match the filters" in filtered
    assert "No sessions" in _html(client, "/kalender/?vy=lista&datum=2031-02-01")


@pytest.mark.parametrize(
    "query", ["vy=år&datum=igår", "datum=9999-12-31", "avdelning=999999&amne=x&format=<b>"]
)
def test_nonsense_in_the_url_falls_back_to_defaults(
    session: Session, client: FlaskClient, auth: Any, query: str
) -> None:
    _login(session, auth)
    assert client.get(f"/kalender/?{query}").status_code == 200


def test_the_calendar_needs_a_login(session: Session, client: FlaskClient) -> None:
    response = client.get("/kalender/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


# --- filters ---------------------------------------------------------------------------------


def _audiences(session: Session) -> tuple[Department, Department]:
    library = factories.department(session, "Stadsbiblioteket")
    museum = factories.department(session, "Stadsmuseet")
    for title, departments, subjects, format in (
        ("För alla", [], ["digital-arbetsplats"], "workshop"),
        ("För biblioteket", [library], [], "lecture"),
        ("För museet", [museum], ["digital-innovation"], "workshop"),
    ):
        activity = cal.workshop(
            session, title=title, departments=departments, subjects=subjects, format=format
        )
        cal.occurrence(session, activity, cal.local(2030, 12, 9, 10))
    return library, museum


def _titles(html: str) -> set[str]:
    return set(re.findall(r'class="cal-entry-title"[^>]*>([^<]+)<', html))


def test_filters_follow_the_catalogue_semantics(
    session: Session, client: FlaskClient, auth: Any
) -> None:
    library, museum = _audiences(session)
    _login(session, auth, dept=library)
    base = "/kalender/?datum=2030-12-01"
    assert _titles(_html(client, base)) == {"För alla", "För biblioteket", "För museet"}
    assert _titles(_html(client, f"{base}&avdelning={museum.id}")) == {"För alla", "För museet"}
    assert _titles(_html(client, f"{base}&avdelning=mine")) == {"För alla", "För biblioteket"}
    assert _titles(_html(client, f"{base}&amne=digital-innovation")) == {"För museet"}
    assert _titles(_html(client, f"{base}&format=lecture")) == {"För biblioteket"}
    both = f"{base}&format=workshop&avdelning={library.id}"
    assert _titles(_html(client, both)) == {"För alla"}


def test_filters_and_the_view_survive_navigation(
    session: Session, client: FlaskClient, auth: Any
) -> None:
    library, _museum = _audiences(session)
    _login(session, auth)
    html = _html(client, f"/kalender/?vy=lista&datum=2030-12-01&avdelning={library.id}")
    following = _href(html, "next")
    assert f"avdelning={library.id}" in following and "vy=lista" in following
    assert "datum=2031-01-01" in following
    assert 'name="avdelning"' in html
    assert re.search(
        rf'<option selected value="{library.id}">|<option value="{library.id}" selected', html
    )


# --- navigation across the year and the week ---------------------------------------------------


def test_month_navigation_crosses_the_new_year(
    session: Session, client: FlaskClient, auth: Any
) -> None:
    late = cal.workshop(session, title="Nyårsworkshop")
    cal.occurrence(session, late, cal.local(2027, 1, 2, 10))
    _login(session, auth)
    december = _html(client, "/kalender/?vy=manad&datum=2026-12-15")
    assert "December 2026" in _text(december)
    assert "Nyårsworkshop" not in december  # 2 January is only a grey day in the grid
    january_url = _href(december, "next")
    assert "datum=2027-01-01" in january_url
    january = _html(client, january_url)
    assert "January 2027" in _text(january) and "Nyårsworkshop" in _month_days(january)[2]
    assert "datum=2026-12-01" in _href(january, "prev")


def test_week_53_spans_the_new_year_and_leads_to_week_1(
    session: Session, client: FlaskClient, auth: Any
) -> None:
    workshop = cal.workshop(session, title="Mellandagsworkshop")
    monday = cal.occurrence(session, workshop, cal.local(2026, 12, 28, 9))
    sunday = cal.occurrence(session, workshop, cal.local(2027, 1, 3, 23, 30))
    cal.occurrence(
        session, cal.workshop(session, title="Nästa vecka"), cal.local(2027, 1, 4, 0, 30)
    )
    _login(session, auth)
    html = _html(client, "/kalender/?vy=vecka&datum=2027-01-01")
    text = _text(html)
    assert "Week 53" in text and "28 December" in text and "3 January 2027" in text
    assert text.count("Mellandagsworkshop") == 2 and "Nästa vecka" not in text
    assert len(re.findall(r'<li class="cal-day', html)) == 7
    assert "09:00" in text and "23:30" in text
    following = _html(client, _href(html, "next"))
    assert "Week 1" in _text(following) and "Nästa vecka" in following
    assert "datum=2026-12-28" in _href(following, "prev")
    assert monday.id != sunday.id


@pytest.mark.parametrize("sunday", [date(2026, 3, 29), date(2026, 10, 25)])
def test_half_past_midnight_on_a_dst_sunday_is_on_that_sunday(
    session: Session, client: FlaskClient, auth: Any, sunday: date
) -> None:
    early = cal.workshop(session, title="Nattvandring i arkivet")
    cal.occurrence(session, early, cal.local(sunday.year, sunday.month, sunday.day, 0, 30))
    _login(session, auth)
    month = f"{sunday.year}-{sunday.month:02d}-01"
    listed = _list_days(_html(client, f"/kalender/?vy=lista&datum={month}"))
    assert list(listed) == [sunday.isoformat()]
    assert "00:30" in _text(listed[sunday.isoformat()])
    days = _month_days(_html(client, f"/kalender/?datum={month}"))
    assert [n for n, chunk in days.items() if "Nattvandring" in chunk] == [sunday.day]
    week = _html(client, f"/kalender/?vy=vecka&datum={sunday.isoformat()}")
    sunday_column = week.split('<li class="cal-day')[7]
    assert "Nattvandring" in sunday_column


def test_list_view_shows_only_days_with_sessions_in_order(
    session: Session, client: FlaskClient, auth: Any
) -> None:
    workshop = cal.workshop(session, title="Listad workshop")
    for day in (17, 3, 3):
        cal.occurrence(session, workshop, cal.local(2030, 12, day, 8 + day % 5))
    _login(session, auth)
    days = _list_days(_html(client, "/kalender/?vy=lista&datum=2030-12-01"))
    assert list(days) == ["2030-12-03", "2030-12-17"]
    assert _text(days["2030-12-03"]).count("Listad workshop") == 2
    rest = _list_days(_html(client, "/kalender/?vy=lista&datum=2030-12-10"))
    assert list(rest) == ["2030-12-17"]  # the list runs from the date asked for


# --- shared feeds on the page ----------------------------------------------------------------


def test_page_offers_the_personal_the_departments_and_the_theme_months_feeds(
    session: Session, client: FlaskClient, auth: Any, csrf_off: None
) -> None:
    library = factories.department(session, "Stadsbiblioteket")
    museum = factories.department(session, "Stadsmuseet")
    today = local_date(utcnow())
    current = cal.theme_month(session, year=today.year, month=today.month, title="AI-månaden")
    cal.theme_month(session, year=today.year, month=today.month, title="Utkast", status="draft")
    _login(session, auth, dept=library)
    html = _html(client, "/kalender/")
    assert 'href="/bokningar/kalender"' in html
    # The page only reads: a feed not made yet is offered as a button, nothing is written.
    assert session.scalars(select(SharedFeed)).all() == []
    assert f'action="/kalender/flode/avdelning/{library.id}/skapa"' in html
    assert f'action="/kalender/flode/tema/{current.id}/skapa"' in html
    assert "AI-månaden" in html and "Utkast" not in html
    for target in (f"avdelning/{library.id}", f"tema/{current.id}"):
        response = client.post(f"/kalender/flode/{target}/skapa", data={"next": "/kalender/"})
        assert response.status_code == 302 and response.headers["Location"].endswith("/kalender/")
    html = _html(client, "/kalender/")
    feeds = {(f.department_id, f.theme_month_id): f for f in session.scalars(select(SharedFeed))}
    assert set(feeds) == {(library.id, None), (None, current.id)}
    department_feed, theme_feed = feeds[library.id, None], feeds[None, current.id]
    assert f"http://localhost/kalender/flode/{department_feed.token}.ics" in html
    assert f"http://localhost/kalender/flode/{theme_feed.token}.ics" in html
    assert "/skapa" not in html
    assert "ny-adress" not in html  # employees cannot reset
    chosen = _html(client, f"/kalender/?avdelning={museum.id}")
    assert f'action="/kalender/flode/avdelning/{museum.id}/skapa"' in chosen
    assert department_feed.token not in chosen and theme_feed.token in chosen
    assert len(session.scalars(select(SharedFeed)).all()) == 2  # pages made none


def test_coordinators_see_reset_buttons(session: Session, client: FlaskClient, auth: Any) -> None:
    library = factories.department(session, "Stadsbiblioteket")
    feed = create_department_feed(session, library.id)
    _login(session, auth, dept=library, permissions=Permission.COORDINATOR)
    html = _html(client, "/kalender/")
    assert f'action="/kalender/flode/{feed.id}/ny-adress"' in html
