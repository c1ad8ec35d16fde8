"""Test objects built through the real services."""

from __future__ import annotations

from itertools import count

from sqlalchemy.orm import Session

from lms.accounts import services
from lms.accounts.models import Department, Gender, JobRole, Organisation, User
from lms.core.access import Permission

PASSWORD = "correct-horse-battery"
_seq = count(1)


def organisation(session: Session, name: str = "Kulturförvaltningen") -> Organisation:
    return services.get_or_create_organisation(session, name)


def department(
    session: Session, name: str = "Stadsbiblioteket", org: Organisation | None = None
) -> Department:
    return services.get_or_create_department(session, org or organisation(session), name)


def job_role(session: Session, name: str = "Bibliotekarie") -> JobRole:
    return services.get_or_create_job_role(session, name)


def user(
    session: Session,
    *,
    email: str | None = None,
    name: str | None = None,
    permissions: Permission = Permission.NONE,
    dept: Department | None = None,
    role: JobRole | None = None,
    manager: User | None = None,
    gender: Gender = Gender.WOMAN,
    password: str | None = PASSWORD,
    protected: bool = False,
) -> User:
    n = next(_seq)
    dept = dept or department(session)
    created = services.create_user(
        session,
        email=email or f"person{n}@kultur.example.se",
        name=name or f"Person {n}",
        organisation=dept.organisation,
        department=dept,
        job_role=role,
        manager=manager,
        gender=gender,
        permissions=permissions,
        password=password,
    )
    created.is_protected_identity = protected
    session.flush()
    return created


def admin(session: Session, **kw: object) -> User:
    return user(session, permissions=Permission.ADMIN, **kw)  # type: ignore[arg-type]
