"""A person's own data (GDPR Art. 15 and 20): every row that refers to them, found from the schema.

Which rows are *about* a person is decided per table by a reviewed map (`OWNER_COLUMNS`):
the column that names the row's owner or author. Every other column referencing users.id is
an *actor* column (the manager who agreed a level, the admin who decided): rows where the
person only acted on someone else's record are listed reduced to id, role and timestamps,
never with the other person's content. Child rows of the person's own rows (ratings of their
assessments, feedback on their completions, goals of their plans) come along through
`CHILD_TABLES`. `tests/privacy/test_export.py` introspects `Base.metadata` and fails on any
table with a user reference that these maps do not place.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Column, Select, Table, and_, or_, select
from sqlalchemy.orm import Session

from lms.accounts.models import User
from lms.core.time import utcnow
from lms.privacy.schema import all_tables

FORMAT = "larlyft-personal-data"
VERSION = 1

# The column of each table that makes a row the person's own (their record or their work).
OWNER_COLUMNS: dict[str, str] = {
    "users": "id",
    "accessibility_reports": "user_id",
    "activity_owners": "user_id",
    "activity_revisions": "author_id",
    "assessment_rounds": "created_by_id",
    "assessments": "user_id",
    "audit_events": "actor_id",
    "auth_tokens": "user_id",
    "bookings": "user_id",
    "calendar_feeds": "user_id",
    "completions": "user_id",
    "development_plans": "user_id",
    "enrolments": "user_id",
    "external_learning": "user_id",
    "learning_requests": "user_id",
    "lesson_progress": "user_id",
    "not_interested": "user_id",
    "notification_preferences": "user_id",
    "notifications": "user_id",
    "outbox_emails": "user_id",
    "programme_participants": "user_id",
    "quiz_attempts": "user_id",
    "recommendation_states": "user_id",
    "recommendations": "user_id",
    "saved_activities": "user_id",
    "task_responses": "user_id",
    "theme_months": "created_by_id",
    "uploads": "uploaded_by_id",
}
# Tables whose rows belong to a parent row of the person (child table → (FK column, parent)).
# Ordered so a parent comes before its children. `ratings` also has an actor column
# (agreed_by_id): a rating is the person's through their assessment, never through agreeing.
CHILD_TABLES: dict[str, tuple[str, str]] = {
    "ratings": ("assessment_id", "assessments"),
    "feedback": ("completion_id", "completions"),
    "plan_goals": ("plan_id", "development_plans"),
    "goal_activities": ("goal_id", "plan_goals"),
}
# Tables with a user reference that the download leaves out, with the reason (reviewed).
EXCLUDED_TABLES: dict[str, str] = {}
# Secrets never leave the server, not even to their owner (reviewed deny-list).
DENIED_COLUMNS: frozenset[tuple[str, str]] = frozenset(
    {
        ("users", "password_hash"),  # the argon2 hash
        ("users", "session_version"),  # part of the session cookie's login id
        ("auth_tokens", "token_hash"),  # reset and invitation tokens
        ("calendar_feeds", "token"),  # the personal feed's secret URL
        ("outbox_emails", "claimed_by"),  # sender bookkeeping
        ("outbox_emails", "claimed_until"),
        ("outbox_emails", "dedupe_key"),
        ("outbox_emails", "last_error"),  # SMTP server answers
        ("notifications", "dedupe_key"),
    }
)
# Mails whose body carries a one-time sign-in link: the body is left out of the download.
TOKEN_MAIL_KINDS = frozenset({"password_reset", "invitation"})
# Audit events keep their details only when they are about the person themselves.
SELF_OBJECT = "user"


def metadata_tables() -> dict[str, Table]:
    """Every table of the application, by name."""
    return all_tables()


def user_columns(table: Table) -> list[Column[Any]]:
    """The columns of `table` that reference users.id."""
    return [
        column
        for column in table.columns
        if any(fk.column.table.name == User.__tablename__ for fk in column.foreign_keys)
    ]


def user_reference_tables() -> dict[str, Table]:
    """Every table with a column referencing users.id (the users table itself included)."""
    found = {name: t for name, t in metadata_tables().items() if user_columns(t)}
    found[User.__tablename__] = User.__table__  # type: ignore[assignment]
    return found


def actor_columns(table: Table) -> list[Column[Any]]:
    """User references of `table` other than its owner column."""
    owner = OWNER_COLUMNS.get(table.name)
    return [c for c in user_columns(table) if c.name != owner]


def to_json(value: Any) -> Any:
    """A column value as JSON: dates ISO 8601, decimals as exact strings, enums by value."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    return value


def _owned_ids(name: str, user_id: int) -> Select[Any]:
    """SELECT of the primary keys of the person's rows in `name` (owned or child)."""
    table = metadata_tables()[name]
    pk = next(iter(table.primary_key.columns))
    return select(pk).where(owned_condition(name, user_id))


