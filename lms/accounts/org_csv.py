"""Parsing and validating the organisation CSV: pure functions, no database."""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from email_validator import EmailNotValidError, validate_email

from lms.accounts.models import Department, Gender, JobRole, Organisation, User
from lms.accounts.queries import normalise_email
from lms.core.access import Permission

REQUIRED_COLUMNS = (
    "email",
    "name",
    "organisation",
    "department",
    "job_role",
    "manager_email",
    "gender",
    "permissions",
)
OPTIONAL_COLUMNS = ("protected_identity",)
GENDERS: dict[str, Gender] = {
    "woman": Gender.WOMAN,
    "kvinna": Gender.WOMAN,
    "man": Gender.MAN,
    "non-binary": Gender.NON_BINARY,
    "icke-binär": Gender.NON_BINARY,
    "": Gender.UNSTATED,
}
PROTECTED_VALUES: dict[str, bool] = {
    "": False, "nej": False, "no": False, "false": False, "0": False,
    "ja": True, "yes": True, "true": True, "1": True,
}  # fmt: skip


def _length(column: Any) -> int:
    return int(column.type.length)


_MAX_LENGTH = {
    "name": _length(User.__table__.c.name),
    "organisation": _length(Organisation.__table__.c.name),
    "department": _length(Department.__table__.c.name),
    "job_role": _length(JobRole.__table__.c.name),
}


@dataclass(frozen=True)
class Row:
    """One person of the file; `email` and `manager_email` are lowercased, "" = empty."""

    line: int
    email: str
    name: str
    organisation: str
    department: str
    job_role: str
    manager_email: str
    gender: Gender
    permissions: Permission
    is_protected_identity: bool | None  # None: the file has no protected_identity column


@dataclass(frozen=True)
class Problem:
    line: int
    reason: str


def format_problems(filename: str, problems: Iterable[Problem]) -> list[str]:
    ordered = sorted(problems, key=lambda problem: problem.line)  # stable within a line
    return [f"{filename}:{p.line}: {p.reason}" for p in ordered]


# --- Parsing and validation (pure) ------------------------------------------------------------


def parse_organisation_csv(text: str, filename: str) -> tuple[list[Row], list[str]]:
    """Parse and validate the file's text; the rows are meant for use only without errors."""
    rows, problems = parse_rows(text)
    return rows, format_problems(filename, problems)


def parse_rows(text: str) -> tuple[list[Row], list[Problem]]:
    text = text.removeprefix("\ufeff")
    problems: list[Problem] = []
    records = _read_records(text, _detect_delimiter(text), problems)
    if not records:
        expected = ",".join(REQUIRED_COLUMNS)
        return [], problems or [Problem(1, f"the file is empty; expected the header {expected}")]
    header_line, header = records[0]
    columns, header_problems = _check_header(header_line, header)
    if header_problems:
        return [], problems + header_problems
    rows: list[Row] = []
    for line, values in records[1:]:
        row = _parse_record(line, columns, values, problems)
        if row is not None:
            rows.append(row)
    problems += _duplicate_problems(rows)
    problems += cycle_problems(rows, manager_edges(rows))
    return rows, problems


def _detect_delimiter(text: str) -> str:
    header = text.split("\n", 1)[0]
    return ";" if header.count(";") > header.count(",") else ","


def _clean(value: str) -> str:
    # NFC so "icke-binär" typed on a Mac (decomposed ä) matches, and names do not split in two.
    return unicodedata.normalize("NFC", value).strip()


def _read_records(
    text: str, delimiter: str, problems: list[Problem]
) -> list[tuple[int, list[str]]]:
    """(first physical line, cleaned cells) of every non-blank record."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    records: list[tuple[int, list[str]]] = []
    while True:
        start = reader.line_num + 1
        try:
            values = next(reader)
        except StopIteration:
            return records
        except csv.Error as error:
            problems.append(Problem(start, f"the line is not valid CSV ({error})"))
            if reader.line_num < start:
                return records
            continue
        cells = [_clean(value) for value in values]
        if any(cells):
            records.append((start, cells))


def _check_header(line: int, header: list[str]) -> tuple[list[str], list[Problem]]:
    columns = [name.lower() for name in header]
    known = set(REQUIRED_COLUMNS) | set(OPTIONAL_COLUMNS)
    expected = ",".join(REQUIRED_COLUMNS) + " (and optionally protected_identity)"
    problems = []
    for position, name in enumerate(columns, start=1):
        if not name:
            problems.append(Problem(line, f"column {position} of the header has no name"))
        elif name not in known:
            problems.append(Problem(line, f"unknown column {name!r}; expected {expected}"))
        elif columns.index(name) != position - 1:
            problems.append(Problem(line, f"column {name!r} appears twice"))
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        problems.append(Problem(line, f"missing column(s): {', '.join(missing)}"))
    return columns, problems


def _parse_record(
    line: int, columns: list[str], values: list[str], problems: list[Problem]
) -> Row | None:
    if len(values) != len(columns):
        reason = f"expected {len(columns)} fields, found {len(values)}"
        problems.append(Problem(line, reason))
        return None
    reasons: list[str] = []
    row = _build_row(line, dict(zip(columns, values, strict=True)), reasons)
    problems += [Problem(line, reason) for reason in reasons]
    return row


def _build_row(line: int, cells: Mapping[str, str], reasons: list[str]) -> Row:
    """The row's values; each problem is appended to `reasons` (the value is then a stand-in)."""
    return Row(
        line=line,
        email=_email(cells["email"], reasons),
        name=_text(cells, "name", reasons, required=True),
        organisation=_text(cells, "organisation", reasons, required=True),
        department=_text(cells, "department", reasons),
        job_role=_text(cells, "job_role", reasons),
        manager_email=_manager_email(cells["manager_email"], reasons),
        gender=_gender(cells["gender"], reasons),
        permissions=_permissions(cells["permissions"], reasons),
        is_protected_identity=_protected(cells.get("protected_identity"), reasons),
    )


