"""The notifications page, marking read, the header's count and the mail settings page."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import insert

from lms.core.time import utcnow
from lms.notify import services
from lms.notify.models import MailMode, Notification
from tests import factories

pytestmark = pytest.mark.usefixtures("csrf_off")


def _bulk_notifications(session, user, count: int) -> None:
    now = utcnow()
    session.execute(
        insert(Notification.__table__),
        [
            {
                "user_id": user.id,
                "kind": "tip",
                "title": f"Massutskick {n}",
                "body": "",
                "link": "/katalog/",
                "is_essential": False,
                "is_digest_pending": False,
                "created_at": now,
            }
            for n in range(count)
        ],
    )


def _header_count(html: str) -> str | None:
    match = re.search(r'class="nav-count">\((\d+)<', html)
    return match.group(1) if match else None


def test_the_page_lists_only_my_notifications_newest_first(client, session, auth) -> None:
    me, other = factories.user(session), factories.user(session)
    services.notify(session, me, kind="tip", title="Äldre", link="/katalog/")
    services.notify(session, me, kind="tip", title="Nyare", body="Mer text")
    services.notify(session, other, kind="tip", title="Någon annans")
    session.commit()
    auth.login(me.email)
    html = client.get("/meddelanden/").get_data(as_text=True)
    assert html.index("Nyare") < html.index("Äldre")
    assert "Någon annans" not in html
    assert '<a href="/katalog/">Äldre</a>' in html
    assert html.count("notification-unread") == 2
    assert _header_count(html) == "2"


def test_mark_read_and_mark_all(client, session, auth) -> None:
    me = factories.user(session)
    first = services.notify(session, me, kind="tip", title="Ett")
    for title in ("Två", "Tre"):
        services.notify(session, me, kind="tip", title=title)
    session.commit()
    assert first is not None
    auth.login(me.email)
    response = client.post(f"/meddelanden/{first.id}/markera-last", data={"page": "1"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/meddelanden/?page=1"
    html = client.get("/meddelanden/").get_data(as_text=True)
    assert _header_count(html) == "2" and html.count("notification-unread") == 2

    assert client.post("/meddelanden/markera-alla-lasta").status_code == 302
    html = client.get("/meddelanden/").get_data(as_text=True)
    assert _header_count(html) is None and "notification-unread" not in html


def test_marking_someone_elses_notification_is_a_404(client, session, auth) -> None:
    me, other = factories.user(session), factories.user(session)
    theirs = services.notify(session, other, kind="tip", title="Deras")
    session.commit()
    assert theirs is not None
    auth.login(me.email)
    assert client.post(f"/meddelanden/{theirs.id}/markera-last").status_code == 404
    assert client.post("/meddelanden/999999/markera-last").status_code == 404
    session.expire_all()
    assert services.count_unread(session, other) == 1


def test_the_page_is_paginated(client, session, auth) -> None:
    me = factories.user(session)
    _bulk_notifications(session, me, 45)
    session.commit()
    auth.login(me.email)
    first = client.get("/meddelanden/").get_data(as_text=True)
    assert first.count('<li class="notification') == 20
    third = client.get("/meddelanden/?page=3").get_data(as_text=True)
    assert third.count('<li class="notification') == 5
    assert _header_count(third) == "45"


def test_query_counts_do_not_grow_with_the_notifications(
    client, session, auth, count_queries
) -> None:
    me = factories.user(session)
    _bulk_notifications(session, me, 2)
    session.commit()
    auth.login(me.email)

    def measure() -> list[int]:
        counts = []
        for url in ("/", "/meddelanden/", "/meddelanden/?page=2", "/meddelanden/installningar"):
            with count_queries() as counter:
                assert client.get(url).status_code == 200, url
            counts.append(counter.count)
        return counts

    client.get("/")  # the first visit computes the start page's recommendations
    small = measure()
    _bulk_notifications(session, me, 60)
    session.commit()
    assert measure() == small
    # The notifications page: the user, the page's COUNT and rows, and the header's count.
    assert small[1] <= 4


def test_the_header_count_is_one_query_per_page(client, session, auth, count_queries) -> None:
    me = factories.user(session)
    _bulk_notifications(session, me, 3)
    session.commit()
    auth.login(me.email)
    for url in ("/", "/profile", "/katalog/", "/meddelanden/installningar"):
        with count_queries() as counter:
            html = client.get(url).get_data(as_text=True)
        assert _header_count(html) == "3", url
        unread = [s for s in counter.statements if "notifications.read_at IS NULL" in s]
        assert len(unread) == 1, url


def test_no_count_query_for_signed_out_pages(client, session, count_queries) -> None:
    with count_queries() as counter:
        assert client.get("/login").status_code == 200
    assert not any("notifications" in statement for statement in counter.statements)


def test_preferences_page_shows_and_saves_the_choice(client, session, auth) -> None:
    me = factories.user(session)
    session.commit()
    auth.login(me.email)
    html = client.get("/meddelanden/installningar").get_data(as_text=True)
    assert re.search(r'<input[^>]*checked[^>]*value="immediately"', html) or re.search(
        r'<input[^>]*value="immediately"[^>]*checked', html
    )
    assert "<fieldset" in html and "<legend>" in html
    response = client.post("/meddelanden/installningar", data={"mail_mode": "weekly"})
    assert response.status_code == 302
    session.expire_all()
    assert services.get_preference(session, me) == MailMode.WEEKLY
    html = client.get("/meddelanden/installningar").get_data(as_text=True)
    assert re.search(r'<input[^>]*value="weekly"[^>]*checked', html) or re.search(
        r'<input[^>]*checked[^>]*value="weekly"', html
    )


def test_preferences_refuse_an_unknown_mode(client, session, auth) -> None:
    me = factories.user(session)
    session.commit()
    auth.login(me.email)
    response = client.post("/meddelanden/installningar", data={"mail_mode": "hourly"})
    assert response.status_code == 200
    assert "aria-invalid" in response.get_data(as_text=True) or "field-error" in (
        response.get_data(as_text=True)
    )
    session.expire_all()
    assert services.get_preference(session, me) == MailMode.IMMEDIATELY


def test_the_profile_links_to_the_mail_settings(client, session, auth) -> None:
    me = factories.user(session)
    session.commit()
    auth.login(me.email)
    assert 'href="/meddelanden/installningar"' in client.get("/profile").get_data(as_text=True)


def test_the_pages_need_a_login(client, session) -> None:
    for path in ("/meddelanden/", "/meddelanden/installningar"):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_an_empty_list_explains_itself(client, session, auth) -> None:
    me = factories.user(session)
    session.commit()
    auth.login(me.email)
    html = client.get("/meddelanden/").get_data(as_text=True)
    assert "<ol" not in html and "/meddelanden/markera-alla-lasta" not in html
    assert _header_count(html) is None
