"""Importing completions from CSV: validate every row first, then record each one once."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from lms.accounts.models import User
from lms.accounts.queries import normalise_email
from lms.catalog.models import Activity
from lms.core.imports import ImportFailed, read_csv_records
from lms.core.time import STOCKHOLM, UTC, local_date, start_of_local_day, utcnow
from lms.progress.models import Completion
from lms.progress.services import record_completion

REQUIRED_COLUMNS = ("email", "activity", "completed_at", "hours")
OPTIONAL_COLUMNS = ("title",)
KEY_LENGTH: int = Completion.__table__.c.occurrence_key.type.length  # type: ignore[attr-defined]
TITLE_LENGTH: int = Completion.__table__.c.title.type.length  # type: ignore[attr-defined]
CHUNK = 500  # keeps IN lists far below every backend's bind-parameter limit


@dataclass(frozen=True)
class Row:
    """One completion of the file; `activity` is a slug or "" (then `title` names it)."""

    line: int
    email: str
    activity: str
    title: str
    completed_at: datetime
    minutes: int

    @property
    def occurrence_key(self) -> str:
        return occurrence_key(self.activity or self.title, local_date(self.completed_at))


@dataclass(frozen=True)
class ImportResult:
    created: int = 0
    unchanged: int = 0

    def summary(self) -> str:
        rows = self.created + self.unchanged
        noun = "row" if rows == 1 else "rows"
        if not self.created:
            return f"{rows} {noun}: no changes ({self.unchanged} already imported)"
        return f"{rows} {noun}: {self.created} created, {self.unchanged} already imported"


def occurrence_key(name: str, day: date) -> str:
    """ "import:<slug or title>:<date>"; a long title is replaced by its hash to fit the column."""
    key = f"import:{name}:{day.isoformat()}"
    if len(key) <= KEY_LENGTH:
        return key
    return f"import:sha256:{hashlib.sha256(name.encode()).hexdigest()}:{day.isoformat()}"


# --- parsing (pure) --------------------------------------------------------------------------


def parse_completions_csv(text: str) -> tuple[list[Row], list[tuple[int, str]]]:
    """The file's rows and its problems as (line, reason); rows are for use only without any."""
    records, problems = read_csv_records(text)
    if problems:
        return [], problems
    if not records:
        return [], [(1, "the file is empty; expected a header row")]
    header_line, header = records[0]
    columns = [name.lower() for name in header]
    problems += _header_problems(header_line, columns)
    if problems:
        return [], problems
    rows: list[Row] = []
    for line, values in records[1:]:
        if len(values) != len(columns):
            problems.append((line, f"expected {len(columns)} fields, found {len(values)}"))
            continue
        reasons: list[str] = []
        row = _build_row(line, dict(zip(columns, values, strict=True)), reasons)
        problems += [(line, reason) for reason in reasons]
        if not reasons:
            rows.append(row)
    return rows, problems + _duplicates(rows)


def _header_problems(line: int, columns: list[str]) -> list[tuple[int, str]]:
    known = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
    expected = ",".join(REQUIRED_COLUMNS) + " (and optionally title)"
    problems = []
    for position, name in enumerate(columns):
        if name not in known:
            problems.append((line, f"unknown column {name!r}; expected {expected}"))
        elif columns.index(name) != position:
            problems.append((line, f"column {name!r} appears twice"))
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        problems.append((line, f"missing column(s): {', '.join(missing)}"))
    return problems


def _build_row(line: int, cells: Mapping[str, str], reasons: list[str]) -> Row:
    email = normalise_email(cells["email"])
    if not email:
        reasons.append("the e-mail address is empty")
    activity = cells["activity"]
    title = " ".join(cells.get("title", "").split())
    if not activity and not title:
        reasons.append("give an activity slug, or a title for learning outside the catalogue")
    if len(title) > TITLE_LENGTH:
        reasons.append(f"the title is longer than {TITLE_LENGTH} characters")
    return Row(
        line=line,
        email=email,
        activity=activity,
        title=title,
        completed_at=_completed_at(cells["completed_at"], reasons),
        minutes=_minutes(cells["hours"], reasons),
    )