def owned_condition(name: str, user_id: int) -> Any:
    """WHERE clause picking the person's own rows of table `name` (owned or child table)."""
    table = metadata_tables()[name]
    if name in OWNER_COLUMNS:
        return table.c[OWNER_COLUMNS[name]] == user_id
    column, parent = CHILD_TABLES[name]
    return table.c[column].in_(_owned_ids(parent, user_id))


def _row_dict(table: Table, row: Any) -> dict[str, Any]:
    return {
        column.name: to_json(row._mapping[column])
        for column in table.columns
        if (table.name, column.name) not in DENIED_COLUMNS
    }


class _Names:
    """Other people referenced in the person's rows: shown by name only (what they see)."""

    def __init__(self) -> None:
        self.wanted: set[int] = set()
        self.names: dict[int, str] = {}

    def load(self, session: Session) -> None:
        if self.wanted:
            rows = session.execute(select(User.id, User.name).where(User.id.in_(self.wanted)))
            self.names = {int(i): str(n) for i, n in rows}


def _reduce(
    table: Table, row: dict[str, Any], user_id: int, names: _Names
) -> tuple[dict[str, Any], list[tuple[str, int]]]:
    """Replace other people's ids by a later-filled name; drop what is not the person's."""
    pending: list[tuple[str, int]] = []
    for column in actor_columns(table):
        other = row.pop(column.name)
        key = column.name.removesuffix("_id")
        row[key] = None
        if other is not None:
            names.wanted.add(int(other))
            pending.append((key, int(other)))
    if table.name == "outbox_emails" and row.get("kind") in TOKEN_MAIL_KINDS:
        row["body_text"] = row["body_html"] = None
    if table.name == "audit_events" and (row["object_type"], row["object_id"]) != (
        SELF_OBJECT,
        str(user_id),
    ):
        row.pop("details")  # an admin's change to someone else's record is theirs
    return row, pending


def _owned_rows(session: Session, user_id: int, names: _Names) -> dict[str, list[dict[str, Any]]]:
    tables = metadata_tables()
    out: dict[str, list[dict[str, Any]]] = {}
    fills: list[tuple[dict[str, Any], str, int]] = []
    for name in [*OWNER_COLUMNS, *CHILD_TABLES]:
        table = tables[name]
        stmt = select(table).where(owned_condition(name, user_id))
        stmt = stmt.order_by(*table.primary_key.columns)
        rows = []
        for raw in session.execute(stmt):
            row, pending = _reduce(table, _row_dict(table, raw), user_id, names)
            fills.extend((row, key, other) for key, other in pending)
            rows.append(row)
        out[name] = rows
    names.load(session)
    for row, key, other in fills:
        row[key] = "you" if other == user_id else names.names.get(other)
    return out


def _acted_rows(session: Session, user_id: int) -> dict[str, list[dict[str, Any]]]:
    """Rows of other people where the person acted (agreed, decided, managed): only the row's
    key and the person's role in it, never the other person's content or times."""
    out: dict[str, list[dict[str, Any]]] = {}
    for name, table in sorted(user_reference_tables().items()):
        actors = actor_columns(table)
        if not actors or name in EXCLUDED_TABLES:
            continue
        stmt = select(*table.primary_key.columns, *actors).where(
            or_(*[c == user_id for c in actors])
        )
        if name in OWNER_COLUMNS:
            owner = table.c[OWNER_COLUMNS[name]]
            stmt = stmt.where(or_(owner.is_(None), owner != user_id))
        rows = []
        for raw in session.execute(stmt.order_by(*table.primary_key.columns)):
            values = dict(raw._mapping)
            row = {k: to_json(v) for k, v in values.items() if k not in {c.name for c in actors}}
            row["as"] = [c.name.removesuffix("_id") for c in actors if values[c.name] == user_id]
            rows.append(row)
        out[name] = rows
    return out


def _about_in_audit(session: Session, user_id: int) -> list[dict[str, Any]]:
    """What others (admins, imports) recorded about the person; who did it is not shown."""
    table = metadata_tables()["audit_events"]
    stmt = (
        select(table.c.occurred_at, table.c.action, table.c.details)
        .where(and_(table.c.object_type == SELF_OBJECT, table.c.object_id == str(user_id)))
        .where(or_(table.c.actor_id.is_(None), table.c.actor_id != user_id))
        .order_by(table.c.occurred_at, table.c.id)
    )
    return [{k: to_json(v) for k, v in row._mapping.items()} for row in session.execute(stmt)]


def build_personal_export(session: Session, user: User) -> dict[str, Any]:
    """Everything stored about `user` (their data only) as JSON-ready plain data."""
    names = _Names()
    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": utcnow().isoformat(),
        "user_id": user.id,
        "tables": _owned_rows(session, user.id, names),
        "audit_events_about_you": _about_in_audit(session, user.id),
        "your_actions_on_records_of_others": _acted_rows(session, user.id),
        "left_out": {
            "columns": sorted(f"{t}.{c}" for t, c in DENIED_COLUMNS),
            "tables": dict(EXCLUDED_TABLES),
        },
    }
