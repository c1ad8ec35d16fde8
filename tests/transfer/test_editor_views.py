"""The task editor and the follow-through page: wiring, permissions, messages and privacy."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.accounts.models import User
from lms.catalog.models import Activity
from lms.core.access import Permission
from lms.core.time import local_date, utcnow
from lms.progress.services import record_completion
from lms.transfer.models import TaskResponse, TransferTask
from lms.transfer.services import answer_follow_up, answer_pre_task
from tests import factories
from tests.catalog import factories as cf
from tests.catalog.conftest import sv
from tests.transfer import factories as tf

NOW = utcnow().replace(microsecond=0)


@pytest.fixture
def owner(session: Session) -> User:
    person = factories.user(session, name="Maria Lindqvist", permissions=Permission.COURSE_OWNER)
    session.commit()
    return person


@pytest.fixture
def activity(session: Session, owner: User) -> Activity:
    found = cf.activity(session, title="Säker e-post", slug="saker-e-post", owners=[owner])
    session.commit()
    return found


@pytest.fixture
def as_owner(auth: Any, owner: User, csrf_off: None) -> User:
    auth.login(owner.email)
    return owner


def text(response: Any) -> str:
    return html.unescape(str(response.get_data(as_text=True))).replace("\xa0", " ")


def tasks_of(session: Session, activity: Activity) -> list[TransferTask]:
    session.expire_all()
    stmt = select(TransferTask).where(TransferTask.activity_id == activity.id)
    return list(session.scalars(stmt.order_by(TransferTask.phase, TransferTask.position)))


def task_form(**changes: str) -> dict[str, str]:
    values = {
        "phase": "pre",
        "title": "Förbered dig",
        "kind": "reflection",
        "instructions": "Tänk på ett mejl du tvekade inför.",
        "prompt": "",
        "items": "",
        "due_days": "",
        "action": "save",
    }
    values.update(changes)
    return {key: value for key, value in values.items() if value is not None}


def plain(fragment: str) -> str:
    """The text of an HTML fragment, whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", fragment).split())


def row(page: str, title: str) -> list[str]:
    """The cells' text of the table row whose header cell holds `title`."""
    for found in re.findall(r"<tr>(.*?)</tr>", page, re.DOTALL):
        if title in found:
            cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", found, re.DOTALL)
            return [plain(cell) for cell in cells]
    raise AssertionError(f"no row for {title}")


# --- the task list and the forms -------------------------------------------------------------


def test_task_list_shows_both_phases_with_their_settings(
    client: FlaskClient, session: Session, activity: Activity, as_owner: User
) -> None:
    tf.task(session, activity, title="Läs på", required=True)
    tf.task(session, activity, phase="follow_up", kind="checklist", title="Pröva", due_days=21,
            shared=True, required=False)  # fmt: skip
    session.commit()

    page = text(client.get("/redigera/saker-e-post/uppgifter"))

    assert row(page, "Läs på")[2:6] == [sv("Reflection"), sv("Required"), sv("No"), "0"]
    cells = row(page, "Pröva")
    assert cells[2].startswith(sv("Checklist"))
    assert cells[3:6] == [sv("Optional"), sv("%(n)d days after completion", n=21), sv("Yes")]
    assert 'aria-current="page"' in page


def test_activity_edit_page_links_to_the_tasks_and_the_follow_through(
    client: FlaskClient, activity: Activity, as_owner: User
) -> None:
    page = text(client.get("/redigera/saker-e-post"))
    assert 'href="/redigera/saker-e-post/uppgifter"' in page
    assert 'href="/redigera/saker-e-post/overforing"' in page


def test_adding_a_task_saves_it_and_returns_to_the_list(
    client: FlaskClient, session: Session, activity: Activity, as_owner: User
) -> None:
    data = task_form(
        phase="follow_up", kind="checklist", title="Pröva", items="Provat\r\n\r\nBerättat\r\n",
        due_days="30", is_required="y", is_shared_with_owner="y",
    )  # fmt: skip

    response = client.post("/redigera/saker-e-post/uppgifter/ny", data=data)

    assert response.status_code == 302
    assert response.headers["Location"] == "/redigera/saker-e-post/uppgifter#follow-ups"
    [task] = tasks_of(session, activity)
    assert (task.phase, task.kind, task.items, task.due_days) == (
        "follow_up",
        "checklist",
        ["Provat", "Berättat"],
        30,
    )
    assert task.is_required and task.is_shared_with_owner
    assert sv("The task %(title)s was added.", title="Pröva") in text(client.get(response.location))


