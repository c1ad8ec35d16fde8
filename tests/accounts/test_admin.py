"""Admin pages: listing, filtering, editing users, departments, roles, audit."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from lms.accounts import services
from lms.accounts.models import Department, JobRole
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


def test_user_list_searches_and_filters(client, session, admin) -> None:
    library = factories.department(session, "Stadsbiblioteket")
    museum = factories.department(session, "Museer och konst")
    role = factories.job_role(session, "Antikvarie")
    factories.user(session, name="Alva Berg", dept=library, password=None)
    factories.user(session, name="Emmy Kauppinen", dept=museum, role=role, password=None)
    factories.user(
        session, name="Olle Ek", dept=museum, permissions=Permission.COORDINATOR, password=None
    )
    session.commit()
    page = client.get("/admin/users?q=kauppinen").get_data(as_text=True)
    assert "Emmy Kauppinen" in page and "Alva Berg" not in page
    page = client.get(f"/admin/users?department={museum.id}").get_data(as_text=True)
    assert "Emmy Kauppinen" in page and "Olle Ek" in page and "Alva Berg" not in page
    page = client.get(f"/admin/users?job_role={role.id}").get_data(as_text=True)
    assert "Emmy Kauppinen" in page and "Olle Ek" not in page
    page = client.get("/admin/users?permission=coordinator").get_data(as_text=True)
    assert "Olle Ek" in page and "Emmy Kauppinen" not in page


def test_user_list_paginates_with_constant_queries(client, session, admin, count_queries) -> None:
    dept = factories.department(session)
    boss = factories.user(session, permissions=Permission.MANAGER, password=None)
    for n in range(60):
        factories.user(session, name=f"Medarbetare {n:02d}", dept=dept, manager=boss, password=None)
    session.commit()
    with count_queries() as first:
        assert client.get("/admin/users").status_code == 200
    with count_queries() as third:
        page = client.get("/admin/users?page=3").get_data(as_text=True)
    assert "Medarbetare" in page
    assert first.count == third.count, set(third.statements) ^ set(first.statements)
    assert first.count <= 12, first.statements


def test_protected_identity_is_hidden_from_the_list_but_found_by_exact_email(
    client, session, admin
) -> None:
    hidden = factories.user(session, name="Skyddad Person", protected=True, password=None)
    session.commit()
    assert "Skyddad Person" not in client.get("/admin/users").get_data(as_text=True)
    assert "Skyddad Person" not in client.get("/admin/users?q=skyddad").get_data(as_text=True)
    found = client.get(f"/admin/users?q={hidden.email}").get_data(as_text=True)
    assert "Skyddad Person" in found


def test_edit_user_changes_placement_and_is_audited(client, session, admin) -> None:
    dept = factories.department(session, "Kulturskolan")
    role = factories.job_role(session, "Pedagog")
    boss = factories.user(session, permissions=Permission.MANAGER, password=None)
    person = factories.user(session, password=None)
    session.commit()
    response = client.post(
        f"/admin/users/{person.id}",
        data={
            "department_id": dept.id,
            "job_role_id": role.id,
            "manager_id": boss.id,
            "permissions": ["course_owner"],
        },
    )
    assert response.status_code == 302
    session.refresh(person)
    assert (person.department_id, person.job_role_id, person.manager_id) == (
        dept.id,
        role.id,
        boss.id,
    )
    assert person.permission_flags == Permission.COURSE_OWNER
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "user.update")).one()
    assert event.actor_id == admin.id and event.object_id == str(person.id)


def test_manager_cycle_is_refused_with_a_message(client, session, admin) -> None:
    top = factories.user(session, permissions=Permission.MANAGER, password=None)
    middle = factories.user(session, permissions=Permission.MANAGER, manager=top, password=None)
    session.commit()
    response = client.post(
        f"/admin/users/{top.id}",
        data={
            "department_id": top.department_id,
            "job_role_id": 0,
            "manager_id": middle.id,
            "permissions": ["manager"],
        },
    )
    assert response.status_code == 200
    assert b'aria-invalid="true"' in response.data
    session.refresh(top)
    assert top.manager_id is None


def test_admin_cannot_remove_own_admin_or_deactivate_self(session, admin) -> None:
    with pytest.raises(ValidationError):
        services.update_user(
            session,
            admin,
            admin,
            department_id=admin.department_id,
            job_role_id=None,
            manager_id=None,
            permissions=Permission.NONE,
        )
    with pytest.raises(ValidationError):
        services.set_active(session, admin, admin, False)


def test_deactivate_and_reactivate(client, session, admin) -> None:
    person = factories.user(session)
    session.commit()
    version = person.session_version
    client.post(f"/admin/users/{person.id}/active", data={"active": "0"})
    session.refresh(person)
    assert not person.is_active and person.session_version == version + 1
    client.post(f"/admin/users/{person.id}/active", data={"active": "1"})
    session.refresh(person)
    assert person.is_active
    actions = set(session.scalars(select(AuditEvent.action)))
    assert {"user.deactivate", "user.activate"} <= actions


def test_unknown_ids_are_404(client, admin) -> None:
    assert client.get("/admin/users/999999").status_code == 404
    assert client.post("/admin/departments/999999", data={"name": "X"}).status_code == 404
    assert client.post("/admin/job-roles/999999", data={"name": "X"}).status_code == 404


def test_departments_and_job_roles_are_created_renamed_and_audited(client, session, admin) -> None:
    org = admin.organisation
    client.post(
        "/admin/departments",
        data={"organisation_id": org.id, "name": "Liljevalchs", "parent_id": 0},
    )
    dept = session.scalars(select(Department).where(Department.name == "Liljevalchs")).one()
    client.post(f"/admin/departments/{dept.id}", data={"name": "Liljevalchs konsthall"})
    session.refresh(dept)
    assert dept.name == "Liljevalchs konsthall"
    duplicate = client.post(
        "/admin/departments",
        data={"organisation_id": org.id, "name": "Liljevalchs konsthall", "parent_id": 0},
    )
    assert duplicate.status_code == 200 and b'aria-invalid="true"' in duplicate.data
    client.post("/admin/job-roles", data={"name": "Producent"})
    role = session.scalars(select(JobRole).where(JobRole.name == "Producent")).one()
    client.post(f"/admin/job-roles/{role.id}", data={"name": "Producent/projektledare"})
    session.refresh(role)
    assert role.name == "Producent/projektledare"
    actions = set(session.scalars(select(AuditEvent.action)))
    assert {
        "department.create",
        "department.rename",
        "job_role.create",
        "job_role.rename",
    } <= actions
    assert "user.update" not in actions


def test_audit_page_lists_events(client, session, admin) -> None:
    person = factories.user(session, password=None)
    services.set_active(session, admin, person, False)
    session.commit()
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "user.deactivate" in page and admin.name in page


def test_invite_queues_mail(client, session, admin) -> None:
    from lms.core.outbox import OutboxEmail

    person = factories.user(session, password=None)
    session.commit()
    client.post(f"/admin/users/{person.id}/invite")
    assert (
        session.scalar(
            select(func.count())
            .select_from(OutboxEmail)
            .where(OutboxEmail.to_address == person.email, OutboxEmail.kind == "invitation")
        )
        == 1
    )
