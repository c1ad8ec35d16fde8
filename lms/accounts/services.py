"""Account rules: creating users, passwords, tokens, admin changes (callers commit)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.accounts.models import (
    AuthToken,
    Department,
    Gender,
    JobRole,
    Organisation,
    ReportScope,
    User,
)
from lms.accounts.queries import get_user_by_email, normalise_email
from lms.core.access import Permission
from lms.core.audit import record_event
from lms.core.errors import Conflict, NotFound, ValidationError
from lms.core.i18n import _l
from lms.core.outbox import cancel_pending_mail
from lms.core.passwords import hash_password, needs_rehash, password_problem, verify_password
from lms.core.time import utcnow


def get_or_create_organisation(session: Session, name: str) -> Organisation:
    org = session.scalar(select(Organisation).where(Organisation.name == name))
    if org is None:
        org = Organisation(name=name)
        session.add(org)
        session.flush()
    return org


def get_or_create_department(session: Session, organisation: Organisation, name: str) -> Department:
    dept = session.scalar(
        select(Department).where(
            Department.organisation_id == organisation.id, Department.name == name
        )
    )
    if dept is None:
        dept = Department(organisation=organisation, name=name)
        session.add(dept)
        session.flush()
    return dept


def get_or_create_job_role(session: Session, name: str) -> JobRole:
    role = session.scalar(select(JobRole).where(JobRole.name == name))
    if role is None:
        role = JobRole(name=name)
        session.add(role)
        session.flush()
    return role


def create_user(
    session: Session,
    *,
    email: str,
    name: str,
    organisation: Organisation,
    department: Department | None = None,
    job_role: JobRole | None = None,
    manager: User | None = None,
    gender: Gender = Gender.UNSTATED,
    permissions: Permission = Permission.NONE,
    password: str | None = None,
    actor_id: int | None = None,
) -> User:
    """Create an account; the e-mail must be new and the password acceptable."""
    email = normalise_email(email)
    if get_user_by_email(session, email) is not None:
        raise Conflict(_l("%(email)s already has an account.", email=email), field="email")
    if not name.strip():
        raise ValidationError(_l("A name is required."), field="name")
    user = User(
        email=email,
        name=name.strip(),
        organisation=organisation,
        department=department,
        job_role=job_role,
        manager=manager,
        gender=gender,
        permissions=int(permissions),
    )
    if password is not None:
        _check_password(password)
        user.password_hash = hash_password(password)
    session.add(user)
    session.flush()
    record_event(
        session,
        actor_id=actor_id,
        action="user.create",
        object_type="user",
        object_id=user.id,
        permissions=user.permission_keys,
    )
    return user


def _check_password(password: str) -> None:
    problem = password_problem(password)
    if problem is not None:
        raise ValidationError(problem, field="password")


def set_password(session: Session, user: User, password: str, *, actor_id: int | None) -> None:
    """Set a new password and end every other session of the user."""
    _check_password(password)
    user.password_hash = hash_password(password)
    user.session_version += 1
    session.flush()
    record_event(
        session, actor_id=actor_id, action="user.password", object_type="user", object_id=user.id
    )


def end_sessions(session: Session, user: User) -> None:
    """Sign the user out everywhere: every session and remember-me cookie issued so far
    carries the old session version and is refused from now on."""
    user.session_version += 1
    session.flush()


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active user with this e-mail and password, or None (constant-time-ish)."""
    user = get_user_by_email(session, email)
    stored = user.password_hash if user is not None else None
    if not verify_password(stored, password) or user is None or not user.is_active:
        return None
    if stored is not None and needs_rehash(stored):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    return user


def _token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def issue_token(session: Session, user: User, purpose: str, lifetime: timedelta) -> str:
    """Create a one-time token and return its raw value (only the hash is kept)."""
    raw = secrets.token_urlsafe(32)
    session.add(
        AuthToken(
            user=user,
            purpose=purpose,
            token_hash=_token_hash(raw),
            expires_at=utcnow() + lifetime,
        )
    )
    session.flush()
    return raw


def peek_token(session: Session, raw: str, purpose: str) -> AuthToken:
    """The valid, unused token for `raw`, or NotFound (same answer for every failure)."""
    token = session.scalar(select(AuthToken).where(AuthToken.token_hash == _token_hash(raw)))
    if (
        token is None
        or token.purpose != purpose
        or token.used_at is not None
        or token.expires_at <= utcnow()
        or not token.user.is_active
    ):
        raise NotFound(_l("This link is invalid or has expired."))
    return token


def redeem_token(session: Session, raw: str, purpose: str, password: str) -> User:
    """Use a reset or invitation token to set a password; the token dies with it."""
    token = peek_token(session, raw, purpose)
    set_password(session, token.user, password, actor_id=token.user_id)
    now = utcnow()
    for other in session.scalars(
        select(AuthToken).where(AuthToken.user_id == token.user_id, AuthToken.used_at.is_(None))
    ):
        other.used_at = now
    return token.user


def _would_cycle(session: Session, user: User, manager: User) -> bool:
    seen: set[int] = set()
    current: User | None = manager
    while current is not None and current.id not in seen:
        if current.id == user.id:
            return True
        seen.add(current.id)
        current = session.get(User, current.manager_id) if current.manager_id else None
    return False


