"""Saving activities for later: the rules, the pages, and telling savers of new sessions."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lms.accounts.models import User
from lms.catalog import saved
from lms.catalog.models import Activity, SavedActivity
from lms.catalog.schedule import SessionData, add_session
from lms.core.access import Permission
from lms.core.errors import NotFound
from lms.core.outbox import OutboxEmail
from lms.notify.models import MailMode, Notification
from lms.notify.services import set_mail_mode
from tests import factories
from tests.catalog import factories as cf
from tests.catalog.conftest import sv

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def rows(session: Session, user: User) -> list[int]:
    stmt = select(SavedActivity.activity_id).where(SavedActivity.user_id == user.id)
    return list(session.scalars(stmt.order_by(SavedActivity.activity_id)))


def notifications(session: Session, user: User) -> list[Notification]:
    stmt = select(Notification).where(Notification.user_id == user.id)
    return list(session.scalars(stmt.order_by(Notification.id)))


def page_text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


# --- the rules -------------------------------------------------------------------------------


def test_saving_twice_keeps_one_row_and_removing_is_idempotent(session: Session) -> None:
    person = factories.user(session)
    activity = cf.activity(session, title="Känn igen nätfiske")
    first = saved.save_for_later(session, person, activity, now=NOW)
    again = saved.save_for_later(session, person, activity, now=NOW + timedelta(hours=1))
    assert again is first and again.created_at == NOW
    assert rows(session, person) == [activity.id]
    assert saved.is_saved(session, person, activity)
    assert saved.remove_saved(session, person, activity) is True
    assert saved.remove_saved(session, person, activity) is False
    assert rows(session, person) == [] and not saved.is_saved(session, person, activity)


@pytest.mark.parametrize("status", ["draft", "archived"])
def test_only_published_activities_can_be_saved(session: Session, status: str) -> None:
    person = factories.user(session)
    activity = cf.activity(session, status=status)
    with pytest.raises(NotFound):
        saved.save_for_later(session, person, activity)
    assert rows(session, person) == []
    assert saved.get_saved_target(session, person, activity.slug) is None


def test_an_activity_unpublished_after_saving_can_still_be_removed(session: Session) -> None:
    person = factories.user(session)
    activity = cf.activity(session)
    saved.save_for_later(session, person, activity)
    activity.status = "archived"
    session.flush()
    assert saved.get_saved_target(session, person, activity.slug) is activity
    assert saved.get_saved_target(session, factories.user(session), activity.slug) is None
    assert saved.list_saved(session, person) == [] and saved.count_saved(session, person) == 0


def test_the_list_is_newest_first_with_the_next_session(session: Session) -> None:
    person, other = factories.user(session), factories.user(session)
    workshop = cf.activity(session, title="Workshop", format="workshop")
    cf.session_of(session, workshop, starts_in=timedelta(days=9), now=NOW)
    soonest = cf.session_of(session, workshop, starts_in=timedelta(days=2), now=NOW)
    cf.session_of(session, workshop, starts_in=timedelta(days=1), now=NOW, cancelled=True)
    nano = cf.activity(session, title="Nano")
    saved.save_for_later(session, person, workshop, now=NOW - timedelta(days=1))
    saved.save_for_later(session, person, nano, now=NOW)
    saved.save_for_later(session, other, cf.activity(session, title="Någon annans"))
    entries = saved.list_saved(session, person, now=NOW)
    assert [(e.activity.title, e.next_session_at) for e in entries] == [
        ("Nano", None),
        ("Workshop", soonest.starts_at),
    ]
    assert [e.activity.title for e in saved.list_saved(session, person, limit=1, now=NOW)] == [
        "Nano"
    ]
    assert saved.count_saved(session, person) == 2


# --- telling the savers of a new session -----------------------------------------------------


@pytest.fixture
def owner(session: Session) -> User:
    return factories.user(session, name="Maria Lindqvist", permissions=Permission.COURSE_OWNER)


@pytest.fixture
def workshop(session: Session, owner: User) -> Activity:
    return cf.activity(session, title="AI i vardagen", format="workshop", owners=[owner])


def add(session: Session, owner: User, activity: Activity, day: datetime) -> Any:
    data = SessionData(
        starts_at=day, ends_at=day + timedelta(hours=2), place="Sal 2", online_url=None, capacity=10
    )
    return add_session(session, owner, activity, data, now=NOW)


def test_a_new_session_tells_each_saver_once(
    session: Session, owner: User, workshop: Activity
) -> None:
    ada, bo, gone, never = (factories.user(session) for _ in range(4))
    for person in (ada, bo, gone, owner):
        saved.save_for_later(session, person, workshop)
    gone.is_active = False
    session.flush()
    first = add(session, owner, workshop, datetime(2026, 12, 3, 12, 0, tzinfo=UTC))
    [note] = notifications(session, ada)
    assert note.kind == "saved_activity_session"
    assert note.title == sv(
        "New session: %(title)s on %(date)s", title="AI i vardagen", date="3 december"
    )
    assert note.link == f"/katalog/{workshop.slug}"
    assert note.dedupe_key == f"saved-session:{first.id}:{ada.id}"
    assert "13:00" in note.body and "Sal 2" in note.body  # Stockholm time
    assert len(notifications(session, bo)) == 1
    assert notifications(session, gone) == [] and notifications(session, never) == []
    assert notifications(session, owner) == []  # who added it knows

    assert saved.notify_savers(session, [first], actor=owner, now=NOW) == 0  # once per session
    add(session, owner, workshop, datetime(2027, 1, 15, 12, 0, tzinfo=UTC))
    titles = [n.title for n in notifications(session, ada)]
    assert titles[1] == sv(
        "New session: %(title)s on %(date)s", title="AI i vardagen", date="15 januari 2027"
    )
    assert len(notifications(session, bo)) == 2


def test_people_who_removed_it_are_not_told(
    session: Session, owner: User, workshop: Activity
) -> None:
    ada, bo = factories.user(session), factories.user(session)
    saved.save_for_later(session, ada, workshop)
    saved.save_for_later(session, bo, workshop)
    saved.remove_saved(session, bo, workshop)
    add(session, owner, workshop, datetime(2026, 12, 3, 12, 0, tzinfo=UTC))
    assert len(notifications(session, ada)) == 1 and notifications(session, bo) == []


def test_the_mail_follows_each_savers_preference(
    session: Session, owner: User, workshop: Activity
) -> None:
    at_once, weekly = factories.user(session), factories.user(session)
    set_mail_mode(session, weekly, MailMode.WEEKLY)
    for person in (at_once, weekly):
        saved.save_for_later(session, person, workshop)
    add(session, owner, workshop, datetime(2026, 12, 3, 12, 0, tzinfo=UTC))

    def mails(person: User) -> int:
        stmt = select(func.count()).where(OutboxEmail.user_id == person.id)
        return int(session.scalar(stmt) or 0)

    assert mails(at_once) == 1 and mails(weekly) == 0
    [note] = notifications(session, weekly)
    assert note.is_digest_pending


def test_a_batch_of_slots_gives_one_notification_and_drafts_none(
    session: Session, owner: User, workshop: Activity
) -> None:
    ada = factories.user(session)
    saved.save_for_later(session, ada, workshop)
    slots = [
        add_session(
            session,
            owner,
            workshop,
            SessionData(
                starts_at=datetime(2026, 12, d, 9, 0, tzinfo=UTC),
                ends_at=datetime(2026, 12, d, 10, 0, tzinfo=UTC),
                place="Rum 1",
                online_url=None,
                capacity=1,
            ),
            now=NOW,
            tell_savers=False,
        )
        for d in (8, 1, 15)
    ]
    assert notifications(session, ada) == []
    assert saved.notify_savers(session, slots, actor=owner, now=NOW) == 1
    [note] = notifications(session, ada)
    assert "1 december" in note.title and note.dedupe_key == f"saved-session:{slots[1].id}:{ada.id}"
    workshop.status = "draft"
    session.flush()
    add(session, owner, workshop, datetime(2026, 12, 20, 12, 0, tzinfo=UTC))
    assert len(notifications(session, ada)) == 1


def test_the_savers_are_loaded_in_one_query(
    session: Session, workshop: Activity, count_queries: Any
) -> None:
    people = [factories.user(session) for _ in range(6)]
    for person in people:
        saved.save_for_later(session, person, workshop)
    session.expunge_all()
    activity = session.get(Activity, workshop.id)
    assert activity is not None
    with count_queries() as counter:
        savers = saved.list_savers(session, activity)
        [(p.email, p.language, p.is_active) for p in savers]
    assert counter.count == 1 and len(savers) == 6


# --- the pages -------------------------------------------------------------------------------


@pytest.fixture
def person(session: Session, auth: Any) -> User:
    created = factories.user(session, name="Fatima Ahmed")
    session.commit()
    assert auth.login(created.email).status_code == 302
    return created


@pytest.fixture
def phishing(session: Session) -> Activity:
    activity = cf.activity(
        session,
        slug="kanna-igen-natfiske",
        title="Känn igen nätfiske",
        competences={"4.1": 1.0, "2.1": 0.5},
        subjects=["digital-arbetsplats"],
    )
    session.commit()
    return activity


def test_saving_needs_a_csrf_token_and_a_sign_in(
    client: FlaskClient, session: Session, auth: Any, phishing: Activity
) -> None:
    response = client.get("/sparat/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.post("/sparat/kanna-igen-natfiske/spara").status_code == 400
    person = factories.user(session)
    session.commit()
    auth.login(person.email)
    assert client.post("/sparat/kanna-igen-natfiske/spara").status_code == 400
    assert client.get("/sparat/kanna-igen-natfiske/spara").status_code == 405
    assert rows(session, person) == []


@pytest.mark.usefixtures("csrf_off")
def test_save_and_remove_from_the_activity_page(
    client: FlaskClient, session: Session, person: User, phishing: Activity
) -> None:
    html = client.get("/katalog/kanna-igen-natfiske").get_data(as_text=True)
    assert 'action="/sparat/kanna-igen-natfiske/spara"' in html
    assert sv("Save for later") in html
    for _ in range(2):
        response = client.post("/sparat/kanna-igen-natfiske/spara")
        assert response.status_code == 302
        assert response.headers["Location"].endswith("/katalog/kanna-igen-natfiske")
    assert rows(session, person) == [phishing.id]
    html = client.get("/katalog/kanna-igen-natfiske").get_data(as_text=True)
    assert 'action="/sparat/kanna-igen-natfiske/ta-bort"' in html
    assert sv("Saved – remove") in html and 'href="/sparat/"' in html

    response = client.post(
        "/sparat/kanna-igen-natfiske/ta-bort", data={"next": "https://evil.example/"}
    )
    assert response.headers["Location"].endswith("/katalog/kanna-igen-natfiske")
    assert rows(session, person) == []


@pytest.mark.usefixtures("csrf_off")
def test_drafts_and_unknown_activities_cannot_be_saved(
    client: FlaskClient, session: Session, auth: Any
) -> None:
    editor = factories.user(session, permissions=Permission.COORDINATOR)
    cf.activity(session, slug="utkast", status="draft")
    session.commit()
    auth.login(editor.email)
    assert client.post("/sparat/utkast/spara").status_code == 404
    assert client.post("/sparat/utkast/ta-bort").status_code == 404
    assert client.post("/sparat/finns-inte/spara").status_code == 404
    assert rows(session, editor) == []
    html = client.get("/katalog/utkast").get_data(as_text=True)
    assert "/sparat/utkast/spara" not in html  # no button on a draft's preview


@pytest.mark.usefixtures("csrf_off")
def test_the_saved_list_shows_each_with_a_remove_button(
    client: FlaskClient, session: Session, person: User, phishing: Activity
) -> None:
    empty = client.get("/sparat/").get_data(as_text=True)
    assert sv("Browse the catalogue") in page_text(empty)
    assert 'href="/katalog/"' in empty
    workshop = cf.activity(session, title="Workshop om AI", format="workshop", slug="ai-workshop")
    occurrence = cf.session_of(session, workshop, starts_at=datetime(2031, 3, 4, 12, tzinfo=UTC))
    lecture = cf.activity(session, title="Föreläsning utan datum", format="lecture")
    for activity in (phishing, workshop, lecture):
        saved.save_for_later(session, person, activity)
    session.commit()
    html = client.get("/sparat/").get_data(as_text=True)
    text = page_text(html)
    assert "Känn igen nätfiske" in text and sv("Nano-lesson") in text
    assert "Workshop om AI" in text and "4 mars 2031" in text
    assert occurrence.starts_at.isoformat() in html
    assert sv("No sessions planned yet") in text
    assert len(re.findall(r'action="/sparat/[^"]+/ta-bort"', html)) == 3
    response = client.post("/sparat/ai-workshop/ta-bort", data={"next": "/sparat/"})
    assert response.headers["Location"].endswith("/sparat/")
    after = client.get("/sparat/").get_data(as_text=True)
    assert sv("%(title)s is no longer saved.", title="Workshop om AI") in after  # the flash
    assert "/sparat/ai-workshop/ta-bort" not in after and "Känn igen nätfiske" in after


def test_the_activity_page_links_its_subjects_and_competence_areas(
    client: FlaskClient, person: User, phishing: Activity
) -> None:
    html = client.get("/katalog/kanna-igen-natfiske").get_data(as_text=True)
    assert 'href="/amnen/digital-arbetsplats"' in html
    assert 'href="/omraden/4"' in html and 'href="/omraden/2"' in html
    assert html.count('href="/omraden/4"') == 1