def test_new_task_page_preselects_the_phase(
    client: FlaskClient, activity: Activity, as_owner: User
) -> None:
    page = text(client.get("/redigera/saker-e-post/uppgifter/ny?fas=follow_up"))
    assert re.search(r'<input checked id="phase-1"[^>]*value="follow_up"', page)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"title": ""}, "A title is required."),
        ({"kind": "checklist"}, "A checklist has 1 to %(n)d items, one a line."),
        ({"due_days": "5"}, "A pre-task has no due date: it is done before the activity."),
        ({"phase": "follow_up"}, "Give the number of days after completion the follow-up is due."),
        ({"phase": "follow_up", "due_days": "400"}, "Between 1 and %(n)d days."),
        ({"instructions": "Se ![](https://example.se/a.png)"}, "has no alt text"),
    ],
    ids=["title", "items", "pre due days", "follow-up due days", "due days range", "markdown"],
)
def test_bad_input_shows_the_form_again_with_the_reason_and_saves_nothing(
    client: FlaskClient,
    session: Session,
    activity: Activity,
    as_owner: User,
    changes: dict[str, str],
    message: str,
) -> None:
    response = client.post("/redigera/saker-e-post/uppgifter/ny", data=task_form(**changes))

    assert response.status_code == 200
    page = text(response)
    limit = 20 if "items" in message else 365
    assert (message if "alt text" in message else sv(message, n=limit)) in page
    assert 'class="error-summary"' in page
    assert tasks_of(session, activity) == []


def test_preview_shows_the_instructions_and_saves_nothing(
    client: FlaskClient, session: Session, activity: Activity, as_owner: User
) -> None:
    data = task_form(instructions="Läs **noga**.", action="preview")

    page = text(client.post("/redigera/saker-e-post/uppgifter/ny", data=data))

    assert "<strong>noga</strong>" in page
    assert tasks_of(session, activity) == []


def test_editing_a_task_shows_and_saves_its_values(
    client: FlaskClient, session: Session, activity: Activity, as_owner: User
) -> None:
    task = tf.task(session, activity, phase="follow_up", title="Pröva", due_days=14)
    session.commit()
    url = f"/redigera/saker-e-post/uppgifter/{task.id}"

    page = text(client.get(url))
    assert 'value="Pröva"' in page and 'value="14"' in page

    data = task_form(phase="pre", title="Pröva på jobbet", due_days="21")
    response = client.post(url, data=data)

    assert response.status_code == 302
    [saved] = tasks_of(session, activity)
    assert (saved.title, saved.due_days, saved.phase) == ("Pröva på jobbet", 21, "follow_up")


def test_editing_a_pre_task_has_no_due_days_and_explains_the_fixed_phase(
    client: FlaskClient, session: Session, activity: Activity, as_owner: User
) -> None:
    task = tf.task(session, activity)
    session.commit()

    page = text(client.get(f"/redigera/saker-e-post/uppgifter/{task.id}"))

    assert 'name="due_days"' not in page and 'name="phase"' not in page
    assert (
        sv(
            "A task stays before or after the activity: its answers belong there. "
            "To change it, add a new task instead."
        )
        in page
    )


def test_a_refused_change_keeps_the_input_and_changes_nothing(
    client: FlaskClient, session: Session, activity: Activity, as_owner: User
) -> None:
    task = tf.task(session, activity, kind="checklist", title="Lista")
    answer_pre_task(session, factories.user(session), task, checked=[0], now=NOW)
    session.commit()

    data = task_form(title="Lista 2", kind="reflection")
    page = text(client.post(f"/redigera/saker-e-post/uppgifter/{task.id}", data=data))

    assert sv("People have answered this task, so its kind cannot change.") in page
    assert 'value="Lista 2"' in page
    assert [(t.title, t.kind) for t in tasks_of(session, activity)] == [("Lista", "checklist")]


