"""My tasks, answering a task, a manager's confirmation, and pre-task refusals on the pages."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lms.accounts.models import User
from lms.catalog.models import Activity, ActivitySession
from lms.catalog.schedule import sync_seats
from lms.core.access import Permission
from lms.core.time import local_date, utcnow
from lms.notify.models import Notification
from lms.progress.models import Booking, Completion, Enrolment
from lms.transfer.models import PRE_SCOPE, TaskResponse, TransferTask
from lms.transfer.services import answer_follow_up, answer_pre_task
from tests import factories
from tests.catalog import factories as cf
from tests.catalog.conftest import sv
from tests.conftest import Auth
from tests.transfer import factories as tf

REFLECTION = "Jag ska prova att sammanfatta remissvar med AI."


@pytest.fixture
def org(session: Session) -> dict[str, User]:
    """Boss → manager → employee; other_manager → outsider; a coordinator, an owner, a colleague."""
    boss = factories.user(session, name="Bo Chef", permissions=Permission.MANAGER)
    manager = factories.user(
        session, name="Maja Chef", permissions=Permission.MANAGER, manager=boss
    )
    employee = factories.user(session, name="Eva Anställd", manager=manager)
    colleague = factories.user(session, name="Cecilia Kollega", manager=manager)
    other_manager = factories.user(session, name="Olle Chef", permissions=Permission.MANAGER)
    outsider = factories.user(session, name="Ulla Annan", manager=other_manager)
    coordinator = factories.user(
        session, name="Kim Samordnare", permissions=Permission.COORDINATOR | Permission.ADMIN
    )
    owner = factories.user(session, name="Ola Ägare", permissions=Permission.COURSE_OWNER)
    return {
        "boss": boss, "manager": manager, "employee": employee, "colleague": colleague,
        "other_manager": other_manager, "outsider": outsider, "coordinator": coordinator,
        "owner": owner,
    }  # fmt: skip


def _login(auth: Auth, session: Session, user: User) -> None:
    session.commit()
    assert auth.login(user.email).status_code == 302


def _text(response: Any) -> str:
    html = response.get_data(as_text=True)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def _count(session: Session, model: type, **where: object) -> int:
    stmt = select(func.count()).select_from(model).filter_by(**where)
    return int(session.scalar(stmt) or 0)


def _follow_ups(
    session: Session, user: User, activity: Activity, *, days_ago: int
) -> list[TaskResponse]:
    """Complete `activity` `days_ago` days ago: its follow-ups open (due after 14 days)."""
    return tf.complete(session, user, activity, at=utcnow() - timedelta(days=days_ago))


def _scheduled(session: Session, title: str, **kw: Any) -> tuple[Activity, ActivitySession]:
    activity = cf.activity(session, title=title, format="workshop", delivery="physical", **kw)
    occurrence = cf.session_of(session, activity, starts_in=timedelta(days=10))
    sync_seats(session, occurrence)
    return activity, occurrence


def _book(session: Session, user: User, occurrence: ActivitySession) -> None:
    session.add(Booking(session_id=occurrence.id, user_id=user.id, status="booked", seat=1))
    session.flush()


def _next_field(html: str) -> str:
    """The value of the answer form's hidden `next` field."""
    match = re.search(r'<input id="next" name="next" type="hidden" value="([^"]*)">', html)
    assert match is not None
    return unescape(match.group(1))


def _groups(html: str) -> dict[str, str]:
    """Each activity's section of My tasks, by the section's id (to-do-<id> or done-<id>)."""
    parts = re.split(r'<section class="card task-group[^"]*" aria-labelledby="([^"]+)">', html)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


# --- My tasks --------------------------------------------------------------------------------


