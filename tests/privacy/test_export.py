"""A person's data download (GDPR Art. 15/20): every table that refers to a user is covered
(the schema is introspected), only the person's own rows, never a secret, only for themselves."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select, update

from lms.accounts.mails import send_password_reset
from lms.core.audit import AuditEvent
from lms.core.outbox import OutboxEmail
from lms.privacy.export import (
    CHILD_TABLES,
    DENIED_COLUMNS,
    EXCLUDED_TABLES,
    OWNER_COLUMNS,
    actor_columns,
    build_personal_export,
    metadata_tables,
    owned_condition,
    user_reference_tables,
)
from tests import factories
from tests.privacy.footprint import BUILDERS, leave_footprint, shared_world

PAGE = "/mina-personuppgifter"
DOWNLOAD = "/mina-personuppgifter/hamta"


def _subject_tables() -> set[str]:
    """Tables whose rows are *about* a person (their record), and the closure of child tables
    under them. Authored work (revisions, uploads, rounds, theme months, audit) is not."""
    subject = {n for n, c in OWNER_COLUMNS.items() if c in ("user_id", "id")}
    return subject | set(CHILD_TABLES)


# --- the maps cover the schema (no database needed) -------------------------------------------


@pytest.mark.sqlite_only
def test_every_table_with_a_user_reference_is_exported_or_excluded_with_a_reason(app) -> None:
    placed = set(OWNER_COLUMNS) | set(CHILD_TABLES) | set(EXCLUDED_TABLES)
    missing = sorted(set(user_reference_tables()) - placed)
    assert missing == [], f"tables referencing users.id that the export does not place: {missing}"
    assert all(reason.strip() for reason in EXCLUDED_TABLES.values())
    tables = metadata_tables()
    for name, column in OWNER_COLUMNS.items():
        assert column in tables[name].c, f"{name}.{column} does not exist"


@pytest.mark.sqlite_only
def test_every_child_of_a_persons_rows_is_exported_or_excluded(app) -> None:
    # Indirect references: a table pointing at a row about the person (ratings → assessments,
    # feedback → completions, plan_goals → development_plans, goal_activities → plan_goals).
    subject = _subject_tables()
    unplaced = []
    for name, table in metadata_tables().items():
        parents = {fk.column.table.name for c in table.columns for fk in c.foreign_keys}
        if parents & subject and name not in (
            set(OWNER_COLUMNS) | set(CHILD_TABLES) | set(EXCLUDED_TABLES)
        ):
            unplaced.append(name)
    assert sorted(unplaced) == []
    for child, (column, parent) in CHILD_TABLES.items():
        fks = {fk.column.table.name for fk in metadata_tables()[child].c[column].foreign_keys}
        assert fks == {parent}, child


@pytest.mark.sqlite_only
def test_the_fixture_leaves_a_row_in_every_covered_table(app) -> None:
    covered = (set(user_reference_tables()) | set(CHILD_TABLES)) - set(EXCLUDED_TABLES)
    missing = sorted(covered - set(BUILDERS))
    assert missing == [], f"tests/privacy/footprint.py has no row builder for {missing}"


@pytest.mark.sqlite_only
def test_the_deny_list_names_real_columns(app) -> None:
    tables = metadata_tables()
    for table, column in DENIED_COLUMNS:
        assert column in tables[table].c, f"{table}.{column}"


# --- the download holds the person's rows and nobody else's -----------------------------------


@pytest.fixture
def people(session) -> dict[str, Any]:
    world = shared_world(session)
    boss = factories.user(session, name="Mona Chefsdotter", email="mona.chef@kultur.example.se")
    me = factories.user(session, name="Petra Personsson", manager=boss)
    other = factories.user(session, name="Quintus Annansson")
    mine = leave_footprint(session, me, world, "PETRA-TEXT")
    theirs = leave_footprint(session, other, world, "QUINTUS-TEXT")
    session.commit()
    return {"me": me, "other": other, "boss": boss, "mine": mine, "theirs": theirs, "w": world}


def _dump(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


def test_the_download_has_the_persons_rows_in_every_table_and_nobody_elses(session, people) -> None:
    me, other = people["me"], people["other"]
    data = build_personal_export(session, me)
    covered = (set(user_reference_tables()) | set(CHILD_TABLES)) - set(EXCLUDED_TABLES)
    empty = sorted(t for t in covered if not data["tables"].get(t))
    assert empty == [], f"the export has none of the person's rows in {empty}"
    for name, column in OWNER_COLUMNS.items():
        assert all(row[column] == me.id for row in data["tables"][name]), name
    text = _dump(data)
    assert "PETRA-TEXT" in text
    assert "QUINTUS-TEXT" not in text
    assert other.email not in text and other.name not in text
    # The manager appears by name (the person sees it on their profile), never by address.
    assert data["tables"]["users"][0]["manager"] == "Mona Chefsdotter"
    assert "manager_id" not in data["tables"]["users"][0]
    assert people["boss"].email not in text


def test_rows_where_the_person_only_acted_are_listed_without_the_other_persons_content(
    session, people
) -> None:
    me, other = people["me"], people["other"]
    expected = []
    for name, table in sorted(user_reference_tables().items()):
        for column in actor_columns(table):
            # Make `me` the actor (manager, reviewer, decider …) on the other person's rows.
            where = owned_condition(name, other.id)
            session.execute(update(table).where(where).values({column.name: me.id}))
            expected.append((name, column.name.removesuffix("_id")))
    session.commit()
    data = build_personal_export(session, me)
    acted = data["your_actions_on_records_of_others"]
    for name, role in expected:
        assert any(role in row["as"] for row in acted.get(name, [])), (name, role)
    text = _dump(data)
    assert "QUINTUS-TEXT" not in text
    assert other.email not in text and other.name not in text


def test_secrets_never_appear(session, app, people) -> None:
    me = people["me"]
    with app.test_request_context():
        send_password_reset(session, me)  # a mail whose body carries a live reset link
    session.commit()
    mail = session.scalars(
        select(OutboxEmail).where(OutboxEmail.user_id == me.id, OutboxEmail.kind.like("%reset%"))
    ).one()
    raw_link = mail.body_text.split("/reset/")[1].split()[0]
    data = build_personal_export(session, me)
    text = _dump(data)
    secrets = [me.password_hash, raw_link, *_secret_values(session, me.id)]
    assert all(s and s not in text for s in secrets)
    for table, column in DENIED_COLUMNS:
        for row in data["tables"].get(table, []):
            assert column not in row, f"{table}.{column}"


def _secret_values(session, user_id: int) -> list[str]:
    tables = metadata_tables()
    found = []
    for table, column in [("auth_tokens", "token_hash"), ("calendar_feeds", "token")]:
        t = tables[table]
        found += list(session.scalars(select(t.c[column]).where(t.c.user_id == user_id)))
    assert len(found) >= 3  # the footprint's token, the reset token, the feed token
    return found


def test_json_values_are_plain(session, people) -> None:
    data = build_personal_export(session, people["me"])
    assert json.loads(_dump(data)) == data  # dates, enums and decimals already converted
    row = data["tables"]["completions"][0]
    assert isinstance(row["completed_at"], str) and isinstance(row["completed_on"], str)


def test_the_query_count_does_not_grow_with_the_persons_rows(
    session, people, count_queries
) -> None:
    me = people["me"]
    with count_queries() as small:
        build_personal_export(session, me)
    for n in range(3):
        leave_footprint(session, me, shared_world(session), f"MORE-{n}", again=True)
    session.commit()
    with count_queries() as large:
        build_personal_export(session, me)
    assert large.count == small.count
    assert small.count <= len(user_reference_tables()) + len(CHILD_TABLES) + 25


# --- the page and the download ---------------------------------------------------------------


@pytest.mark.sqlite_only
def test_page_and_download_need_a_sign_in(client, auth) -> None:
    token = auth.csrf_token()  # a valid token of the signed-out session
    for response in (client.get(PAGE), client.post(DOWNLOAD, data={"csrf_token": token})):
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]


@pytest.mark.sqlite_only
def test_the_download_is_only_ever_the_signed_in_persons(session, client, auth, people) -> None:
    me, other = people["me"], people["other"]
    auth.login(me.email)
    page = client.get(PAGE)
    assert page.status_code == 200 and b"download-my-data" in page.data
    token = auth.csrf_token(PAGE)
    # Naming another person anywhere in the request changes nothing.
    response = client.post(
        f"{DOWNLOAD}?user_id={other.id}&user={other.email}",
        data={"csrf_token": token, "user_id": other.id, "email": other.email},
    )
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    assert "no-store" in response.headers.get("Cache-Control", "")
    data = json.loads(response.data)
    assert data["user_id"] == me.id
    assert "QUINTUS-TEXT" not in response.get_data(as_text=True)
    rules = [
        r for r in client.application.url_map.iter_rules() if r.endpoint.startswith("privacy.")
    ]
    mine = [r for r in rules if r.rule.startswith(PAGE)]
    assert mine and all(not r.arguments for r in mine)  # no URL can name another person
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "user.export")).one()
    assert (event.actor_id, event.object_id) == (me.id, str(me.id))


@pytest.mark.sqlite_only
def test_the_download_needs_the_csrf_token(client, auth, people) -> None:
    auth.login(people["me"].email)
    assert client.post(DOWNLOAD).status_code == 400
    assert client.post(DOWNLOAD, data={"csrf_token": "forged"}).status_code == 400


@pytest.mark.sqlite_only
def test_the_profile_links_to_the_page(client, auth, people) -> None:
    auth.login(people["me"].email)
    assert f'href="{PAGE}"'.encode() in client.get("/profile").data
