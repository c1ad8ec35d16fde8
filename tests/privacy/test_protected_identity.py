"""Protected identity: a person with protected personal details (skyddad identitet) is in every
list the app has (a booking, a completion counted for a programme, an assessment, a plan, a
wish, a shared-activity ownership, a revision, audit events, mails naming her), and her name and
e-mail appear on no page and in no export of anyone outside her own manager chain — except the
funder's participant listing (the ESF per-person page, its CSV and XLSX, and the people sheet
of the report XLSX), which must name her."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from lms.catalog.models import ActivityRevision
from lms.core.access import Permission
from lms.core.audit import record_event
from lms.core.outbox import enqueue_email
from tests.privacy.people_pages import text_of, walk_gets
from tests.security.walk import Walker
from tests.security.world import World, build_world

pytestmark = pytest.mark.sqlite_only

# The funder's participant file: the only place she is named outside her chain.
FUNDER_LISTING = {
    "esf_reports.people",
    "esf_reports.people_csv",
    "esf_reports.people_xlsx",
    "esf_reports.programme_xlsx",  # holds the per-person sheet for REPORTING holders only
}
# Her own record, reached by id by an admin who found her by her exact e-mail: not a list.
OWN_RECORD = {"admin.edit_user", "privacy.pseudonymise"}
# Everyone outside her chain (the manager is her chain: their team pages list her by design).
# CI walks as the roles that reach the most lists (the course owner: bookings, attendance and
# owners; the admin: every admin list; the funder's reporter: every report and the positive
# control); the nightly run walks as the other outsiders too.
CI_ROLES = ("course_owner", "admin", "reporting")
NIGHTLY_ROLES = ("employee", "coordinator", "coordinator_all", "reporting")


def protect_rut(session: Session, world: World) -> tuple[str, str]:
    """Rut (the manager's report) gets a protected identity and shows up everywhere."""
    rut = world.people["report"].user
    rut.is_protected_identity = True
    rut.permissions = int(Permission.COURSE_OWNER | Permission.MANAGER)  # in both pickers
    workshop = world.extra["workshop"]
    workshop.owners.append(rut)  # a co-owner of a published activity
    session.add(
        ActivityRevision(
            activity_id=world.extra["course"].id, number=99, author_id=rut.id, title="Rev"
        )
    )
    record_event(session, actor_id=rut.id, action="user.login", object_type="user", object_id=1)
    admin = world.users["admin"]
    record_event(
        session, actor_id=admin.id, action="user.update", object_type="user", object_id=rut.id
    )
    manager = world.users["manager"]
    enqueue_email(
        session, to=manager.email, subject=f"{rut.name} har skickat in en självskattning",
        body_text="…", kind="assessment_submitted", user_id=manager.id,
    )  # fmt: skip
    session.commit()
    return rut.name, rut.email


def test_protected_people_appear_only_in_the_funders_listing(
    app: Flask, session: Session, tmp_path: Path
) -> None:
    checked = walk_as(app, session, CI_ROLES)
    assert checked > 300


@pytest.mark.nightly
def test_protected_people_appear_to_no_other_outsider(app: Flask, session: Session) -> None:
    walk_as(app, session, NIGHTLY_ROLES)


def test_protected_people_are_in_no_cli_export(
    app: Flask, session: Session, tmp_path: Path
) -> None:
    world = build_world(session)
    name, email = protect_rut(session, world)
    _check_cli_exports(app, name, email, tmp_path)


def walk_as(app: Flask, session: Session, roles: tuple[str, ...]) -> int:
    """Walk every GET rule as each role; returns the number of responses checked."""
    world = build_world(session)
    name, email = protect_rut(session, world)
    walker = Walker(app, session, world)
    leaks, funder_pages, checked = [], set(), 0
    for role in roles:
        for rule, relation, result in walk_gets(app, walker, role, ("self", "report")):
            text = text_of(result.body, result.content_type)
            named = name in text or email in text
            checked += 1
            if rule.endpoint in FUNDER_LISTING and role == "reporting" and relation == "self":
                assert result.status == 200, rule.endpoint
                assert name in text and email in text, rule.endpoint
                funder_pages.add(rule.endpoint)
            elif named and not (role == "admin" and rule.endpoint in OWN_RECORD):
                leaks.append((role, rule.endpoint, relation, result.status))
    assert leaks == []
    assert funder_pages == FUNDER_LISTING  # the positive control: the funder's file has her
    return checked


def _check_cli_exports(app: Flask, name: str, email: str, folder: Path) -> None:
    runner = app.test_cli_runner()
    outputs = []
    for args in (
        ["report", "assessment", "--round", "Omgång A"],
        ["report", "assessment", "--round", "Omgång A", "--format", "csv"],
        ["report", "esf", "--programme", "program-a"],
        ["report", "esf", "--programme", "program-a", "--format", "csv"],
    ):
        result = runner.invoke(args=["lms", *args])
        assert result.exit_code == 0, (args, result.output)
        outputs.append(result.output)
    book = folder / "esf.xlsx"
    result = runner.invoke(
        args=["lms", "report", "esf", "--programme", "program-a", "--format", "xlsx",
              "--output", str(book)]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    outputs.append(text_of(book.read_bytes(), "spreadsheetml"))
    for output in outputs:
        assert name not in output and email not in output
