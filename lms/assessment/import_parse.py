"""Reading the assessments CSV (DESIGN §5) into rows: shape and values only, no database."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from lms.accounts.queries import normalise_email
from lms.assessment.rounds import NAME_MAX
from lms.core.imports import read_csv_records

COLUMNS = ("round", "email", "competence", "self_level", "agreed_level", "motivation")
Problem = tuple[int, str]  # (line, reason)


class NotUtf8(Exception):
    """The file's bytes are not UTF-8; `line` is where the first bad byte is."""

    def __init__(self, line: int) -> None:
        super().__init__(f"not UTF-8 text from line {line}")
        self.line = line


@dataclass(frozen=True)
class Row:
    """One rating of the file: a person's levels and motivation in one competence of a round."""

    line: int
    round: str
    email: str
    competence: str
    self_level: int
    agreed_level: int | None
    motivation: int


def read_text(path: Path) -> str:
    """The file as text (UTF-8, a byte order mark is allowed); NotUtf8 otherwise."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as error:
        raise NotUtf8(data.count(b"\n", 0, error.start) + 1) from None


def _header_problems(line: int, columns: list[str]) -> list[Problem]:
    expected = ",".join(COLUMNS)
    problems = []
    for position, name in enumerate(columns):
        if name not in COLUMNS:
            problems.append((line, f"unknown column {name!r}; expected {expected}"))
        elif columns.index(name) != position:
            problems.append((line, f"column {name!r} appears twice"))
    missing = [name for name in COLUMNS if name not in columns]
    if missing:
        problems.append((line, f"missing column(s): {', '.join(missing)}"))
    return problems


def _level(cells: Mapping[str, str], column: str, reasons: list[str]) -> int | None:
    """An integer 1–5, or None (with a reason unless the column may be empty)."""
    raw = cells[column]
    if not raw:
        if column != "agreed_level":
            reasons.append(f"{column} is empty; give a whole number from 1 to 5")
        return None
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= 5:
        reasons.append(f"{column} {raw!r} is not a whole number from 1 to 5")
        return None
    return int(raw)


def _build_row(line: int, cells: Mapping[str, str], reasons: list[str]) -> Row:
    name = " ".join(cells["round"].split())
    if not name:
        reasons.append("the round name is empty")
    elif len(name) > NAME_MAX:
        reasons.append(f"the round name is longer than {NAME_MAX} characters")
    email = normalise_email(cells["email"])
    if not email:
        reasons.append("the e-mail address is empty")
    if not cells["competence"]:
        reasons.append("the competence code is empty")
    self_level = _level(cells, "self_level", reasons)
    agreed_level = _level(cells, "agreed_level", reasons)
    motivation = _level(cells, "motivation", reasons)
    return Row(
        line=line,
        round=name,
        email=email,
        competence=cells["competence"],
        self_level=self_level or 0,
        agreed_level=agreed_level,
        motivation=motivation or 0,
    )


def _duplicates(rows: list[Row]) -> list[Problem]:
    first: dict[tuple[str, str, str], int] = {}
    problems = []
    for row in rows:
        key = (row.round, row.email, row.competence)
        if key in first:
            reason = f"duplicate of line {first[key]} (same round, person and competence)"
            problems.append((row.line, reason))
        else:
            first[key] = row.line
    return problems


def parse_assessments_csv(text: str) -> tuple[list[Row], list[Problem]]:
    """The file's rows and its problems; the rows are for use only when there are none."""
    records, problems = read_csv_records(text)
    if problems:
        return [], problems
    if not records:
        return [], [(1, "the file is empty; expected a header row")]
    header_line, header = records[0]
    columns = [name.lower() for name in header]
    problems = _header_problems(header_line, columns)
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