def test_delete_and_move_by_post(
    client: FlaskClient, session: Session, activity: Activity, as_owner: User
) -> None:
    a = tf.task(session, activity, title="A", position=0)
    tf.task(session, activity, title="B", position=1)
    c = tf.task(session, activity, title="C", position=2)
    session.commit()
    base = "/redigera/saker-e-post/uppgifter"

    moved = client.post(f"{base}/{c.id}/flytta", data={"direction": "up"})
    deleted = client.post(f"{base}/{a.id}/ta-bort")

    assert moved.status_code == deleted.status_code == 302
    assert [(t.title, t.position) for t in tasks_of(session, activity)] == [("C", 0), ("B", 1)]
    assert client.post(f"{base}/{c.id}/flytta", data={"direction": "x"}).status_code == 400


def test_deleting_an_answered_task_is_refused_with_the_reason(
    client: FlaskClient, session: Session, activity: Activity, as_owner: User
) -> None:
    task = tf.task(session, activity, title="Läs på")
    answer_pre_task(session, factories.user(session), task, text="Klart", now=NOW)
    session.commit()

    response = client.post(f"/redigera/saker-e-post/uppgifter/{task.id}/ta-bort")

    assert response.status_code == 302
    page = text(client.get(response.location))
    assert (
        sv(
            "People have answered this task, so it cannot be deleted: their answers would be "
            "lost. Make it optional instead."
        )
        in page
    )
    assert len(tasks_of(session, activity)) == 1


def test_post_without_a_csrf_token_is_refused(
    client: FlaskClient, session: Session, auth: Any, owner: User, activity: Activity
) -> None:
    auth.login(owner.email)

    response = client.post("/redigera/saker-e-post/uppgifter/ny", data=task_form())

    assert response.status_code == 400
    assert tasks_of(session, activity) == []