def test_my_tasks_shows_due_overdue_and_done_grouped_by_activity(
    session: Session, org: dict[str, User], client: FlaskClient, auth: Auth
) -> None:
    employee = org["employee"]
    late = cf.activity(session, title="Sen kurs")
    tf.task(
        session,
        late,
        phase="follow_up",
        title="Prova i vardagen",
        instructions="Gör det **en gång** i veckan.<script>alert(1)</script>",
    )
    tf.task(session, late, phase="follow_up", title="Berätta för en kollega", position=1)
    soon = cf.activity(session, title="Ny kurs")
    tf.task(session, soon, phase="follow_up", title="Första uppföljningen")
    workshop, occurrence = _scheduled(session, "Workshop om AI")
    tf.task(session, workshop, title="Läs på innan", instructions="Läs [rutinen](/katalog).")
    _book(session, employee, occurrence)
    _, told = _follow_ups(session, employee, late, days_ago=20)
    answer_follow_up(session, employee, told, text="Klart.", now=utcnow())
    _follow_ups(session, employee, soon, days_ago=2)
    _login(auth, session, employee)

    response = client.get("/uppgifter/")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    groups = _groups(html)
    assert list(groups) == [
        f"to-do-{late.id}",
        f"to-do-{workshop.id}",
        f"to-do-{soon.id}",
        f"done-{late.id}",
    ]
    overdue = groups[f"to-do-{late.id}"]
    assert "Prova i vardagen" in overdue and sv("Overdue") in overdue
    assert "Berätta för en kollega" not in overdue
    assert "Gör det <strong>en gång</strong> i veckan." in overdue
    assert "<script>" not in html
    prepare = groups[f"to-do-{workshop.id}"]
    assert "Läs på innan" in prepare and sv("To prepare") in prepare
    assert '<a href="/katalog" rel="noopener noreferrer">rutinen</a>' in prepare
    task_id = session.scalar(select(TransferTask.id).where(TransferTask.title == "Läs på innan"))
    assert f"/uppgifter/fore/{task_id}?next=/uppgifter/" in prepare
    due = groups[f"to-do-{soon.id}"]
    assert "Första uppföljningen" in due and sv("To do") in due
    due_on = local_date(utcnow()) + timedelta(days=12)
    assert str(due_on.year) in due
    done = groups[f"done-{late.id}"]
    assert "Berätta för en kollega" in done and sv("Done") in done
    assert f"/uppgifter/svar/{told.id}" in done
    assert 'aria-current="page">' + sv("My tasks") in html


def test_my_tasks_says_when_there_is_nothing_to_do(
    session: Session, org: dict[str, User], client: FlaskClient, auth: Auth
) -> None:
    _login(auth, session, org["employee"])
    text = _text(client.get("/uppgifter/"))
    assert (
        sv(
            "Nothing to do right now. Tasks appear here when you book or start an activity "
            "that has them."
        )
        in text
    )
    assert sv("Nothing done yet.") in text
    client.post("/logout", data={"csrf_token": auth.csrf_token()})
    assert client.get("/uppgifter/").status_code == 302  # to the login page


# --- answering a pre-task --------------------------------------------------------------------


def test_answering_a_pre_task_returns_to_next(
    session: Session, org: dict[str, User], client: FlaskClient, auth: Auth, csrf_off: None
) -> None:
    activity = cf.activity(session, title="Nätfiske", slug="natfiske")
    task = tf.task(
        session,
        activity,
        title="Tänk på ett mejl",
        prompt="Vilket mejl lurade dig?",
        instructions="Fundera på **ett** exempel.",
    )
    _login(auth, session, org["employee"])
    url = f"/uppgifter/fore/{task.id}"

    page = client.get(url + "?next=/bokningar/kalender")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Tänk på ett mejl" in html and "Fundera på <strong>ett</strong> exempel." in html
    assert "Vilket mejl lurade dig?" in html  # the prompt labels the text field
    assert _next_field(html) == "/bokningar/kalender"

    response = client.post(url, data={"text": REFLECTION, "next": "/katalog/natfiske#pre-tasks"})

    assert response.status_code == 302
    assert response.headers["Location"] == "/katalog/natfiske#pre-tasks"
    saved = session.scalars(select(TaskResponse).where(TaskResponse.task_id == task.id)).one()
    assert (saved.scope, saved.status, saved.text) == (PRE_SCOPE, "done", REFLECTION)
    assert sv("Saved. The task is done.") in _text(client.get("/katalog/natfiske"))


