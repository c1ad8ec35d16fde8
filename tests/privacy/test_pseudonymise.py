"""Pseudonymising a departed person: the ESF figures stay byte-identical, nothing joinable to
their name or e-mail is left anywhere in the database, login is impossible, admin-only."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from sqlalchemy import JSON, String, Text, cast, func, select

from lms.accounts import services as accounts
from lms.accounts.models import User
from lms.core.access import Permission
from lms.core.audit import AuditEvent
from lms.core.errors import ValidationError
from lms.core.outbox import enqueue_email
from lms.notify.models import Notification
from lms.privacy.export import owned_condition
from lms.privacy.schema import all_tables
from lms.privacy.services import StillActive, pseudonymise_person
from lms.reports.esf_report import build_esf_report
from lms.reports.esf_summary import rebuild_programme
from tests import factories
from tests.privacy.footprint import leave_footprint, shared_world
from tests.reports import esf_builders as esf

NAME = "Astrid Lindqvist"
EMAIL = "astrid.lindqvist@kultur.example.se"
LOCAL = "astrid.lindqvist"
NEIGHBOUR = "Bo Lindqvist"  # shares a surname: must be left alone
CLEARED = [
    ("ratings", "comment"),
    ("assessments", "conversation_notes"),
    ("assessments", "follow_up_notes"),
    ("plan_goals", "note"),
    ("learning_requests", "text"),
    ("external_learning", "description"),
    ("task_responses", "text"),
    ("task_responses", "manager_note"),
    ("feedback", "comment"),
    ("accessibility_reports", "contact_email"),
]


@pytest.fixture
def history(session) -> dict[str, Any]:
    """The hand-built ESF scenario, plus Astrid: counted hours in the period, an approved
    conference, a row in every table and her name in other people's mail and notifications."""
    sc = esf.scenario(session)
    library = sc.departments["Stadsbiblioteket"]
    chef = sc.extra["chef"]
    astrid = factories.user(session, name=NAME, email=EMAIL, dept=library, manager=chef)
    bo = factories.user(session, name=NEIGHBOUR, email="bo.lindqvist@kultur.example.se")
    esf.complete(session, astrid, date(2024, 3, 12), 75, "catalogue", sc.activities["nano"])
    esf.complete(session, astrid, date(2024, 4, 9), 120, "attendance", sc.activities["workshop"])
    esf._external(session, astrid, chef, date(2024, 5, 6), "1,5", approve=True)
    leave_footprint(session, astrid, shared_world(session), tag=f"{NAME} skrev")
    mention = f"{NAME} ({EMAIL}) har avslutat sin anställning; fråga {LOCAL} eller {NEIGHBOUR}."
    session.add(Notification(user_id=chef.id, kind="note", title=NAME, body=mention))
    enqueue_email(session, to=chef.email, subject=f"Om {NAME}", body_text=mention, kind="x")
    kultur = sc.organisations["Kulturförvaltningen"]
    lyft = esf.programme(session, date(2024, 1, 1), date(2024, 12, 31), organisations=[kultur])
    rebuild_programme(session, lyft)
    admin = factories.admin(session)
    session.commit()
    return {"sc": sc, "astrid": astrid, "bo": bo, "chef": chef, "programme": lyft, "admin": admin}


def _reports(session, programme) -> str:
    assert programme.summary_built_at is not None  # the summary-backed path
    reports = {
        "programme": build_esf_report(session, programme=programme),
        "period": build_esf_report(session, date_from=esf.PERIOD[0], date_to=esf.PERIOD[1]),
    }
    return json.dumps(reports, sort_keys=True, ensure_ascii=False, default=str)


def _hits(session, needle: str) -> list[str]:
    """Every text column of every table (introspected) that contains `needle`."""
    found = []
    for name, table in sorted(all_tables().items()):
        for column in table.columns:
            if isinstance(column.type, String | Text | JSON):
                text = func.lower(cast(column, Text))
                stmt = select(func.count()).select_from(table).where(text.contains(needle.lower()))
                if session.scalar(stmt):
                    found.append(f"{name}.{column.name}")
    return found


def _depart(session, history) -> User:
    astrid = history["astrid"]
    accounts.set_active(session, history["admin"], astrid, False)
    session.commit()
    return astrid


def test_esf_stays_byte_identical_and_nothing_is_left_to_join(session, history) -> None:
    before = _reports(session, history["programme"])
    astrid = _depart(session, history)
    for needle in (NAME, EMAIL, LOCAL):
        assert _hits(session, needle), needle  # the search can find her before
    result = pseudonymise_person(session, history["admin"], astrid)
    session.commit()
    session.expire_all()
    assert _reports(session, history["programme"]) == before
    for needle in (NAME, EMAIL, LOCAL):
        assert _hits(session, needle) == [], needle
    assert "notifications" in result.swept and "outbox_emails" in result.swept
    # Texts written by or about her are emptied, not merely renamed.
    assert result.cleared["ratings"] >= 1 and result.cleared["task_responses"] >= 1
    for table, column in CLEARED:
        t = all_tables()[table]
        texts = session.scalars(select(t.c[column]).where(owned_condition(table, astrid.id)))
        assert set(texts) <= {"", None}, f"{table}.{column}"
    # Her row keeps what the reports count; the neighbour keeps his name.
    astrid = session.get(User, astrid.id)
    assert astrid.gender == "woman" and astrid.department_id is not None
    assert astrid.email.endswith("@invalid") and astrid.password_hash is None
    assert session.get(User, history["bo"].id).name == NEIGHBOUR
    chef_note = session.scalars(select(Notification).where(Notification.kind == "note")).one()
    assert NEIGHBOUR in chef_note.body and astrid.name in chef_note.body


