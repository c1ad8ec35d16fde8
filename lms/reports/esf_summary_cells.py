"""Adding to and taking from one cell (row) of a programme summary table, concurrency-safe.

Adding is one upsert (INSERT … ON CONFLICT (primary key) DO UPDATE adding the counts, keeping
the earlier `first_on`), so concurrent writers never lose an update. Taking locks the row first
(SELECT … FOR UPDATE), then decrements it or deletes it when nothing would be left (the tables'
CHECK constraints allow no row at zero). Statements are Core, built once per table and dialect
(every call only binds values): a completion's upkeep is a handful of cheap statements.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, bindparam, case, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

EARLIEST = "first_on"  # ProgrammeParticipant: the day of the first counted completion


def add(session: Session, model: Any, row: Mapping[str, Any]) -> None:
    """Insert the row, or add its counts to the existing one (keeping the earlier first_on)."""
    session.execute(_upsert(session.get_bind().dialect.name, _table(model)), dict(row))


def change(
    session: Session,
    model: Any,
    key: Mapping[str, Any],
    deltas: Mapping[str, int],
    first_on: date | None = None,
) -> None:
    """Add `deltas` (every counted column, negative to take away) to an existing row; set
    first_on too when given. Changes nothing when the row is missing."""
    table = _table(model)
    params = {**_keyed(key), **{f"d_{name}": deltas.get(name, 0) for name in _counts(table)}}
    if first_on is None:
        session.execute(_change(table, False), params)
    else:
        session.execute(_change(table, True), {**params, "new_first_on": first_on})


def take(
    session: Session,
    model: Any,
    key: Mapping[str, Any],
    amounts: Mapping[str, int],
    first_on: date | None = None,
) -> None:
    """Subtract `amounts` from the row, or delete it when nothing would be left (or, for a
    person's row, when they have no earlier completion left: `first_on` None)."""
    table = _table(model)
    row = session.execute(_locked(table), _keyed(key)).first()
    if row is None:
        return  # already out of step: the next rebuild puts it right
    left = [getattr(row, name) - amounts.get(name, 0) for name in _counts(table)]
    if min(left) <= 0 or (EARLIEST in table.c and first_on is None):
        session.execute(_delete(table), _keyed(key))
    else:
        change(session, model, key, {name: -amount for name, amount in amounts.items()}, first_on)


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


def _keyed(key: Mapping[str, Any]) -> dict[str, Any]:
    return {f"k_{name}": value for name, value in key.items()}


def _counts(table: Table) -> tuple[str, ...]:
    """The summed columns: everything but the key and first_on."""
    return tuple(c.name for c in table.columns if not c.primary_key and c.name != EARLIEST)


def _key_matches(table: Table) -> ColumnElement[bool]:
    return and_(*(column == bindparam(f"k_{column.name}") for column in table.primary_key))


@cache
def _upsert(dialect_name: str, table: Table) -> Any:
    insert = (postgresql if dialect_name == "postgresql" else sqlite).insert(table)
    changes: dict[str, Any] = {}
    for name in _counts(table):
        changes[name] = table.c[name] + insert.excluded[name]
    if EARLIEST in table.c:
        new, old = insert.excluded[EARLIEST], table.c[EARLIEST]
        changes[EARLIEST] = case((new < old, new), else_=old)
    return insert.on_conflict_do_update(
        index_elements=[column.name for column in table.primary_key], set_=changes
    )


@cache
def _change(table: Table, sets_first_on: bool) -> Any:
    values: dict[str, Any] = {
        name: table.c[name] + bindparam(f"d_{name}") for name in _counts(table)
    }
    if sets_first_on:
        values[EARLIEST] = bindparam("new_first_on", type_=table.c[EARLIEST].type)
    return update(table).where(_key_matches(table)).values(values)


@cache
def _locked(table: Table) -> Any:
    counts = [table.c[name] for name in _counts(table)]
    return select(*counts).where(_key_matches(table)).with_for_update()


@cache
def _delete(table: Table) -> Any:
    return delete(table).where(_key_matches(table))
