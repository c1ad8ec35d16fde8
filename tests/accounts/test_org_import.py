"""The organisation CSV import: parsing rules, all-or-nothing validation, idempotent upsert."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lms.accounts.models import AuthToken, Department, Gender, JobRole, Organisation, User
from lms.accounts.org_import import (
    ImportFailed,
    ImportResult,
    find_cycles,
    import_organisation,
    parse_organisation_csv,
)
from lms.config import REPO_ROOT
from lms.core.access import Permission
from lms.core.audit import AuditEvent
from lms.core.db import db
from lms.core.outbox import OutboxEmail
from tests import factories

DEMO = REPO_ROOT / "content" / "demo" / "organisation.csv"
HEADER = "email,name,organisation,department,job_role,manager_email,gender,permissions"
ORG = "Testkommunen"
COUNTED = (User, Organisation, Department, JobRole, OutboxEmail, AuthToken, AuditEvent)


def row(
    email: str,
    *,
    name: str = "",
    org: str = ORG,
    dept: str = "Biblioteket",
    role: str = "Bibliotekarie",
    manager: str = "",
    gender: str = "kvinna",
    permissions: str = "",
) -> str:
    name = name or email.split("@")[0].replace(".", " ").title()
    return ",".join([email, name, org, dept, role, manager, gender, permissions])


def csv_text(*rows: str, header: str = HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


def write(tmp_path: Path, text: str, name: str = "org.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def counts(session: Session) -> dict[str, int]:
    return {m.__name__: session.scalar(select(func.count()).select_from(m)) or 0 for m in COUNTED}


def user_by_email(session: Session, email: str) -> User:
    found = session.scalar(select(User).where(User.email == email))
    assert found is not None, email
    return found


def team() -> list[str]:
    """A boss, two reports and a grand-report, listed before their managers on purpose."""
    return [
        row("cilla@test.example.se", manager="bo@test.example.se"),
        row("bo@test.example.se", manager="anna@test.example.se", permissions="manager"),
        row("dan@test.example.se", manager="anna@test.example.se", dept="Kulturskolan"),
        row("anna@test.example.se", permissions="manager;admin", dept="Ledningen", role="Chef"),
    ]


# --- parse_organisation_csv: pure, no database ---------------------------------------------------


def test_parse_demo_file_without_errors() -> None:
    rows, errors = parse_organisation_csv(DEMO.read_text(encoding="utf-8"), "organisation.csv")
    assert errors == []
    assert len(rows) == 63
    assert rows[0].line == 2 and rows[-1].line == 64


def test_parse_reads_values_and_maps_gender_permissions_and_protection() -> None:
    text = csv_text(
        "Anna.Berg@Test.Example.SE , Anna  Berg ,Testkommunen,Biblioteket,Chef,,KVINNA,"
        '"manager; Admin",JA',
        header=HEADER + ",protected_identity",
    )
    (parsed,), errors = parse_organisation_csv(text, "org.csv")
    assert errors == []
    assert parsed.email == "anna.berg@test.example.se"
    assert parsed.name == "Anna Berg"
    assert parsed.gender is Gender.WOMAN
    assert parsed.permissions == Permission.MANAGER | Permission.ADMIN
    assert parsed.is_protected_identity is True
    assert parsed.manager_email == ""


@pytest.mark.parametrize(
    ("raw", "gender"),
    [
        ("woman", Gender.WOMAN),
        ("Kvinna", Gender.WOMAN),
        ("man", Gender.MAN),
        ("MAN", Gender.MAN),
        ("non-binary", Gender.NON_BINARY),
        ("icke-binär", Gender.NON_BINARY),
        (unicodedata.normalize("NFD", "Icke-Binär"), Gender.NON_BINARY),
        ("", Gender.UNSTATED),
    ],
)
def test_parse_gender_values(raw: str, gender: Gender) -> None:
    (parsed,), errors = parse_organisation_csv(csv_text(row("a@test.example.se", gender=raw)), "f")
    assert errors == []
    assert parsed.gender is gender


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("", False), ("ja", True), ("Nej", False), ("yes", True), ("no", False),
     ("TRUE", True), ("false", False), ("1", True), ("0", False)],
)  # fmt: skip
def test_parse_protected_identity_values(raw: str, expected: bool) -> None:
    text = csv_text(row("a@test.example.se") + f",{raw}", header=HEADER + ",protected_identity")
    (parsed,), errors = parse_organisation_csv(text, "f")
    assert errors == []
    assert parsed.is_protected_identity is expected


def test_parse_without_protected_column_leaves_protection_unstated() -> None:
    (parsed,), errors = parse_organisation_csv(csv_text(row("a@test.example.se")), "f")
    assert errors == []
    assert parsed.is_protected_identity is None


def test_parse_columns_in_any_order_and_case() -> None:
    header = "Permissions,GENDER,manager_email,job_role,department,organisation,name,Email"
    line = "course_owner,man,,Pedagog,Kulturskolan,Testkommunen,Bo Ek,bo@test.example.se"
    (parsed,), errors = parse_organisation_csv(csv_text(line, header=header), "f")
    assert errors == []
    assert (parsed.email, parsed.name, parsed.department) == (
        "bo@test.example.se", "Bo Ek", "Kulturskolan",
    )  # fmt: skip
    assert parsed.permissions == Permission.COURSE_OWNER


def test_parse_semicolon_delimiter_with_bom_and_crlf() -> None:
    text = "\ufeff" + HEADER.replace(",", ";") + "\r\n"
    text += 'a@test.example.se;Anna;Testkommunen;Biblioteket;Chef;;kvinna;"manager;coordinator"\r\n'
    (parsed,), errors = parse_organisation_csv(text, "f")
    assert errors == []
    assert parsed.email == "a@test.example.se"
    assert parsed.permissions == Permission.MANAGER | Permission.COORDINATOR


def test_parse_unknown_column_is_named() -> None:
    _, errors = parse_organisation_csv(csv_text(header=HEADER + ",shoe_size"), "org.csv")
    assert len(errors) == 1
    assert errors[0].startswith("org.csv:1: unknown column 'shoe_size'")


def test_parse_missing_columns_are_named() -> None:
    header = "name,organisation,department,job_role,manager_email,permissions"
    _, errors = parse_organisation_csv(csv_text(header=header), "org.csv")
    assert errors == ["org.csv:1: missing column(s): email, gender"]


def test_parse_duplicate_column_is_an_error() -> None:
    _, errors = parse_organisation_csv(csv_text(header=HEADER + ",gender"), "org.csv")
    assert errors == ["org.csv:1: column 'gender' appears twice"]


def test_parse_empty_file_is_an_error() -> None:
    _, errors = parse_organisation_csv("\ufeff\n", "org.csv")
    assert len(errors) == 1
    assert errors[0].startswith("org.csv:1: the file is empty")


def test_parse_header_only_gives_no_rows() -> None:
    assert parse_organisation_csv(csv_text(), "org.csv") == ([], [])


def test_parse_wrong_field_count() -> None:
    text = csv_text(row("a@test.example.se") + ",extra", "b@test.example.se,Bo")
    _, errors = parse_organisation_csv(text, "org.csv")
    assert errors == [
        "org.csv:2: expected 8 fields, found 9",
        "org.csv:3: expected 8 fields, found 2",
    ]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (row("anna.test.example.se"), "invalid e-mail address 'anna.test.example.se'"),
        (row("anna@@test.example.se"), "invalid e-mail address"),
        (row("", name="Anna"), "the e-mail address is empty"),
        (row("a@test.example.se", name=" "), "the name is empty"),
        (row("a@test.example.se", org=""), "the organisation is empty"),
        (row("a@test.example.se", org="x" * 201), "the organisation is longer than 200"),
        (row("a@test.example.se", gender="female"), "unknown gender 'female'"),
        (row("a@test.example.se", permissions="superuser"), "unknown permission 'superuser'"),
        (row("a@test.example.se", manager="boss"), "invalid manager e-mail address 'boss'"),
    ],
)
def test_parse_row_problems(line: str, reason: str) -> None:
    _, errors = parse_organisation_csv(csv_text(row("ok@test.example.se"), line), "org.csv")
    assert len(errors) == 1, errors
    assert errors[0].startswith(f"org.csv:3: {reason}")


def test_parse_invalid_protected_identity() -> None:
    text = csv_text(row("a@test.example.se") + ",kanske", header=HEADER + ",protected_identity")
    _, errors = parse_organisation_csv(text, "org.csv")
    assert len(errors) == 1
    assert errors[0].startswith("org.csv:2: protected_identity must be")


def test_parse_duplicate_email_names_both_lines() -> None:
    text = csv_text(row("a@test.example.se"), row("b@test.example.se"), row("A@Test.example.se"))
    _, errors = parse_organisation_csv(text, "org.csv")
    assert errors == ["org.csv:4: duplicate e-mail a@test.example.se (first on line 2)"]


def test_parse_collects_every_problem_with_its_line() -> None:
    text = csv_text(
        row("a@test.example.se"),
        row("b@test.example.se", gender="okänd"),
        row("c@test.example.se"),
        row("not-an-address"),
        row("d@test.example.se", permissions="manager;boss"),
    )
    _, errors = parse_organisation_csv(text, "org.csv")
    lines = [error.split(":")[1] for error in errors]
    assert lines == ["3", "5", "6"]


def test_parse_reports_one_row_with_several_problems_once_per_problem() -> None:
    text = csv_text(row("a@test.example.se", gender="x", permissions="y", org=""))
    _, errors = parse_organisation_csv(text, "org.csv")
    assert len(errors) == 3
    assert all(error.startswith("org.csv:2: ") for error in errors)


def test_parse_line_numbers_are_physical_lines() -> None:
    text = (
        HEADER + "\n\n"  # line 2 is blank
        + 'a@test.example.se,"Anna\nBerg",Testkommunen,B,R,,kvinna,\n'  # lines 3-4
        + row("b@test.example.se", gender="?") + "\n"  # line 5
    )  # fmt: skip
    rows, errors = parse_organisation_csv(text, "org.csv")
    assert rows[0].line == 3
    assert rows[0].name == "Anna Berg"
    assert len(errors) == 1
    assert errors[0].startswith("org.csv:5: unknown gender")


def test_parse_broken_quoting_is_reported_and_later_rows_still_checked() -> None:
    text = csv_text(
        'a@test.example.se,"Anna"B,Testkommunen,B,R,,kvinna,',
        row("b@test.example.se", gender="?"),
    )
    _, errors = parse_organisation_csv(text, "org.csv")
    assert [e.split(": ")[0] for e in errors] == ["org.csv:2", "org.csv:3"]
    assert errors[0].startswith("org.csv:2: the line is not valid CSV")


def test_parse_unterminated_quote_is_reported() -> None:
    text = csv_text('a@test.example.se,"Anna,Testkommunen,B,R,,kvinna,', row("b@test.example.se"))
    _, errors = parse_organisation_csv(text, "org.csv")
    assert errors == ["org.csv:2: the line is not valid CSV (unexpected end of data)"]


def test_parse_manager_cycle_reports_every_row_in_it() -> None:
    text = csv_text(
        row("a@test.example.se", manager="b@test.example.se"),
        row("b@test.example.se", manager="c@test.example.se"),
        row("c@test.example.se", manager="a@test.example.se"),
        row("d@test.example.se", manager="a@test.example.se"),  # reports into it, not on it
        row("e@test.example.se", manager="e@test.example.se"),
    )
    _, errors = parse_organisation_csv(text, "org.csv")
    assert errors == [
        "org.csv:2: manager cycle: a@test.example.se → b@test.example.se → c@test.example.se"
        " → a@test.example.se",
        "org.csv:3: manager cycle: b@test.example.se → c@test.example.se → a@test.example.se"
        " → b@test.example.se",
        "org.csv:4: manager cycle: c@test.example.se → a@test.example.se → b@test.example.se"
        " → c@test.example.se",
        "org.csv:6: manager cycle: e@test.example.se → e@test.example.se",
    ]


def test_parse_manager_outside_file_is_left_for_the_database_check() -> None:
    text = csv_text(row("a@test.example.se", manager="boss@elsewhere.example.se"))
    (parsed,), errors = parse_organisation_csv(text, "org.csv")
    assert errors == []
    assert parsed.manager_email == "boss@elsewhere.example.se"


@settings(database=None)
@given(st.dictionaries(st.integers(0, 7), st.integers(0, 7)))
def test_find_cycles_matches_walking_the_chain(graph: dict[int, int]) -> None:
    edges = {str(k): str(v) for k, v in graph.items()}

    def on_cycle(start: str) -> bool:
        node = edges.get(start)
        for _ in range(len(edges)):
            if node is None:
                return False
            if node == start:
                return True
            node = edges.get(node)
        return False

    assert find_cycles(edges) == {node for node in edges if on_cycle(node)}


def test_summary_wording() -> None:
    assert ImportResult(created=63).summary() == (
        "63 rows: 63 created, 0 updated, 0 unchanged, 0 deactivated, 0 invitations queued"
    )
    unchanged = ImportResult(unchanged=63)
    assert not unchanged.changed
    assert "no changes" in unchanged.summary()
    assert ImportResult(unchanged=1).summary() == "1 row: no changes (1 unchanged)"
    assert ImportResult(unchanged=5, deactivated=1).changed


# --- import_organisation ---------------------------------------------------------------------


def test_demo_file_imports(session: Session) -> None:
    result = import_organisation(session, DEMO)
    assert (result.created, result.updated, result.unchanged, result.invited) == (63, 0, 0, 63)
    orgs = {
        org.name: {d.name for d in org.departments} for org in session.scalars(select(Organisation))
    }
    assert orgs == {
        "Stockholms stad kulturförvaltning": {
            "Evenemangsavdelningen", "Kulturskolan", "Liljevalchs konsthall", "Museer och konst",
            "Stockholms stadsbibliotek", "administrativa staben", "kommunikationsstaben",
            "kulturstrategiska staben",
        },
        "Nacka kommun": {
            "Dieselverkstadens bibliotek", "Forumbiblioteken", "kultur- och fritidsenheten"
        },
    }  # fmt: skip
    users = list(session.scalars(select(User)))
    assert len(users) == 63
    assert all(u.is_active and not u.has_password for u in users)
    fatima = user_by_email(session, "fatima.ahmed@kultur.example.se")
    assert fatima.manager is not None and fatima.manager.email == "anders.lund@kultur.example.se"
    assert fatima.department is not None and fatima.department.name == "Stockholms stadsbibliotek"
    assert fatima.job_role is not None and fatima.job_role.name == "Bibliotekarie"
    assert fatima.gender == Gender.WOMAN
    tops = sorted(u.email for u in users if u.manager_id is None)
    assert tops == ["helena.forsberg@kultur.example.se", "katarina.wiklund@nacka.example.se"]
    assert [u.email for u in users if u.is_protected_identity] == [
        "malin.eriksson@kultur.example.se"
    ]
    held = Permission(0)
    for u in users:
        held |= u.permission_flags
    assert (
        held
        == Permission.MANAGER | Permission.COURSE_OWNER | Permission.COORDINATOR | Permission.ADMIN
    )
    karin = user_by_email(session, "karin.holm@kultur.example.se")
    assert karin.permission_flags == Permission.COORDINATOR | Permission.COURSE_OWNER
    assert user_by_email(session, "kim.sandberg@kultur.example.se").gender == Gender.NON_BINARY
    nacka = user_by_email(session, "elin.berg@nacka.example.se")
    assert nacka.organisation.name == "Nacka kommun"
    assert session.scalar(select(func.count()).select_from(JobRole)) == 13


def test_second_import_changes_nothing(session: Session) -> None:
    import_organisation(session, DEMO)
    before = counts(session)
    again = import_organisation(session, DEMO)
    assert not again.changed
    assert (again.created, again.updated, again.unchanged, again.deactivated, again.invited) == (
        0, 0, 63, 0, 0,
    )  # fmt: skip
    assert "no changes" in again.summary()
    assert counts(session) == before
    assert not session.dirty and not session.new


def test_import_records_one_audit_event_with_the_counts(session: Session, tmp_path: Path) -> None:
    path = write(tmp_path, csv_text(*team()), name="personal.csv")
    import_organisation(session, path)
    events = list(session.scalars(select(AuditEvent).where(AuditEvent.action == "org.import")))
    assert len(events) == 1
    event = events[0]
    assert (event.actor_id, event.object_type, event.object_id) == (None, "file", "personal.csv")
    details = event.details_dict
    assert (details["created"], details["updated"], details["invited"]) == (4, 0, 4)
    # create_user's per-user events are not written: the import is one event.
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == 1


def test_managers_may_come_after_their_reports(session: Session, tmp_path: Path) -> None:
    import_organisation(session, write(tmp_path, csv_text(*team())))
    cilla = user_by_email(session, "cilla@test.example.se")
    assert cilla.manager is not None and cilla.manager.email == "bo@test.example.se"
    assert cilla.manager.manager is not None
    assert cilla.manager.manager.email == "anna@test.example.se"
    assert user_by_email(session, "anna@test.example.se").manager_id is None


def test_semicolon_file_with_bom_imports(session: Session, tmp_path: Path) -> None:
    text = "\ufeff" + csv_text(*team()).replace(",", ";").replace(
        "manager;admin", '"manager;admin"'
    )
    result = import_organisation(session, write(tmp_path, text))
    assert result.created == 4
    anna = user_by_email(session, "anna@test.example.se")
    assert anna.permission_flags == Permission.MANAGER | Permission.ADMIN


def test_departments_belong_to_their_organisation(session: Session, tmp_path: Path) -> None:
    text = csv_text(
        row("a@one.example.se", org="Ettkommun", dept="Biblioteket"),
        row("b@two.example.se", org="Tvåkommun", dept="Biblioteket"),
    )
    import_organisation(session, write(tmp_path, text))
    a = user_by_email(session, "a@one.example.se")
    b = user_by_email(session, "b@two.example.se")
    assert a.department is not None and b.department is not None
    assert a.department.id != b.department.id
    assert a.department.organisation_id == a.organisation_id
    assert b.department.organisation.name == "Tvåkommun"


def test_existing_places_are_reused(session: Session, tmp_path: Path) -> None:
    dept = factories.department(session, "Biblioteket", factories.organisation(session, ORG))
    role = factories.job_role(session, "Bibliotekarie")
    before = counts(session)
    import_organisation(session, write(tmp_path, csv_text(row("a@test.example.se"))))
    a = user_by_email(session, "a@test.example.se")
    assert (a.department_id, a.job_role_id, a.organisation_id) == (
        dept.id, role.id, dept.organisation_id,
    )  # fmt: skip
    after = counts(session)
    assert after["Organisation"] == before["Organisation"]
    assert after["Department"] == before["Department"]
    assert after["JobRole"] == before["JobRole"]


BAD_FILES = {
    "unknown manager": (
        csv_text(*team(), row("x@test.example.se", manager="ghost@test.example.se")),
        6, "unknown manager ghost@test.example.se",
    ),
    "duplicate e-mail": (
        csv_text(*team(), row("bo@test.example.se")),
        6, "duplicate e-mail bo@test.example.se (first on line 3)",
    ),
    "bad e-mail": (csv_text(*team(), row("x@")), 6, "invalid e-mail address 'x@'"),
    "unknown gender": (
        csv_text(*team(), row("x@test.example.se", gender="f")), 6, "unknown gender 'f'",
    ),
    "unknown permission": (
        csv_text(*team(), row("x@test.example.se", permissions="manager;root")),
        6, "unknown permission 'root'",
    ),
    "manager cycle": (
        csv_text(*team(), row("x@test.example.se", manager="x@test.example.se")),
        6, "manager cycle: x@test.example.se → x@test.example.se",
    ),
    "unknown column": (
        csv_text(*(r + ",1" for r in team()), header=HEADER + ",shoe_size"),
        1, "unknown column 'shoe_size'",
    ),
    "missing column": (
        csv_text(*(r.rsplit(",", 1)[0] for r in team()), header=HEADER.rsplit(",", 1)[0]),
        1, "missing column(s): permissions",
    ),
    "wrong field count": (csv_text(*team(), "x@test.example.se,X"), 6, "expected 8 fields"),
}  # fmt: skip


@pytest.mark.parametrize("case", BAD_FILES)
def test_bad_file_reports_file_line_reason_and_writes_nothing(
    session: Session, tmp_path: Path, case: str
) -> None:
    text, line, reason = BAD_FILES[case]
    factories.user(session, email="existing@test.example.se")
    before = counts(session)
    with pytest.raises(ImportFailed) as failed:
        import_organisation(session, write(tmp_path, text, name="bad.csv"))
    assert len(failed.value.errors) == 1, failed.value.errors
    assert failed.value.errors[0].startswith(f"bad.csv:{line}: {reason}")
    assert counts(session) == before
    assert not session.new and not session.dirty


def test_cycle_reports_each_row_and_writes_nothing(session: Session, tmp_path: Path) -> None:
    text = csv_text(
        row("a@test.example.se", manager="b@test.example.se"),
        row("b@test.example.se", manager="a@test.example.se"),
    )
    before = counts(session)
    with pytest.raises(ImportFailed) as failed:
        import_organisation(session, write(tmp_path, text, name="c.csv"))
    assert [e.split(": ")[0] for e in failed.value.errors] == ["c.csv:2", "c.csv:3"]
    assert counts(session) == before


def test_three_bad_rows_are_all_reported(session: Session, tmp_path: Path) -> None:
    text = csv_text(
        *team(),
        row("x@test.example.se", gender="f"),
        row("y@test.example.se", manager="nobody@test.example.se"),
        row("z@test.example.se", permissions="god"),
    )
    before = counts(session)
    with pytest.raises(ImportFailed) as failed:
        import_organisation(session, write(tmp_path, text, name="b.csv"))
    assert [e.split(": ")[0] for e in failed.value.errors] == ["b.csv:6", "b.csv:7", "b.csv:8"]
    assert counts(session) == before


def test_file_that_is_not_utf8_is_refused(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes(
        csv_text(row("a@test.example.se"), row("b@test.example.se", name="Åsa")).encode("latin-1")
    )
    with pytest.raises(ImportFailed) as failed:
        import_organisation(session, path)
    assert failed.value.errors == [
        'latin1.csv:3: the file is not UTF-8 text; save it as "CSV UTF-8"'
    ]


def test_manager_may_be_an_existing_user_outside_the_file(session: Session, tmp_path: Path) -> None:
    boss = factories.user(session, email="boss@test.example.se", permissions=Permission.MANAGER)
    path = write(tmp_path, csv_text(row("a@test.example.se", manager="BOSS@test.example.se")))
    result = import_organisation(session, path)
    assert result.created == 1
    assert user_by_email(session, "a@test.example.se").manager_id == boss.id


def test_cycle_through_an_existing_user_is_refused(session: Session, tmp_path: Path) -> None:
    a = factories.user(session, email="a@test.example.se")
    factories.user(session, email="boss@test.example.se", manager=a)
    path = write(tmp_path, csv_text(row("a@test.example.se", manager="boss@test.example.se")))
    before = counts(session)
    with pytest.raises(ImportFailed) as failed:
        import_organisation(session, path)
    assert failed.value.errors == [
        "org.csv:2: manager cycle: a@test.example.se → boss@test.example.se → a@test.example.se"
    ]
    assert counts(session) == before
    assert a.manager_id is None


def test_changed_rows_count_as_updated(session: Session, tmp_path: Path) -> None:
    import_organisation(session, write(tmp_path, csv_text(*team())))
    bo = user_by_email(session, "bo@test.example.se")
    version = bo.session_version
    changed = [
        row("cilla@test.example.se", manager="dan@test.example.se"),  # new manager
        row("bo@test.example.se", manager="anna@test.example.se", dept="Kulturskolan",
            permissions="manager;coordinator"),
        row("dan@test.example.se", manager="anna@test.example.se", dept="Kulturskolan"),
        row("anna@test.example.se", permissions="manager;admin", dept="Ledningen", role="Chef"),
    ]  # fmt: skip
    before = counts(session)
    result = import_organisation(session, write(tmp_path, csv_text(*changed)))
    assert (result.created, result.updated, result.unchanged) == (0, 2, 2)
    assert result.changed
    assert bo.department is not None and bo.department.name == "Kulturskolan"
    assert bo.permission_flags == Permission.MANAGER | Permission.COORDINATOR
    assert bo.session_version == version
    cilla = user_by_email(session, "cilla@test.example.se")
    assert cilla.manager is not None and cilla.manager.email == "dan@test.example.se"
    after = counts(session)
    assert after["User"] == before["User"] and after["OutboxEmail"] == before["OutboxEmail"]
    assert after["AuditEvent"] == before["AuditEvent"] + 1
    event = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert event is not None
    assert json.loads(event.details)["permissions_changed"] == [bo.id]


def test_update_can_move_a_user_to_another_organisation(session: Session, tmp_path: Path) -> None:
    import_organisation(session, write(tmp_path, csv_text(row("a@test.example.se"))))
    moved = csv_text(row("a@test.example.se", org="Grannkommunen", name="A Ny", gender="man"))
    result = import_organisation(session, write(tmp_path, moved))
    assert result.updated == 1
    a = user_by_email(session, "a@test.example.se")
    assert a.organisation.name == "Grannkommunen"
    assert a.department is not None and a.department.organisation.name == "Grannkommunen"
    assert (a.name, a.gender) == ("A Ny", Gender.MAN)


def test_email_case_matches_the_existing_user(session: Session, tmp_path: Path) -> None:
    existing = factories.user(session, email="anna@test.example.se")
    result = import_organisation(session, write(tmp_path, csv_text(row("Anna@TEST.example.se"))))
    assert (result.created, result.updated) == (0, 1)
    assert existing.organisation.name == ORG
    assert existing.has_password  # an update leaves the password alone


def test_user_without_department_or_role_gets_new_ones(session: Session, tmp_path: Path) -> None:
    existing = factories.user(session, email="anna@test.example.se")
    existing.department = None
    session.flush()
    assert existing.job_role_id is None
    path = write(tmp_path, csv_text(row("anna@test.example.se", dept="Nyenheten", role="Nyroll")))
    import_organisation(session, path)
    assert existing.department is not None and existing.department.name == "Nyenheten"
    assert existing.department.organisation.name == ORG
    assert existing.job_role is not None and existing.job_role.name == "Nyroll"
    again = import_organisation(session, path)
    assert not again.changed


def test_emptied_department_and_role_are_cleared(session: Session, tmp_path: Path) -> None:
    import_organisation(session, write(tmp_path, csv_text(row("a@test.example.se"))))
    result = import_organisation(
        session, write(tmp_path, csv_text(row("a@test.example.se", dept="", role="")))
    )
    assert result.updated == 1
    a = user_by_email(session, "a@test.example.se")
    assert (a.department, a.job_role) == (None, None)


def test_protected_identity_column_absent_leaves_flag(session: Session, tmp_path: Path) -> None:
    existing = factories.user(session, email="anna@test.example.se", protected=True)
    import_organisation(session, write(tmp_path, csv_text(row("anna@test.example.se"))))
    assert existing.is_protected_identity is True
    header = HEADER + ",protected_identity"
    text = csv_text(row("anna@test.example.se") + ",nej", header=header)
    result = import_organisation(session, write(tmp_path, text))
    assert result.updated == 1
    assert existing.is_protected_identity is False


def test_inactive_user_in_file_stays_inactive(session: Session, tmp_path: Path) -> None:
    import_organisation(session, write(tmp_path, csv_text(*team())))
    dan = user_by_email(session, "dan@test.example.se")
    dan.is_active = False
    session.flush()
    renamed = [r.replace("Dan,", "Daniel,") for r in team()]
    result = import_organisation(session, write(tmp_path, csv_text(*renamed)))
    assert not result.changed
    assert dan.is_active is False
    assert dan.name == "Dan"


def test_deactivate_missing_deactivates_omitted_users(session: Session, tmp_path: Path) -> None:
    import_organisation(session, write(tmp_path, csv_text(*team())))
    elsewhere = factories.user(session, email="other@elsewhere.example.se")
    dan = user_by_email(session, "dan@test.example.se")
    without_dan = [r for r in team() if not r.startswith("dan@")]
    path = write(tmp_path, csv_text(*without_dan))
    result = import_organisation(session, path, deactivate_missing=True)
    assert (result.deactivated, result.unchanged, result.created) == (1, 3, 0)
    assert result.changed
    assert "1 deactivated" in result.summary()
    assert dan.is_active is False
    assert dan.session_version == 2
    assert elsewhere.is_active  # another organisation is not the file's business
    assert all(user_by_email(session, r.split(",")[0]).is_active for r in without_dan)
    again = import_organisation(session, path, deactivate_missing=True)
    assert not again.changed
    assert dan.session_version == 2


def test_without_the_flag_omitted_users_stay_active(session: Session, tmp_path: Path) -> None:
    import_organisation(session, write(tmp_path, csv_text(*team())))
    dan = user_by_email(session, "dan@test.example.se")
    without_dan = [r for r in team() if not r.startswith("dan@")]
    result = import_organisation(session, write(tmp_path, csv_text(*without_dan)))
    assert not result.changed
    assert result.deactivated == 0
    assert dan.is_active and dan.session_version == 1


def _invitations(session: Session) -> list[OutboxEmail]:
    stmt = select(OutboxEmail).where(OutboxEmail.kind == "invitation").order_by(OutboxEmail.id)
    return list(session.scalars(stmt))


def test_new_users_are_invited_once(session: Session, tmp_path: Path) -> None:
    existing = factories.user(session, email="anna@test.example.se")
    path = write(tmp_path, csv_text(*team()))
    result = import_organisation(session, path)
    assert (result.created, result.invited) == (3, 3)
    mails = _invitations(session)
    assert sorted(m.to_address for m in mails) == [
        "bo@test.example.se", "cilla@test.example.se", "dan@test.example.se",
    ]  # fmt: skip
    assert "/invite/" in mails[0].body_text
    tokens = session.scalars(select(AuthToken).where(AuthToken.purpose == "invite"))
    assert existing.id not in {token.user_id for token in tokens}
    again = import_organisation(session, path)
    assert again.invited == 0
    assert len(_invitations(session)) == 3


def test_invitations_can_be_left_out(session: Session, tmp_path: Path) -> None:
    result = import_organisation(
        session, write(tmp_path, csv_text(*team())), send_invitations=False
    )
    assert (result.created, result.invited) == (4, 0)
    assert _invitations(session) == []
    assert session.scalar(select(func.count()).select_from(AuthToken)) == 0


def test_queries_do_not_grow_with_rows(
    session: Session, tmp_path: Path, count_queries: Any
) -> None:
    def people(prefix: str, n: int) -> list[str]:
        # Each file brings its own departments and roles to an organisation that may exist.
        boss = f"{prefix}0@test.example.se"
        return [row(boss, dept=f"{prefix} ledning")] + [
            row(f"{prefix}{i}@test.example.se", manager=boss, dept=f"{prefix} {i % 3}",
                role=f"{prefix} roll {i % 4}")
            for i in range(1, n)
        ]  # fmt: skip

    selects = {}
    for prefix, n in (("small", 10), ("large", 60)):
        path = write(tmp_path, csv_text(*people(prefix, n)), name=f"{prefix}.csv")
        with count_queries() as first:
            import_organisation(session, path)
        with count_queries() as again:
            import_organisation(session, path)
        selects[prefix] = [s for s in first.statements if s.lstrip().upper().startswith("SELECT")]
        assert len(again.statements) <= 5, again.statements
    assert len(selects["small"]) == len(selects["large"]) <= 6


# --- the command ---------------------------------------------------------------------------------


def test_cli_reports_problems_on_stderr(app: Flask, session: Session, tmp_path: Path) -> None:
    text = csv_text(*team(), row("x@test.example.se", gender="f"), row("y@"))
    path = write(tmp_path, text, name="bad.csv")
    before = counts(session)
    result = app.test_cli_runner().invoke(args=["lms", "import", "org", str(path)])
    assert result.exit_code != 0
    assert "bad.csv:6: unknown gender 'f'" in result.stderr
    assert "bad.csv:7: invalid e-mail address 'y@'" in result.stderr
    assert "nothing was imported" in result.stderr
    assert result.stdout == ""
    assert counts(db.session()) == before


def test_cli_imports_a_good_file(app: Flask, session: Session, tmp_path: Path) -> None:
    path = write(tmp_path, csv_text(*team()), name="good.csv")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["lms", "import", "org", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == (
        "4 rows: 4 created, 0 updated, 0 unchanged, 0 deactivated, 4 invitations queued"
    )
    assert db.session.scalar(select(func.count()).select_from(User)) == 4
    again = runner.invoke(args=["lms", "import", "org", str(path)])
    assert again.exit_code == 0
    assert "no changes" in again.stdout


def test_cli_deactivate_missing_flag(app: Flask, session: Session, tmp_path: Path) -> None:
    runner = app.test_cli_runner()
    runner.invoke(args=["lms", "import", "org", str(write(tmp_path, csv_text(*team())))])
    path = write(tmp_path, csv_text(*team()[:3]), name="three.csv")
    result = runner.invoke(args=["lms", "import", "org", "--deactivate-missing", str(path)])
    assert result.exit_code == 0, result.output
    assert "1 deactivated" in result.stdout
    anna = db.session.scalar(select(User).where(User.email == "anna@test.example.se"))
    assert anna is not None and anna.is_active is False
