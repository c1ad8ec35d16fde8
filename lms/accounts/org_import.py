"""Importing the organisation CSV: validate every row first, then upsert users by e-mail."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.accounts.mails import send_invitation
from lms.accounts.models import Department, JobRole, Organisation, User
from lms.accounts.org_csv import (
    Problem,
    Row,
    cycle_problems,
    find_cycles,
    format_problems,
    manager_edges,
    parse_organisation_csv,
    parse_rows,
)
from lms.core.audit import AuditEvent, record_event
from lms.core.imports import ImportFailed
from lms.core.outbox import cancel_pending_mail

EMAIL_CHUNK = 500  # keeps IN lists far below every backend's bind-parameter limit
OBJECT_ID_LENGTH: int = AuditEvent.__table__.c.object_id.type.length  # type: ignore[attr-defined]

__all__ = ["ImportFailed", "ImportResult", "import_organisation", "parse_organisation_csv"]


@dataclass(frozen=True)
class ImportResult:
    """What an import did; `unchanged` includes inactive users of the file (left as they are)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0
    invited: int = 0

    @property
    def rows(self) -> int:
        return self.created + self.updated + self.unchanged

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.deactivated)

    def summary(self) -> str:
        rows = f"{self.rows} row{'' if self.rows == 1 else 's'}"
        if not self.changed:
            return f"{rows}: no changes ({self.unchanged} unchanged)"
        return (
            f"{rows}: {self.created} created, {self.updated} updated, "
            f"{self.unchanged} unchanged, {self.deactivated} deactivated, "
            f"{self.invited} invitations queued"
        )


@dataclass
class _Existing:
    """What the import needs from the database, loaded in a handful of queries."""

    organisations: dict[str, Organisation] = field(default_factory=dict)
    departments: dict[tuple[str, str], Department] = field(default_factory=dict)
    job_roles: dict[str, JobRole] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _load_existing(session: Session, rows: list[Row]) -> _Existing:
    existing = _Existing()
    existing.organisations = {org.name: org for org in session.scalars(select(Organisation))}
    for dept, org_name in session.execute(select(Department, Organisation.name).join(Organisation)):
        existing.departments[(org_name, dept.name)] = dept
    existing.job_roles = {role.name: role for role in session.scalars(select(JobRole))}
    emails = sorted({row.email for row in rows} | {row.manager_email for row in rows} - {""})
    for chunk in _chunks(emails, EMAIL_CHUNK):
        for user in session.scalars(select(User).where(User.email.in_(chunk))):
            existing.users[user.email] = user
    return existing


def _database_problems(session: Session, rows: list[Row], existing: _Existing) -> list[Problem]:
    in_file = {row.email for row in rows}
    problems = [
        Problem(row.line, f"unknown manager {row.manager_email}: not in the file, not a user")
        for row in rows
        if row.manager_email
        and row.manager_email not in in_file
        and row.manager_email not in existing.users
    ]
    return problems + _cycles_through_database(session, rows, existing, in_file)


def _cycles_through_database(
    session: Session, rows: list[Row], existing: _Existing, in_file: set[str]
) -> list[Problem]:
    """Cycles closed by managers outside the file whose own chain leads back into it."""
    file_edges = manager_edges(rows)
    outside = {m for m in file_edges.values() if m not in in_file and m in existing.users}
    edges = dict(file_edges)
    for email in outside:
        target = _first_manager_in_file(session, existing.users[email], in_file)
        if target is not None:
            edges[email] = target
    if len(edges) == len(file_edges):
        return []
    return cycle_problems(rows, edges, skip=find_cycles(file_edges))


def _first_manager_in_file(session: Session, user: User, in_file: set[str]) -> str | None:
    seen = {user.id}
    current: User | None = user
    while current is not None and current.manager_id is not None:
        current = session.get(User, current.manager_id)
        if current is None or current.id in seen:
            return None
        if current.email in in_file:
            return current.email
        seen.add(current.id)
    return None