@pytest.mark.parametrize(
    "unsafe", ["//evil.example", "https://evil.example/", "/\\evil.example", "%2F%2Fevil.example"]
)
def test_an_unsafe_next_is_ignored(
    session: Session,
    org: dict[str, User],
    client: FlaskClient,
    auth: Auth,
    csrf_off: None,
    unsafe: str,
) -> None:
    activity = cf.activity(session, slug=f"kurs-{abs(hash(unsafe))}")
    task = tf.task(session, activity)
    _login(auth, session, org["employee"])
    url = f"/uppgifter/fore/{task.id}"

    page = client.get(f"{url}?next={quote(unsafe)}").get_data(as_text=True)
    assert _next_field(page) == ""
    response = client.post(url, data={"text": REFLECTION, "next": unsafe})

    assert response.status_code == 302
    assert response.headers["Location"] == f"/katalog/{activity.slug}"


def test_an_empty_reflection_is_refused_and_nothing_is_saved(
    session: Session, org: dict[str, User], client: FlaskClient, auth: Auth, csrf_off: None
) -> None:
    task = tf.task(session, cf.activity(session))
    _login(auth, session, org["employee"])

    response = client.post(f"/uppgifter/fore/{task.id}", data={"text": "   "})

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert sv("Write your reflection before you save.") in unescape(html)
    assert 'aria-invalid="true"' in html
    assert _count(session, TaskResponse, task_id=task.id) == 0


def test_a_partly_ticked_checklist_is_saved_as_open(
    session: Session, org: dict[str, User], client: FlaskClient, auth: Auth, csrf_off: None
) -> None:
    items = ("Läs policyn", "Byt lösenord", "Aktivera tvåstegsinloggning")
    task = tf.task(session, cf.activity(session), kind="checklist", items=items)
    _login(auth, session, org["employee"])
    url = f"/uppgifter/fore/{task.id}"
    html = client.get(url).get_data(as_text=True)
    assert "<fieldset" in html and "<legend>" + sv("Tick what you have done") in html
    assert html.count('type="checkbox"') == 3

    client.post(url, data={"checked": ["0", "2"]})

    saved = session.scalars(select(TaskResponse).where(TaskResponse.task_id == task.id)).one()
    assert (saved.status, saved.checked) == ("open", [0, 2])
    assert sv("Saved. Tick the rest when you have done them.") in _text(client.get("/uppgifter/"))
    again = client.get(url).get_data(as_text=True)  # the ticks are kept on the form
    ticked = re.findall(r'<input checked[^>]*value="(\d)"', again)
    assert ticked == ["0", "2"]

    assert client.post(url, data={"checked": ["0", "1", "2"]}).status_code == 302
    session.refresh(saved)
    assert (saved.status, saved.checked) == ("done", [0, 1, 2])
    refused = client.post(url, data={"checked": ["7"]})
    assert refused.status_code == 200
    session.refresh(saved)
    assert saved.checked == [0, 1, 2]


def test_a_pre_task_page_is_404_unless_a_published_activitys_pre_task(
    session: Session, org: dict[str, User], client: FlaskClient, auth: Auth
) -> None:
    published = cf.activity(session)
    follow_up = tf.task(session, published, phase="follow_up")
    draft_task = tf.task(session, cf.activity(session, status="draft"))
    archived_task = tf.task(session, cf.activity(session, status="archived"))
    _login(auth, session, org["employee"])
    for task_id in (follow_up.id, draft_task.id, archived_task.id, 10**9):
        assert client.get(f"/uppgifter/fore/{task_id}").status_code == 404, task_id


def test_a_pre_task_post_without_csrf_token_is_refused(
    session: Session, org: dict[str, User], client: FlaskClient, auth: Auth
) -> None:
    task = tf.task(session, cf.activity(session))
    _login(auth, session, org["employee"])

    response = client.post(f"/uppgifter/fore/{task.id}", data={"text": REFLECTION})

    assert response.status_code == 400
    assert _count(session, TaskResponse, task_id=task.id) == 0