def _completed_at(raw: str, reasons: list[str]) -> datetime:
    try:
        if len(raw) == len("2026-01-31"):
            moment = start_of_local_day(date.fromisoformat(raw))
        else:
            parsed = datetime.fromisoformat(raw)
            moment = parsed if parsed.tzinfo else parsed.replace(tzinfo=STOCKHOLM)
            moment = moment.astimezone(UTC)
    except ValueError:
        reasons.append(f"completed_at {raw!r} is not an ISO date (2026-01-31 or 2026-01-31T13:00)")
        return utcnow()
    if local_date(moment) > local_date(utcnow()):
        reasons.append(f"completed_at {raw} is in the future")
    return moment


def _minutes(raw: str, reasons: list[str]) -> int:
    try:
        hours = Decimal(raw.replace(",", "."))
    except InvalidOperation:
        reasons.append(f"hours {raw!r} is not a number")
        return 0
    minutes = round(hours * 60) if hours.is_finite() else 0
    if minutes < 1:
        reasons.append(f"hours {raw!r} must be more than 0 (at least one minute)")
    return int(minutes)


def _duplicates(rows: list[Row]) -> list[tuple[int, str]]:
    first: dict[tuple[str, str], int] = {}
    problems = []
    for row in rows:
        key = (row.email, row.occurrence_key)
        if key in first:
            reason = f"duplicate of line {first[key]} (same person, activity and date)"
            problems.append((row.line, reason))
        else:
            first[key] = row.line
    return problems


# --- checks against the database and the import ----------------------------------------------


def _chunks(items: list[str]) -> list[list[str]]:
    return [items[start : start + CHUNK] for start in range(0, len(items), CHUNK)]


def _load(session: Session, rows: list[Row]) -> tuple[dict[str, User], dict[str, Activity]]:
    users: dict[str, User] = {}
    for chunk in _chunks(sorted({row.email for row in rows})):
        users.update(
            (u.email, u) for u in session.scalars(select(User).where(User.email.in_(chunk)))
        )
    activities: dict[str, Activity] = {}
    for chunk in _chunks(sorted({row.activity for row in rows} - {""})):
        stmt = select(Activity).where(Activity.slug.in_(chunk))
        activities.update((a.slug, a) for a in session.scalars(stmt))
    return users, activities


def _existing_keys(
    session: Session, rows: list[Row], users: dict[str, User]
) -> set[tuple[int, str]]:
    pairs = [(users[row.email].id, row.occurrence_key) for row in rows]
    found: set[tuple[int, str]] = set()
    for start in range(0, len(pairs), CHUNK):
        chunk = pairs[start : start + CHUNK]
        stmt = select(Completion.user_id, Completion.occurrence_key).where(
            tuple_(Completion.user_id, Completion.occurrence_key).in_(chunk)
        )
        found.update((int(user_id), str(key)) for user_id, key in session.execute(stmt))
    return found


def _read_text(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise ImportFailed(
            [f"{path.name}:{line}: the file is not UTF-8 text"], "completions file"
        ) from None


def import_completions(session: Session, path: Path) -> ImportResult:
    """Validate the whole file, then record each completion not recorded yet (caller commits).

    Nothing is added unless every row is valid; importing the same file again changes nothing.
    """
    rows, problems = parse_completions_csv(_read_text(path))
    users, activities = _load(session, rows)
    for row in rows:
        if row.email not in users:
            problems.append((row.line, f"unknown user {row.email}"))
        if row.activity and row.activity not in activities:
            problems.append((row.line, f"unknown activity {row.activity!r}"))
    if problems:
        ordered = sorted(problems, key=lambda problem: problem[0])
        raise ImportFailed(
            [f"{path.name}:{line}: {reason}" for line, reason in ordered], "completions file"
        )
    existing = _existing_keys(session, rows, users)
    created = 0
    for row in rows:
        user = users[row.email]
        if (user.id, row.occurrence_key) in existing:
            continue
        activity = activities.get(row.activity)
        record_completion(
            session,
            user,
            occurrence_key=row.occurrence_key,
            activity=activity,
            title=row.title or (activity.title if activity else ""),
            minutes=row.minutes,
            source="import",
            completed_at=row.completed_at,
        )
        created += 1
    session.flush()
    return ImportResult(created=created, unchanged=len(rows) - created)