def _read_text(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        reason = 'the file is not UTF-8 text; save it as "CSV UTF-8"'
        raise ImportFailed([f"{path.name}:{line}: {reason}"], "organisation file") from None


def import_organisation(
    session: Session,
    path: Path,
    *,
    deactivate_missing: bool = False,
    send_invitations: bool = True,
) -> ImportResult:
    """Validate the whole file, then create or update its users (the caller commits).

    Nothing is added to the session unless every row is valid; re-importing the same
    file changes nothing and writes nothing.
    """
    rows, problems = parse_rows(_read_text(path))
    existing = _load_existing(session, rows) if rows else _Existing()
    problems += _database_problems(session, rows, existing)
    if problems:
        raise ImportFailed(format_problems(path.name, problems), "organisation file")
    upsert = _Upsert(session, existing)
    upsert.run(rows)
    if send_invitations:
        for user in upsert.created:
            send_invitation(session, user)
    deactivated = _deactivate_missing(session, rows, existing) if deactivate_missing else []
    result = ImportResult(
        created=len(upsert.created),
        updated=len(upsert.updated),
        unchanged=len(rows) - len(upsert.created) - len(upsert.updated),
        deactivated=len(deactivated),
        invited=len(upsert.created) if send_invitations else 0,
    )
    if result.changed:
        _record_import(session, path.name, result, upsert, deactivated, deactivate_missing)
    session.flush()
    return result


class _Upsert:
    """Creates places and users of the file, then sets managers once every user exists."""

    def __init__(self, session: Session, existing: _Existing) -> None:
        self.session = session
        self.existing = existing
        self.created: list[User] = []
        self.new: set[str] = set()
        self.updated: set[str] = set()
        self.permissions_changed: list[str] = []

    def run(self, rows: list[Row]) -> None:
        self._create_places(rows)
        self.session.flush()  # ids for comparing with the users' foreign keys
        touched = [row for row in rows if self._upsert_user(row)]
        self.session.flush()  # ids of the new users, who may be managers
        for row in touched:
            self._set_manager(row)
        self.session.flush()

    def _create_places(self, rows: list[Row]) -> None:
        existing = self.existing
        for row in rows:
            org = existing.organisations.get(row.organisation)
            if org is None:
                org = existing.organisations[row.organisation] = Organisation(name=row.organisation)
                self.session.add(org)
            key = (row.organisation, row.department)
            if row.department and key not in existing.departments:
                existing.departments[key] = Department(organisation=org, name=row.department)
                self.session.add(existing.departments[key])
            if row.job_role and row.job_role not in existing.job_roles:
                existing.job_roles[row.job_role] = JobRole(name=row.job_role)
                self.session.add(existing.job_roles[row.job_role])

    def _places(self, row: Row) -> dict[str, Any]:
        existing = self.existing
        return {
            "organisation": existing.organisations[row.organisation],
            "department": existing.departments.get((row.organisation, row.department)),
            "job_role": existing.job_roles.get(row.job_role),
        }

    def _upsert_user(self, row: Row) -> bool:
        """Create or update the row's user; False for an inactive user, left as they are."""
        user = self.existing.users.get(row.email)
        if user is None:
            user = User(
                email=row.email, name=row.name, gender=row.gender.value,
                permissions=int(row.permissions),
                is_protected_identity=bool(row.is_protected_identity), **self._places(row),
            )  # fmt: skip
            self.session.add(user)
            self.existing.users[row.email] = user
            self.created.append(user)
            self.new.add(row.email)
            return True
        if not user.is_active:
            return False
        if self._update_user(user, row):
            self.updated.add(row.email)
        return True

    def _update_user(self, user: User, row: Row) -> bool:
        values: dict[str, object] = {
            "name": row.name, "gender": row.gender.value, "permissions": int(row.permissions),
        }  # fmt: skip
        if row.is_protected_identity is not None:
            values["is_protected_identity"] = row.is_protected_identity
        changed = {key: value for key, value in values.items() if getattr(user, key) != value}
        if "permissions" in changed:
            self.permissions_changed.append(user.email)
        for key, value in changed.items():
            setattr(user, key, value)
        moved = False
        for relation, target in self._places(row).items():
            # Compare ids (no lazy load), set the relationship (no stale object in the session).
            if getattr(user, f"{relation}_id") != (target.id if target is not None else None):
                setattr(user, relation, target)
                moved = True
        return bool(changed) or moved

    def _set_manager(self, row: Row) -> None:
        user = self.existing.users[row.email]
        manager = self.existing.users[row.manager_email] if row.manager_email else None
        if user.manager_id != (manager.id if manager is not None else None):
            user.manager = manager
            if row.email not in self.new:
                self.updated.add(row.email)


def _deactivate_missing(session: Session, rows: list[Row], existing: _Existing) -> list[User]:
    """Deactivate the active users of the file's organisations whom the file omits."""
    in_file = {row.email for row in rows}
    org_ids = sorted({existing.organisations[row.organisation].id for row in rows})
    stmt = select(User).where(User.organisation_id.in_(org_ids), User.is_active.is_(True))
    missing = [user for user in session.scalars(stmt) if user.email not in in_file]
    for user in missing:
        user.is_active = False
        user.session_version += 1  # ends every session of the user
    cancel_pending_mail(session, [user.id for user in missing])
    return missing


def _record_import(
    session: Session,
    filename: str,
    result: ImportResult,
    upsert: _Upsert,
    deactivated: list[User],
    deactivate_missing: bool,
) -> None:
    record_event(
        session,
        actor_id=None,
        action="org.import",
        object_type="file",
        object_id=filename[:OBJECT_ID_LENGTH],
        created=result.created,
        updated=result.updated,
        unchanged=result.unchanged,
        deactivated=result.deactivated,
        invited=result.invited,
        deactivate_missing=deactivate_missing,
        permissions_changed=[
            upsert.existing.users[email].id for email in upsert.permissions_changed
        ],
        deactivated_ids=[user.id for user in deactivated],
    )