# --- the activity page -----------------------------------------------------------------------


def test_activity_page_links_each_pre_task_and_shows_what_is_done(
    session: Session, org: dict[str, User], client: FlaskClient, auth: Auth
) -> None:
    activity = cf.activity(session, slug="forbered-dig")
    first = tf.task(session, activity, title="Skriv en rad")
    second = tf.task(session, activity, title="Titta på filmen", required=False, position=1)
    third = tf.task(session, activity, kind="checklist", title="Checka av", position=2)
    answer_pre_task(session, org["employee"], first, text=REFLECTION, now=utcnow())
    answer_pre_task(session, org["employee"], third, checked=[1], now=utcnow())
    _login(auth, session, org["employee"])

    html = client.get("/katalog/forbered-dig").get_data(as_text=True)

    section = html.split('id="pre-tasks-heading"')[1].split("</section>")[0]
    assert sv("Required") in section and sv("Optional") in section
    assert f"/uppgifter/fore/{second.id}?next=/katalog/forbered-dig" in section
    items = section.split("<li")[1:]
    assert sv("Done") in items[0] and sv("Do the task") not in items[0]
    assert sv("Do the task") in items[1] and sv("Done") not in items[1]
    assert sv("Started") in items[2] and sv("Continue the task") in items[2]


# --- answering a follow-up and confirming ----------------------------------------------------


def test_the_author_answers_a_follow_up(
    session: Session, org: dict[str, User], client: FlaskClient, auth: Auth, csrf_off: None
) -> None:
    activity = cf.activity(session)
    tf.task(session, activity, phase="follow_up", title="Hur gick det?")
    (follow_up,) = _follow_ups(session, org["employee"], activity, days_ago=1)
    _login(auth, session, org["employee"])
    url = f"/uppgifter/svar/{follow_up.id}"
    assert "<textarea" in client.get(url).get_data(as_text=True)

    response = client.post(url, data={"text": REFLECTION})

    assert (response.status_code, response.headers["Location"]) == (302, "/uppgifter/")
    session.refresh(follow_up)
    assert (follow_up.status, follow_up.text) == ("done", REFLECTION)
    assert follow_up.done_at is not None


def _held_conversation(session: Session, org: dict[str, User]) -> TaskResponse:
    activity = cf.activity(session, title="Ledarskap och AI", owners=[org["owner"]])
    tf.task(session, activity, phase="follow_up", kind="manager", title="Prata med din chef")
    (talk,) = _follow_ups(session, org["employee"], activity, days_ago=1)
    return talk


def test_manager_confirms_a_held_conversation(
    session: Session, org: dict[str, User], client: FlaskClient, auth: Auth, csrf_off: None
) -> None:
    talk = _held_conversation(session, org)
    _login(auth, session, org["employee"])
    url = f"/uppgifter/svar/{talk.id}"
    page = client.get(url).get_data(as_text=True)
    assert sv("Mark the conversation as held") in page
    client.post(url, data={"text": "Vi bestämde att jag testar i april."})
    session.refresh(talk)
    assert talk.status == "awaiting_manager"
    assert sv("Awaiting your manager") in _text(client.get("/uppgifter/"))
    client.post("/logout", data={"csrf_token": auth.csrf_token()})

    _login(auth, session, org["manager"])
    page = client.get(url)
    text = _text(page)
    assert page.status_code == 200
    assert "Vi bestämde att jag testar i april." in text and "Eva Anställd" in text
    assert f'action="/uppgifter/svar/{talk.id}/bekrafta"' in page.get_data(as_text=True)
    assert client.post(url, data={"text": "Ändrat av chefen"}).status_code == 403

    response = client.post(f"{url}/bekrafta", data={"note": "Bra samtal!", "next": url})

    assert (response.status_code, response.headers["Location"]) == (302, url)
    session.refresh(talk)
    assert (talk.status, talk.confirmed_by_id, talk.manager_note) == (
        "done",
        org["manager"].id,
        "Bra samtal!",
    )
    assert talk.text == "Vi bestämde att jag testar i april."
    kinds = session.scalars(
        select(Notification.kind).where(Notification.user_id == org["employee"].id)
    ).all()
    assert "task_confirmed" in kinds
    assert 'bekrafta"' not in client.get(url).get_data(as_text=True)