def test_it_is_audited_without_the_name_and_idempotent(session, history) -> None:
    astrid = _depart(session, history)
    pseudonymise_person(session, history["admin"], astrid)
    session.commit()
    pseudonym = astrid.email
    again = pseudonymise_person(session, history["admin"], astrid)
    session.commit()
    assert again.already_done and astrid.email == pseudonym
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "user.pseudonymise")
    ).all()
    assert len(events) == 1
    assert (events[0].actor_id, events[0].object_id) == (history["admin"].id, str(astrid.id))
    assert NAME not in events[0].details and LOCAL not in events[0].details


def test_an_active_person_is_refused_and_nothing_changes(session, history) -> None:
    astrid = history["astrid"]
    with pytest.raises(StillActive):
        pseudonymise_person(session, history["admin"], astrid)
    session.rollback()
    assert session.get(User, astrid.id).email == EMAIL
    assert not astrid.is_pseudonymised


# --- over HTTP -------------------------------------------------------------------------------


def _url(user: User) -> str:
    return f"/admin/users/{user.id}/pseudonymise"


@pytest.mark.sqlite_only
def test_old_credentials_and_old_session_are_refused(session, app, history) -> None:
    astrid_client = app.test_client()
    from tests.conftest import Auth

    astrid_auth = Auth(astrid_client)
    astrid_auth.login(EMAIL)
    assert astrid_client.get("/profile").status_code == 200
    old_version = history["astrid"].session_version
    # Deactivation alone is not enough here: pseudonymise a person whose cookie is still
    # current (the version is put back), so the bump of pseudonymisation itself is proven.
    astrid = history["astrid"]
    astrid.is_active = False
    session.commit()
    pseudonymise_person(session, history["admin"], astrid)
    astrid.is_active = True  # even a wrongly reactivated account keeps the old cookie out
    session.commit()
    assert astrid.session_version > old_version
    assert astrid_client.get("/profile").status_code == 302
    fresh = app.test_client()
    Auth(fresh).login(EMAIL)
    assert fresh.get("/profile").status_code == 302


@pytest.mark.sqlite_only
def test_only_admins_with_the_csrf_token_pseudonymise(session, client, auth, history) -> None:
    astrid = _depart(session, history)
    coordinator = factories.user(session, permissions=Permission.COORDINATOR | Permission.MANAGER)
    session.commit()
    auth.login(coordinator.email)
    token = auth.csrf_token()
    assert client.post(_url(astrid), data={"csrf_token": token}).status_code == 403
    auth.logout()
    auth.login(history["admin"].email)
    page = client.get(_url(astrid))
    assert page.status_code == 200 and b"confirm-pseudonymise" in page.data
    assert client.post(_url(astrid)).status_code == 400
    assert client.post(_url(astrid), data={"csrf_token": "forged"}).status_code == 400
    session.expire_all()
    assert session.get(User, astrid.id).email == EMAIL  # the GET and refused POSTs wrote nothing
    done = client.post(_url(astrid), data={"csrf_token": auth.csrf_token()})
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/users/{astrid.id}")
    session.expire_all()
    assert session.get(User, astrid.id).is_pseudonymised
    assert b"pseudonymise-link" not in client.get(f"/admin/users/{astrid.id}").data


@pytest.mark.sqlite_only
def test_the_admin_page_offers_it_only_for_deactivated_people(session, client, auth, history):
    auth.login(history["admin"].email)
    astrid = history["astrid"]
    assert b"pseudonymise-link" not in client.get(f"/admin/users/{astrid.id}").data
    page = client.get(_url(astrid))
    assert b"still-active" in page.data and b"confirm-pseudonymise" not in page.data
    refused = client.post(_url(astrid), data={"csrf_token": auth.csrf_token()})
    assert refused.status_code == 302
    session.expire_all()
    assert session.get(User, astrid.id).email == EMAIL
    _depart(session, history)
    assert b"pseudonymise-link" in client.get(f"/admin/users/{astrid.id}").data


@pytest.mark.sqlite_only
def test_the_commands_export_and_pseudonymise(session, app, history, tmp_path) -> None:
    runner = app.test_cli_runner()
    out = tmp_path / "astrid.json"
    result = runner.invoke(args=["lms", "privacy", "export", "--user", EMAIL, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["user_id"] == history["astrid"].id
    refused = runner.invoke(args=["lms", "privacy", "pseudonymise", "--user", EMAIL])
    assert refused.exit_code != 0 and "--yes" in refused.output
    active = runner.invoke(args=["lms", "privacy", "pseudonymise", "--user", EMAIL, "--yes"])
    assert active.exit_code != 0
    _depart(session, history)
    done = runner.invoke(args=["lms", "privacy", "pseudonymise", "--user", EMAIL, "--yes"])
    assert done.exit_code == 0, done.output
    session.expire_all()
    assert session.get(User, history["astrid"].id).is_pseudonymised


def test_a_pseudonymised_person_cannot_be_reactivated(session, client, auth, history) -> None:
    """Bringing the account back would hand a nameless login to whoever gets a password."""
    admin = history["admin"]
    astrid = _depart(session, history)
    pseudonymise_person(session, admin, astrid)
    session.commit()
    with pytest.raises(ValidationError):
        accounts.set_active(session, admin, astrid, True)
    auth.login(admin.email)
    page = client.get(f"/admin/users/{astrid.id}").get_data(as_text=True)
    assert 'name="active" value="1"' not in page
    client.post(
        f"/admin/users/{astrid.id}/active", data={"active": "1", "csrf_token": auth.csrf_token()}
    )
    session.expire_all()
    assert session.get(User, astrid.id).is_active is False