def test_unknown_activity_or_task_is_404(
    client: FlaskClient, session: Session, owner: User, activity: Activity, as_owner: User
) -> None:
    elsewhere = cf.activity(session, owners=[owner])
    foreign = tf.task(session, elsewhere)
    session.commit()

    for url in (
        "/redigera/finns-inte/uppgifter",
        "/redigera/finns-inte/uppgifter/ny",
        "/redigera/finns-inte/overforing",
        "/redigera/saker-e-post/uppgifter/999999",
        f"/redigera/saker-e-post/uppgifter/{foreign.id}",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/redigera/saker-e-post/uppgifter/{foreign.id}/ta-bort").status_code == 404


def test_course_owner_of_another_activity_gets_403(
    client: FlaskClient, session: Session, auth: Any, activity: Activity, csrf_off: None
) -> None:
    task = tf.task(session, activity)
    stranger = factories.user(session, permissions=Permission.COURSE_OWNER)
    cf.activity(session, owners=[stranger])
    session.commit()
    auth.login(stranger.email)
    base = "/redigera/saker-e-post"

    for method, url in [
        ("GET", f"{base}/uppgifter"),
        ("GET", f"{base}/uppgifter/ny"),
        ("POST", f"{base}/uppgifter/ny"),
        ("GET", f"{base}/uppgifter/{task.id}"),
        ("POST", f"{base}/uppgifter/{task.id}/ta-bort"),
        ("POST", f"{base}/uppgifter/{task.id}/flytta"),
        ("GET", f"{base}/overforing"),
    ]:
        assert client.open(url, method=method, data=task_form()).status_code == 403, url
    assert len(tasks_of(session, activity)) == 1


def test_employee_gets_403(
    client: FlaskClient, session: Session, auth: Any, activity: Activity
) -> None:
    employee = factories.user(session)
    session.commit()
    auth.login(employee.email)
    assert client.get("/redigera/saker-e-post/uppgifter").status_code == 403
    assert client.get(f"/redigera/{WORKSHOP}/overforing").status_code == 403


# --- the follow-through page -----------------------------------------------------------------


WORKSHOP = "workshop-om-mejl"


def _workshop(session: Session, owner: User, slug: str = WORKSHOP) -> tuple[Activity, Any]:
    """A workshop owned by `owner` whose one session started 30 days ago."""
    found = cf.activity(session, slug=slug, format="workshop", delivery="physical", owners=[owner])
    occurrence = cf.session_of(session, found, starts_at=NOW - timedelta(days=30), minutes=120)
    return found, occurrence


def _attend(session: Session, person: User, activity: Activity, occurrence: Any) -> None:
    record_completion(
        session, person, occurrence_key=f"session:{occurrence.id}", activity=activity,
        session_id=occurrence.id, minutes=120, source="attendance",
        completed_at=occurrence.ends_at,
    )  # fmt: skip


def _follow_up_of(session: Session, person: User, task: TransferTask) -> TaskResponse:
    stmt = select(TaskResponse).where(
        TaskResponse.user_id == person.id, TaskResponse.task_id == task.id
    )
    return session.scalars(stmt).one()


@pytest.fixture
def three_participants(session: Session, owner: User) -> dict[str, Any]:
    """Three attended a session 30 days ago: two prepared in time; one follow-up on time,
    one late, one overdue. Pre-tasks are private, follow-ups shared with the owners."""
    activity, occurrence = _workshop(session, owner)
    pre = tf.task(session, activity, title="Läs på", shared=False)
    follow = tf.task(session, activity, phase="follow_up", title="Pröva", due_days=14, shared=True)
    a, b, c = (factories.user(session, name=name) for name in ("Anna", "Bertil", "Cecilia"))
    start = occurrence.starts_at
    answer_pre_task(
        session, a, pre, text="Annas privata förberedelsesvar", now=start - timedelta(days=2)
    )
    answer_pre_task(
        session, b, pre, text="Bertils privata förberedelsesvar", now=start - timedelta(days=1)
    )
    for person in (a, b, c):
        _attend(session, person, activity, occurrence)
    answer_pre_task(
        session, c, pre, text="Cecilias privata förberedelsesvar", now=start + timedelta(days=1)
    )
    answer_follow_up(
        session,
        a,
        _follow_up_of(session, a, follow),
        text="Det gick <b>bra</b>.\nAndra raden.",
        now=start + timedelta(days=5),
    )
    answer_follow_up(session, b, _follow_up_of(session, b, follow),
                     text="Sent men klart.", now=start + timedelta(days=20))  # fmt: skip
    session.commit()
    return {"activity": activity, "completed_on": local_date(occurrence.ends_at)}


def test_follow_through_figures_are_right(
    client: FlaskClient, three_participants: dict[str, Any], as_owner: User
) -> None:
    page = text(client.get(f"/redigera/{WORKSHOP}/overforing"))

    stats = plain(page.split('class="stats')[1].split("</ul>")[0])
    assert re.search(r"\b3 " + re.escape(sv("participants completed the activity")), stats)
    assert "67 % " + sv("did the pre-tasks before taking part") in stats
    assert sv("%(n)d of %(total)d", n=2, total=3) in stats
    assert "33 % " + sv("of the follow-ups were done by the due date") in stats
    assert "1 " + sv("follow-ups are overdue") in stats
    assert row(page, "Läs på")[1:] == [sv("Pre-task"), "3", "0", "–"]
    assert row(page, "Pröva")[1:] == [sv("Follow-up"), "2", "0", "1"]


def test_owner_reads_shared_answers_but_not_private_ones(
    client: FlaskClient, three_participants: dict[str, Any], as_owner: User
) -> None:
    raw = str(client.get(f"/redigera/{WORKSHOP}/overforing").get_data(as_text=True))

    assert "Det gick &lt;b&gt;bra&lt;/b&gt;.\nAndra raden." in raw
    assert "Sent men klart." in raw and "Anna" in raw and "Bertil" in raw
    assert "privata förberedelsesvar" not in raw


def test_owner_does_not_see_the_name_of_a_person_with_protected_identity(
    client: FlaskClient, session: Session, three_participants: dict[str, Any], as_owner: User
) -> None:
    bertil = session.scalars(select(User).where(User.name == "Bertil")).one()
    bertil.is_protected_identity = True
    session.commit()

    page = text(client.get(f"/redigera/{WORKSHOP}/overforing"))

    assert "Sent men klart." in page and "Bertil" not in page
    assert sv("A participant (name withheld)") in page


def test_coordinator_sees_the_counts_but_no_answers(
    client: FlaskClient,
    session: Session,
    auth: Any,
    three_participants: dict[str, Any],
) -> None:
    coordinator = factories.user(session, permissions=Permission.COORDINATOR)
    session.commit()
    auth.login(coordinator.email)

    page = text(client.get(f"/redigera/{WORKSHOP}/overforing"))

    assert row(page, "Pröva")[1:] == [sv("Follow-up"), "2", "0", "1"]
    assert "&lt;b&gt;bra" not in page and "Sent men klart" not in page
    assert "privata förberedelsesvar" not in page
    assert (
        sv(
            "Only the activity's owners can read the answers participants share with them. "
            "You see the counts above."
        )
        in page
    )


def test_period_filter_counts_only_completions_in_it(
    client: FlaskClient, three_participants: dict[str, Any], as_owner: User
) -> None:
    done = three_participants["completed_on"]
    inside = f"?start={done - timedelta(days=1)}&end={done + timedelta(days=1)}"
    before = f"?end={done - timedelta(days=3)}"

    page_inside = text(client.get(f"/redigera/{WORKSHOP}/overforing{inside}"))
    page_before = text(client.get(f"/redigera/{WORKSHOP}/overforing{before}"))

    assert row(page_inside, "Pröva")[2:] == ["2", "0", "1"]
    assert row(page_before, "Pröva")[2:] == ["0", "0", "0"]
    assert "Det gick" not in page_before
    assert page_before.count(">–<") >= 2


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("start=igår", "Write the date as YYYY-MM-DD, like 2026-03-01."),
        ("start=2026-02-30", "Write the date as YYYY-MM-DD, like 2026-03-01."),
        ("end=0001-01-01", "Choose a date between 2000 and 2100."),
        ("start=2026-03-10&end=2026-03-01", "The end date comes before the start date."),
    ],
)
def test_bad_period_shows_a_clear_error(
    client: FlaskClient, activity: Activity, as_owner: User, query: str, message: str
) -> None:
    response = client.get(f"/redigera/saker-e-post/overforing?{query}")

    assert response.status_code == 200
    assert sv(message) in text(response)
    assert sv("All completions so far") in text(response)