def update_user(
    session: Session,
    actor: User,
    user: User,
    *,
    department_id: int | None,
    job_role_id: int | None,
    manager_id: int | None,
    permissions: Permission,
    report_scope: str | None = None,
) -> list[str]:
    """An admin changes a user's placement, permissions and (when given) report scope;
    returns what changed."""
    department = session.get(Department, department_id) if department_id else None
    if department_id and department is None:
        raise ValidationError(_l("Unknown department."), field="department_id")
    if department is not None and department.organisation_id != user.organisation_id:
        raise ValidationError(
            _l("The department belongs to another organisation."), field="department_id"
        )
    if job_role_id and session.get(JobRole, job_role_id) is None:
        raise ValidationError(_l("Unknown job role."), field="job_role_id")
    manager = session.get(User, manager_id) if manager_id else None
    if manager_id and manager is None:
        raise ValidationError(_l("Unknown manager."), field="manager_id")
    if manager is not None and _would_cycle(session, user, manager):
        raise ValidationError(
            _l("That manager would create a reporting cycle."), field="manager_id"
        )
    if user.id == actor.id and not permissions & Permission.ADMIN:
        raise ValidationError(
            _l("You cannot remove your own admin permission."), field="permissions"
        )
    if report_scope is not None and report_scope not in set(ReportScope):
        raise ValidationError(
            _l("Choose what the reports cover: own department, own organisation or all."),
            field="report_scope",
        )
    new = {
        "department_id": department_id or None,
        "job_role_id": job_role_id or None,
        "manager_id": manager_id or None,
        "permissions": int(permissions),
        "report_scope": user.report_scope if report_scope is None else report_scope,
    }
    changed = [key for key, value in new.items() if getattr(user, key) != value]
    if changed:
        before = {key: getattr(user, key) for key in changed}
        for key in changed:
            setattr(user, key, new[key])
        session.flush()
        record_event(
            session,
            actor_id=actor.id,
            action="user.update",
            object_type="user",
            object_id=user.id,
            before=before,
            after={k: new[k] for k in changed},
        )
    return changed


def set_active(session: Session, actor: User, user: User, active: bool) -> None:
    """Deactivate (ending every session) or reactivate an account."""
    if user.id == actor.id and not active:
        raise ValidationError(_l("You cannot deactivate your own account."))
    if user.is_active == active:
        return
    if active and user.is_pseudonymised:
        raise ValidationError(_l("A pseudonymised account cannot be reactivated."))
    user.is_active = active
    if not active:
        user.session_version += 1
        cancel_pending_mail(session, [user.id])
    record_event(
        session,
        actor_id=actor.id,
        action="user.activate" if active else "user.deactivate",
        object_type="user",
        object_id=user.id,
    )


def create_department(
    session: Session, actor: User, organisation_id: int, name: str, parent_id: int | None
) -> Department:
    name = name.strip()
    organisation = session.get(Organisation, organisation_id)
    if organisation is None:
        raise ValidationError(_l("Unknown organisation."), field="organisation_id")
    if not name:
        raise ValidationError(_l("A name is required."), field="name")
    exists = session.scalar(
        select(Department.id).where(
            Department.organisation_id == organisation_id, Department.name == name
        )
    )
    if exists is not None:
        raise Conflict(_l("That department already exists."), field="name")
    dept = Department(organisation=organisation, name=name, parent_id=parent_id or None)
    session.add(dept)
    session.flush()
    record_event(
        session,
        actor_id=actor.id,
        action="department.create",
        object_type="department",
        object_id=dept.id,
        name=name,
    )
    return dept


def _clean_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise ValidationError(_l("A name is required."), field="name")
    return name


def _rename(
    session: Session,
    actor: User,
    target: Department | JobRole,
    name: str,
    clash: object,
    kind: str,
) -> None:
    """Rename a department or job role, refusing a name already taken, and audit it."""
    if clash is not None:
        raise Conflict(
            _l("That department already exists.")
            if kind == "department"
            else _l("That job role already exists."),
            field="name",
        )
    record_event(
        session,
        actor_id=actor.id,
        action=f"{kind}.rename",
        object_type=kind,
        object_id=target.id,
        before=target.name,
        after=name,
    )
    target.name = name


def rename_department(session: Session, actor: User, dept: Department, name: str) -> None:
    name = _clean_name(name)
    clash = session.scalar(
        select(Department.id).where(
            Department.organisation_id == dept.organisation_id,
            Department.name == name,
            Department.id != dept.id,
        )
    )
    _rename(session, actor, dept, name, clash, "department")


def create_job_role(session: Session, actor: User, name: str) -> JobRole:
    name = name.strip()
    if not name:
        raise ValidationError(_l("A name is required."), field="name")
    if session.scalar(select(JobRole.id).where(JobRole.name == name)) is not None:
        raise Conflict(_l("That job role already exists."), field="name")
    role = JobRole(name=name)
    session.add(role)
    session.flush()
    record_event(
        session,
        actor_id=actor.id,
        action="job_role.create",
        object_type="job_role",
        object_id=role.id,
        name=name,
    )
    return role


def rename_job_role(session: Session, actor: User, role: JobRole, name: str) -> None:
    name = _clean_name(name)
    clash = session.scalar(select(JobRole.id).where(JobRole.name == name, JobRole.id != role.id))
    _rename(session, actor, role, name, clash, "job_role")
