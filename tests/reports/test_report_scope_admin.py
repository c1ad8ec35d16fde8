"""Admins set what a coordinator's reports cover on the user page; a junk value is refused with
a clear message and nothing is saved; the change is audited like the other fields."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from lms.accounts import services
from lms.accounts.models import ReportScope
from lms.core.access import Permission
from lms.core.audit import AuditEvent
from lms.core.errors import ValidationError
from tests import factories

pytestmark = pytest.mark.usefixtures("csrf_off")


@pytest.fixture
def admin(session, auth):
    person = factories.admin(session, name="Peter Sjöberg")
    session.commit()
    auth.login(person.email)
    return person


def _post(client, person, **extra):
    data = {
        "department_id": person.department_id,
        "job_role_id": 0,
        "manager_id": 0,
        "permissions": ["coordinator", "reporting"],
        **extra,
    }
    return client.post(f"/admin/users/{person.id}", data=data)


def test_the_user_page_offers_the_three_scopes_with_the_current_one_chosen(
    client, session, admin
) -> None:
    person = factories.user(session, permissions=Permission.COORDINATOR, password=None)
    person.report_scope = ReportScope.DEPARTMENT
    session.commit()
    page = client.get(f"/admin/users/{person.id}").get_data(as_text=True)
    found = re.search(r'<select[^>]*id="report_scope"[^>]*>(.*?)</select>', page, re.S)
    assert found is not None
    select_html = found.group(1)
    assert re.findall(r'value="(\w+)"', select_html) == ["department", "organisation", "all"]
    assert re.search(r'<option selected value="department">', select_html)
    assert 'value="reporting"' in page  # the permission list has funder reporting


def test_an_admin_sets_the_scope_and_it_is_audited(client, session, admin) -> None:
    person = factories.user(session, permissions=Permission.COORDINATOR, password=None)
    session.commit()
    response = _post(client, person, report_scope="all")
    assert response.status_code == 302
    session.refresh(person)
    assert person.report_scope == ReportScope.ALL
    assert person.has(Permission.REPORTING) and person.has(Permission.COORDINATOR)
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "user.update")).one()
    assert event.details_dict["before"]["report_scope"] == "organisation"
    assert event.details_dict["after"]["report_scope"] == "all"


@pytest.mark.parametrize(
    "junk", ["everything", "", "ALL", "department; drop table users", "x" * 500]
)
def test_a_junk_scope_is_refused_and_nothing_is_saved(client, session, admin, junk) -> None:
    person = factories.user(session, permissions=Permission.COORDINATOR, password=None)
    session.commit()
    response = _post(client, person, report_scope=junk)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'id="report_scope-error"' in page and 'aria-invalid="true"' in page
    session.refresh(person)
    assert person.report_scope == ReportScope.ORGANISATION
    assert person.permission_flags == Permission.COORDINATOR  # the permissions were not saved
    assert session.scalar(select(AuditEvent.id).where(AuditEvent.action == "user.update")) is None


def test_leaving_the_scope_out_keeps_it(session) -> None:
    actor = factories.admin(session)
    person = factories.user(session, permissions=Permission.COORDINATOR)
    person.report_scope = ReportScope.DEPARTMENT
    changed = services.update_user(
        session, actor, person, department_id=person.department_id, job_role_id=None,
        manager_id=None, permissions=Permission.COORDINATOR | Permission.REPORTING,
    )  # fmt: skip
    assert changed == ["permissions"] and person.report_scope == ReportScope.DEPARTMENT


def test_the_service_refuses_an_unknown_scope_at_its_field(session) -> None:
    actor = factories.admin(session)
    person = factories.user(session, permissions=Permission.COORDINATOR)
    with pytest.raises(ValidationError) as raised:
        services.update_user(
            session, actor, person, department_id=person.department_id, job_role_id=None,
            manager_id=None, permissions=Permission.COORDINATOR, report_scope="region",
        )  # fmt: skip
    assert raised.value.field == "report_scope"
    assert person.report_scope == ReportScope.ORGANISATION