def _participants(session: Session, owner: User, slug: str, n: int) -> None:
    activity, occurrence = _workshop(session, owner, slug)
    pre = tf.task(session, activity, title="Läs på")
    follow = tf.task(session, activity, phase="follow_up", title="Pröva", shared=True)
    checklist = tf.task(session, activity, phase="follow_up", kind="checklist", title="Lista",
                        shared=True, position=1)  # fmt: skip
    for index in range(n):
        person = factories.user(session)
        answer_pre_task(session, person, pre, text="Förberedd", now=NOW - timedelta(days=40))
        _attend(session, person, activity, occurrence)
        answer_follow_up(session, person, _follow_up_of(session, person, follow),
                         text=f"Reflektion nummer {index}", now=NOW)  # fmt: skip
        answer_follow_up(session, person, _follow_up_of(session, person, checklist),
                         checked=[0], now=NOW)  # fmt: skip


def test_follow_through_page_runs_the_same_queries_for_1_and_10_answers(
    client: FlaskClient, session: Session, owner: User, as_owner: User, count_queries: Any
) -> None:
    _participants(session, owner, "en", 1)
    _participants(session, owner, "tio", 10)
    session.commit()

    with count_queries() as few:
        page_one = text(client.get("/redigera/en/overforing"))
    with count_queries() as many:
        page_ten = text(client.get("/redigera/tio/overforing"))

    assert page_one.count("Reflektion nummer ") == 1 and page_ten.count("Reflektion nummer ") == 10
    assert few.count == many.count, (few.statements, many.statements)


def test_follow_through_of_a_self_paced_activity(
    client: FlaskClient, session: Session, activity: Activity, as_owner: User
) -> None:
    pre = tf.task(session, activity, title="Läs på")
    person = factories.user(session)
    answer_pre_task(session, person, pre, text="Förberedd", now=NOW - timedelta(days=2))
    record_completion(
        session, person, occurrence_key=f"activity:{activity.id}", activity=activity,
        minutes=10, source="catalogue", completed_at=NOW - timedelta(days=1),
    )  # fmt: skip
    session.commit()

    response = client.get("/redigera/saker-e-post/overforing")

    assert response.status_code == 200
    assert "100 % " + sv("did the pre-tasks before taking part") in plain(text(response))