def _email_problem(email: str) -> str | None:
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError as error:
        return str(error)
    return None


def _email(raw: str, reasons: list[str]) -> str:
    email = normalise_email(raw)
    if not email:
        reasons.append("the e-mail address is empty")
        return email
    problem = _email_problem(email)
    if problem is not None:
        reasons.append(f"invalid e-mail address {raw!r}: {problem}")
    return email


def _manager_email(raw: str, reasons: list[str]) -> str:
    email = normalise_email(raw)
    if not email:
        return ""
    problem = _email_problem(email)
    if problem is not None:
        reasons.append(f"invalid manager e-mail address {raw!r}: {problem}")
        return ""  # no further "unknown manager" noise for the same mistake
    return email


def _text(
    cells: Mapping[str, str], column: str, reasons: list[str], *, required: bool = False
) -> str:
    value = " ".join(cells[column].split())
    label = column.replace("_", " ")
    if required and not value:
        reasons.append(f"the {label} is empty")
    if len(value) > _MAX_LENGTH[column]:
        reasons.append(f"the {label} is longer than {_MAX_LENGTH[column]} characters")
    return value


def _gender(raw: str, reasons: list[str]) -> Gender:
    gender = GENDERS.get(raw.lower())
    if gender is None:
        choices = "woman, man, non-binary (kvinna, man, icke-binär)"
        reasons.append(f"unknown gender {raw!r}; use {choices} or leave it empty")
        return Gender.UNSTATED
    return gender


def _permissions(raw: str, reasons: list[str]) -> Permission:
    flags = Permission(0)
    for name in filter(None, (part.strip().lower() for part in raw.split(";"))):
        try:
            flags |= Permission.from_name(name)
        except KeyError:
            choices = ", ".join(p.key for p in Permission)
            reasons.append(f"unknown permission {name!r}; use {choices} (separated by ;)")
    return flags


def _protected(raw: str | None, reasons: list[str]) -> bool | None:
    if raw is None:
        return None
    value = PROTECTED_VALUES.get(raw.lower())
    if value is None:
        reasons.append(f"protected_identity must be ja/nej, yes/no, true/false or 1/0, not {raw!r}")
    return bool(value)


def _duplicate_problems(rows: list[Row]) -> list[Problem]:
    first_line: dict[str, int] = {}
    problems = []
    for row in rows:
        if not row.email:
            continue
        if row.email in first_line:
            reason = f"duplicate e-mail {row.email} (first on line {first_line[row.email]})"
            problems.append(Problem(row.line, reason))
        else:
            first_line[row.email] = row.line
    return problems


def manager_edges(rows: Iterable[Row]) -> dict[str, str]:
    """Person → manager (both e-mails) for every row that names a manager."""
    return {row.email: row.manager_email for row in rows if row.email and row.manager_email}


def find_cycles(edges: Mapping[str, str]) -> set[str]:
    """The nodes on a cycle of a graph where each node has at most one outgoing edge."""
    done: set[str] = set()
    on_cycle: set[str] = set()
    for start in edges:
        path: list[str] = []
        position: dict[str, int] = {}
        node = start
        while node in edges and node not in done and node not in position:
            position[node] = len(path)
            path.append(node)
            node = edges[node]
        if node in position:
            on_cycle.update(path[position[node] :])
        done.update(path)
    return on_cycle


def _cycle_text(start: str, edges: Mapping[str, str]) -> str:
    chain = [start]
    node = edges[start]
    while node != start:
        chain.append(node)
        node = edges[node]
    return " → ".join([*chain, start])


def cycle_problems(
    rows: list[Row], edges: Mapping[str, str], skip: Iterable[str] = ()
) -> list[Problem]:
    cyclic = find_cycles(edges) - set(skip)
    return [
        Problem(row.line, f"manager cycle: {_cycle_text(row.email, edges)}")
        for row in rows
        if row.email in cyclic
    ]


# --- Checks against the database and the upsert ------------------------------------------------