@pytest.mark.parametrize("viewer", ["other_manager", "coordinator", "colleague", "outsider"])
def test_nobody_else_learns_that_an_answer_exists(
    session: Session,
    org: dict[str, User],
    client: FlaskClient,
    auth: Auth,
    csrf_off: None,
    viewer: str,
) -> None:
    talk = _held_conversation(session, org)
    answer_follow_up(session, org["employee"], talk, text="Hemligt", now=utcnow())
    _login(auth, session, org[viewer])

    seen = client.get(f"/uppgifter/svar/{talk.id}")
    missing = client.get("/uppgifter/svar/999999999")
    confirm = client.post(f"/uppgifter/svar/{talk.id}/bekrafta", data={"note": "x"})

    assert seen.status_code == missing.status_code == confirm.status_code == 404
    # The same page but for the address itself (the language switch returns to it).
    assert seen.get_data(as_text=True).replace(f"svar/{talk.id}", "svar/N") == missing.get_data(
        as_text=True
    ).replace("svar/999999999", "svar/N")
    session.refresh(talk)
    assert talk.status == "awaiting_manager"


def test_the_owner_reads_an_answer_only_when_the_task_is_shared(
    session: Session, org: dict[str, User], client: FlaskClient, auth: Auth, csrf_off: None
) -> None:
    activity = cf.activity(session, owners=[org["owner"]])
    tf.task(session, activity, phase="follow_up", title="Privat")
    tf.task(
        session, activity, phase="follow_up", kind="manager", title="Delad", shared=True, position=1
    )
    private, shared = _follow_ups(session, org["employee"], activity, days_ago=1)
    answer_follow_up(session, org["employee"], private, text="Bara för chefen", now=utcnow())
    answer_follow_up(session, org["employee"], shared, text="Får delas", now=utcnow())
    _login(auth, session, org["owner"])

    assert client.get(f"/uppgifter/svar/{private.id}").status_code == 404
    page = client.get(f"/uppgifter/svar/{shared.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Får delas" in html
    assert "<textarea" not in html and "bekrafta" not in html  # read-only, no confirmation
    refused = client.post(f"/uppgifter/svar/{shared.id}/bekrafta", data={"note": ""})
    assert refused.status_code == 403
    session.refresh(shared)
    assert shared.status == "awaiting_manager"


# --- the team page ---------------------------------------------------------------------------


def test_team_page_lists_counts_and_conversations_to_confirm(
    session: Session, org: dict[str, User], client: FlaskClient, auth: Auth, csrf_off: None
) -> None:
    talk = _held_conversation(session, org)
    answer_follow_up(session, org["employee"], talk, text="Vi har pratat.", now=utcnow())
    late = cf.activity(session, title="Sen")
    tf.task(session, late, phase="follow_up")
    _follow_ups(session, org["employee"], late, days_ago=30)
    _follow_ups(session, org["outsider"], late, days_ago=30)
    _login(auth, session, org["manager"])

    html = client.get("/uppgifter/team").get_data(as_text=True)

    rows = {
        name: cells
        for name, cells in re.findall(r'<th scope="row">([^<]+)</th>(.*?)</tr>', html, re.S)
    }
    assert set(rows) == {"Eva Anställd", "Cecilia Kollega"}
    assert re.findall(r"<td[^>]*>(\d+)</td>", rows["Eva Anställd"]) == ["2", "1"]
    assert re.findall(r"<td[^>]*>(\d+)</td>", rows["Cecilia Kollega"]) == ["0", "0"]
    assert "Ulla Annan" not in html
    assert "Eva Anställd: Prata med din chef" in html and "Vi har pratat." in html
    assert f'action="/uppgifter/svar/{talk.id}/bekrafta"' in html

    response = client.post(
        f"/uppgifter/svar/{talk.id}/bekrafta", data={"note": "", "next": "/uppgifter/team"}
    )

    assert response.headers["Location"] == "/uppgifter/team"
    after = client.get("/uppgifter/team").get_data(as_text=True)
    assert sv("Nothing is waiting for your confirmation.") in unescape(after)
    session.refresh(talk)
    assert talk.status == "done"


def test_team_page_is_for_managers(
    session: Session, org: dict[str, User], client: FlaskClient, auth: Auth
) -> None:
    _login(auth, session, org["employee"])
    assert client.get("/uppgifter/team").status_code == 403


# --- pre-task refusals on the progress pages -------------------------------------------------


def _refusal_link(html: str, task: TransferTask, back: str) -> bool:
    """Whether the flashed refusal links to `task` with `back` as the page to return to."""
    flashes = "".join(re.findall(r'<p class="flash flash-error">.*?</p>', html, re.S))
    hrefs = re.findall(r'<a href="([^"]+)">', flashes)
    return any(
        urlsplit(unescape(href)).path == f"/uppgifter/fore/{task.id}"
        and parse_qs(urlsplit(unescape(href)).query).get("next") == [back]
        for href in hrefs
    )


def test_starting_or_completing_without_the_pre_task_links_to_it(
    session: Session, org: dict[str, User], client: FlaskClient, auth: Auth, csrf_off: None
) -> None:
    activity = cf.activity(session, title="Kurs <b>fet</b>", slug="nano", format="nanolesson")
    task = tf.task(session, activity, title="Läs <i>först</i>")
    _login(auth, session, org["employee"])

    for path in ("/larande/nano/starta", "/larande/nano/klar"):
        response = client.post(path)
        assert (response.status_code, response.headers["Location"]) == (302, "/katalog/nano")
        html = client.get("/katalog/nano").get_data(as_text=True)
        assert _refusal_link(html, task, "/katalog/nano"), path
        assert "Läs &lt;i&gt;först&lt;/i&gt;</a>" in html and "<i>först" not in html
        assert "Kurs &lt;b&gt;fet&lt;/b&gt;" in html and "<b>fet" not in html
    assert _count(session, Enrolment, user_id=org["employee"].id) == 0
    assert _count(session, Completion, user_id=org["employee"].id) == 0

    client.post(f"/uppgifter/fore/{task.id}", data={"text": REFLECTION, "next": "/katalog/nano"})
    assert client.post("/larande/nano/starta").status_code == 302
    assert _count(session, Enrolment, user_id=org["employee"].id) == 1


def test_booking_without_the_pre_task_links_to_it_and_books_nothing(
    session: Session, org: dict[str, User], client: FlaskClient, auth: Auth, csrf_off: None
) -> None:
    activity, occurrence = _scheduled(session, "Workshop", slug="workshop")
    task = tf.task(session, activity, title="Inför workshoppen")
    _login(auth, session, org["employee"])

    response = client.post(f"/bokningar/tillfalle/{occurrence.id}/boka")

    assert response.headers["Location"] == "/katalog/workshop"
    html = client.get("/katalog/workshop").get_data(as_text=True)
    assert _refusal_link(html, task, "/katalog/workshop")
    assert _count(session, Booking, user_id=org["employee"].id) == 0


def test_a_lesson_refusal_returns_to_the_lesson(
    session: Session, org: dict[str, User], client: FlaskClient, auth: Auth, csrf_off: None
) -> None:
    course = cf.activity(session, slug="kursen", format="course")
    cf.lesson(session, course, title="Första", slug="forsta")
    task = tf.task(session, course)
    _login(auth, session, org["employee"])

    response = client.post("/larande/kursen/forsta/klar")

    assert response.headers["Location"] == "/katalog/kursen/forsta"
    html = client.get("/katalog/kursen/forsta").get_data(as_text=True)
    assert _refusal_link(html, task, "/katalog/kursen/forsta")


# --- query counts ----------------------------------------------------------------------------


def _tasks_of(session: Session, user: User, n: int) -> None:
    for i in range(n):
        activity = cf.activity(session, title=f"Kurs {i}")
        tf.task(session, activity, phase="follow_up", instructions=f"Steg **{i}**")
        tf.task(session, activity, phase="follow_up", kind="checklist", position=1)
        tf.task(session, activity, title=f"Inför {i}")
        _follow_ups(session, user, activity, days_ago=i * 4)
        _, occurrence = _scheduled(session, f"Workshop {i}")
        tf.task(session, occurrence.activity, title=f"Inför workshop {i}")
        _book(session, user, occurrence)


def test_my_tasks_runs_the_same_queries_for_one_or_ten_activities(
    session: Session, org: dict[str, User], client: FlaskClient, auth: Auth, count_queries: Any
) -> None:
    _tasks_of(session, org["employee"], 1)
    _login(auth, session, org["employee"])
    client.get("/uppgifter/")  # warm up the caches of the first request
    with count_queries() as one:
        assert client.get("/uppgifter/").status_code == 200
    _tasks_of(session, org["employee"], 9)
    session.commit()
    with count_queries() as ten:
        html = client.get("/uppgifter/").get_data(as_text=True)
    assert html.count('class="card task-group"') == 20
    assert one.count == ten.count


def test_team_page_runs_the_same_queries_for_one_or_many_reports(
    session: Session, org: dict[str, User], client: FlaskClient, auth: Auth, count_queries: Any
) -> None:
    talk = _held_conversation(session, org)
    answer_follow_up(session, org["employee"], talk, text="Klart", now=utcnow())
    _login(auth, session, org["boss"])
    client.get("/uppgifter/team")
    with count_queries() as few:
        assert client.get("/uppgifter/team").status_code == 200
    for i in range(5):
        person = factories.user(session, manager=org["manager"], name=f"Ny {i}")
        activity = cf.activity(session)
        tf.task(session, activity, phase="follow_up", kind="manager")
        (held,) = _follow_ups(session, person, activity, days_ago=i)
        answer_follow_up(session, person, held, text="Klart", now=utcnow())
    session.commit()
    with count_queries() as many:
        html = client.get("/uppgifter/team").get_data(as_text=True)
    assert html.count("/bekrafta") == 6
    assert few.count == many.count


def test_my_learning_shows_each_completions_transfer_status(
    session: Session, org: dict[str, User], client: FlaskClient, auth: Auth
) -> None:
    """Mitt lärande: overdue, to do and followed up, each from the counted follow-ups."""
    late = cf.activity(session, title="Skydda personuppgifter")
    tf.task(session, late, phase="follow_up", title="Efter två veckor")
    fresh = cf.activity(session, title="Starka lösenord")
    tf.task(session, fresh, phase="follow_up", title="Byt ett lösenord")
    answered = cf.activity(session, title="Mappstruktur och filnamn")
    tf.task(session, answered, phase="follow_up", title="Städa en mapp")
    plain = cf.activity(session, title="Zoom för nybörjare")
    employee = org["employee"]
    _follow_ups(session, employee, late, days_ago=20)  # due after 14 days: overdue
    _follow_ups(session, employee, fresh, days_ago=1)
    (done,) = _follow_ups(session, employee, answered, days_ago=3)
    answer_follow_up(session, employee, done, text=REFLECTION, now=utcnow())
    _follow_ups(session, employee, plain, days_ago=2)  # no follow-ups at all
    _login(auth, session, employee)

    page = _text(client.get("/mitt-larande/"))

    def status_of(title: str) -> str:
        match = re.search(re.escape(title) + r" \S+ [\d,]+ (.+?) (?:Ge återkoppling|Tack)", page)
        assert match, page
        return match.group(1)

    assert status_of("Skydda personuppgifter") == sv("Follow-up overdue")
    assert status_of("Starka lösenord") == sv("Follow-up to do")
    assert status_of("Mappstruktur och filnamn") == sv("Followed up")
    assert status_of("Zoom för nybörjare") == "–"
