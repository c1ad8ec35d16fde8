"""Find and replace a person's old name and e-mail in every text column of every table.

Mails, notifications to others ("Anna Berg reported a conference"), audit details and any
text that mentions the person are rewritten to the pseudonym, so nothing is left to join
back to them. The column list is read from the schema, so a new table is swept too.
Matches stand alone (not inside a longer word or another address); a single-word name or
an e-mail local part that is a plain word is not swept, because it would rewrite other
people's text and is not joinable to one person anyway.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import JSON, Column, String, Table, Text, cast, or_, select, update
from sqlalchemy.orm import Session

from lms.privacy.schema import all_tables

# The users table is set directly (another person may share a name); never swept.
NOT_SWEPT = frozenset({"users"})


@dataclass(frozen=True)
class Identity:
    name: str
    email: str

    @property
    def local_part(self) -> str:
        return self.email.partition("@")[0]


def _pairs(old: Identity, new: Identity) -> list[tuple[str, str]]:
    """(old, new) strings to replace, the longest first."""
    pairs = [(old.email, new.email)]
    if re.search(r"[._\-+0-9]", old.local_part) and len(old.local_part) >= 4:
        pairs.append((old.local_part, new.local_part))
    if len(old.name.split()) >= 2:
        pairs.append((old.name, new.name))
    return pairs


def _pattern(pairs: list[tuple[str, str]]) -> re.Pattern[str]:
    # Not inside a word, a longer address or a dotted name: "anna.berg" ≠ "xanna.berg1".
    alternatives = "|".join(re.escape(old) for old, _ in pairs)
    return re.compile(rf"(?<![\w.@+\-])(?:{alternatives})(?![\w@]|\.\w)", re.IGNORECASE)


def _replace_text(text: str, pattern: re.Pattern[str], pairs: list[tuple[str, str]]) -> str:
    lookup = {old.lower(): new for old, new in pairs}
    return pattern.sub(lambda m: lookup[m.group(0).lower()], text)


def _replace_value(value: Any, pattern: re.Pattern[str], pairs: list[tuple[str, str]]) -> Any:
    if isinstance(value, str):
        return _replace_text(value, pattern, pairs)
    if isinstance(value, list):
        return [_replace_value(v, pattern, pairs) for v in value]
    if isinstance(value, dict):
        return {
            _replace_value(k, pattern, pairs): _replace_value(v, pattern, pairs)
            for k, v in value.items()
        }
    return value


def text_columns(table: Table) -> list[Column[Any]]:
    """The columns of `table` that can hold free text (strings, texts and JSON)."""
    return [c for c in table.columns if isinstance(c.type, String | Text | JSON)]


def searchable(column: Column[Any]) -> Any:
    """The column as text, for a LIKE search on every backend."""
    return cast(column, Text) if isinstance(column.type, JSON) else column


def _forms(column: Column[Any], pairs: list[tuple[str, str]]) -> list[str]:
    """What to look for in a column: JSON may hold non-ASCII characters as \\u escapes."""
    found = [old for old, _ in pairs]
    if isinstance(column.type, JSON):
        found += [json.dumps(old)[1:-1] for old in found if not old.isascii()]
    return found


def _sweep_table(
    session: Session, table: Table, pairs: list[tuple[str, str]], pattern: re.Pattern[str]
) -> int:
    columns = text_columns(table)
    pk = list(table.primary_key.columns)
    if not columns or not pk:
        return 0
    hits = or_(
        *[
            searchable(c).icontains(text, autoescape=True)
            for c in columns
            for text in _forms(c, pairs)
        ]
    )
    changed = 0
    for row in session.execute(select(*pk, *columns).where(hits)).all():
        values = row._mapping
        new = {c.name: _replace_value(values[c], pattern, pairs) for c in columns}
        new = {k: v for k, v in new.items() if v != values[k]}
        if new:
            key = [c == values[c] for c in pk]
            session.execute(update(table).where(*key).values(**new))
            changed += 1
    return changed


def sweep_identity(session: Session, old: Identity, new: Identity) -> dict[str, int]:
    """Rewrite `old` to `new` in every text column outside the users table; rows changed
    per table (tables with no change left out)."""
    pairs = _pairs(old, new)
    pattern = _pattern(pairs)
    changed: dict[str, int] = {}
    for name, table in sorted(all_tables().items()):
        if name in NOT_SWEPT:
            continue
        count = _sweep_table(session, table, pairs, pattern)
        if count:
            changed[name] = count
    return changed
