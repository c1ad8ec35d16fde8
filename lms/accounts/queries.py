"""Reads for accounts: get_* (one or None), list_* and count_*."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import CTE, Select, func, or_, select
from sqlalchemy.orm import Session, selectinload

from lms.accounts.models import Department, JobRole, Organisation, User
from lms.core.access import Permission
from lms.core.i18n import swedish_sort_key


def normalise_email(email: str) -> str:
    return email.strip().lower()


def get_user(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def get_user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == normalise_email(email)))


def list_organisations(session: Session) -> list[Organisation]:
    """Every organisation in Swedish alphabetical order."""
    found = session.scalars(select(Organisation))
    return sorted(found, key=lambda o: swedish_sort_key(o.name))


def list_departments(session: Session) -> list[Department]:
    """Every department, by organisation and then name, in Swedish alphabetical order
    (a database's binary order would put "administrativa staben" after "Stadsbiblioteket")."""
    stmt = select(Department).options(selectinload(Department.organisation))
    return sorted(
        session.scalars(stmt),
        key=lambda d: (swedish_sort_key(d.organisation.name), swedish_sort_key(d.name)),
    )


def list_job_roles(session: Session) -> list[JobRole]:
    return list(session.scalars(select(JobRole).order_by(JobRole.name)))


def count_users_by_department(session: Session) -> dict[int, int]:
    rows = session.execute(
        select(User.department_id, func.count()).where(User.is_active).group_by(User.department_id)
    )
    return {dept: n for dept, n in rows if dept is not None}


def count_users_by_job_role(session: Session) -> dict[int, int]:
    rows = session.execute(
        select(User.job_role_id, func.count()).where(User.is_active).group_by(User.job_role_id)
    )
    return {role: n for role, n in rows if role is not None}


@dataclass(frozen=True)
class UserFilter:
    """The admin user list's search and filters (all optional)."""

    text: str = ""
    department_id: int | None = None
    job_role_id: int | None = None
    permission: Permission | None = None
    active: bool | None = True


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def users_statement(filters: UserFilter) -> Select[tuple[User]]:
    """The admin list of users, filtered, with what the list shows loaded eagerly."""
    stmt = select(User).options(
        selectinload(User.department),
        selectinload(User.job_role),
        selectinload(User.manager),
        selectinload(User.organisation),
    )
    if filters.text.strip():
        pattern = f"%{_escape_like(filters.text.strip().lower())}%"
        stmt = stmt.where(
            or_(
                func.lower(User.name).like(pattern, escape="\\"),
                User.email.like(pattern, escape="\\"),
            )
        )
    if filters.department_id is not None:
        stmt = stmt.where(User.department_id == filters.department_id)
    if filters.job_role_id is not None:
        stmt = stmt.where(User.job_role_id == filters.job_role_id)
    if filters.permission is not None:
        stmt = stmt.where(User.permissions.op("&")(int(filters.permission)) != 0)
    if filters.active is not None:
        stmt = stmt.where(User.is_active.is_(filters.active))
    return stmt.order_by(User.name, User.id)


def list_manager_candidates(session: Session, keep_id: int | None = None) -> list[User]:
    """Active users holding the manager permission, for the manager picker; people with a
    protected identity are never listed, except `keep_id` (the current manager)."""
    stmt = (
        select(User)
        .where(
            User.is_active,
            User.permissions.op("&")(int(Permission.MANAGER)) != 0,
            User.is_protected_identity.is_(False) | (User.id == keep_id),
        )
        .order_by(User.name)
    )
    return list(session.scalars(stmt))


def list_direct_reports(session: Session, manager: User) -> list[User]:
    stmt = (
        select(User)
        .where(User.manager_id == manager.id, User.is_active)
        .options(selectinload(User.job_role), selectinload(User.department))
        .order_by(User.name)
    )
    return list(session.scalars(stmt))


# --- the manager chain -----------------------------------------------------------------------


def team_cte(manager: User) -> CTE:
    """Ids of everyone below `manager` (direct and indirect reports).

    UNION (not UNION ALL) drops rows already found, so a cycle in the data ends the walk.
    """
    team = (
        select(User.id.label("id")).where(User.manager_id == manager.id).cte("team", recursive=True)
    )
    return team.union(select(User.id).join(team, User.manager_id == team.c.id))


def team_ids(manager: User) -> Select[tuple[int]]:
    """A subquery of the ids of `manager`'s direct and indirect reports."""
    team = team_cte(manager)
    return select(team.c.id).where(team.c.id != manager.id)


def is_in_manager_chain(session: Session, manager: User, person: User) -> bool:
    """Whether `manager` is `person`'s manager, their manager's manager, and so on."""
    seen = {person.id}
    manager_id = person.manager_id
    while manager_id is not None and manager_id not in seen:
        if manager_id == manager.id:
            return True
        seen.add(manager_id)
        manager_id = session.scalar(select(User.manager_id).where(User.id == manager_id))
    return False


def mails_naming_protected_people(session: Session, mails: Sequence[Any]) -> set[int]:
    """The ids of the mails that go to, or name in their subject, a person with a protected
    identity: the admin's mail list shows them without address and subject."""
    protected = session.execute(
        select(User.id, User.name, User.email).where(User.is_protected_identity.is_(True))
    ).all()
    if not protected:
        return set()
    ids = {row.id for row in protected}
    addresses = {row.email.lower() for row in protected}
    names = [row.name for row in protected if row.name.strip()]
    return {
        mail.id
        for mail in mails
        if mail.user_id in ids
        or mail.to_address.lower() in addresses
        or any(name in mail.subject for name in names)
    }
