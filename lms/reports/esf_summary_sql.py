"""SQL pieces the programme summaries share: the month of a date and the coverage filters."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, Integer, String, and_, false, literal_column, or_, true
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from lms.reports.esf_data import Coverage

Column = ColumnElement[Any] | QueryableAttribute[Any]

# A literal, not a bound parameter: PostgreSQL must see the same expression in the select list
# and in GROUP BY, and two bound parameters (even equal ones) are different expressions to it.
ZERO: ColumnElement[int] = literal_column("0", Integer)


class month_of(FunctionElement[str]):
    """The "YYYY-MM" of a date column, on SQLite and PostgreSQL alike."""

    type = String(7)
    inherit_cache = True
    name = "month_of"


@compiles(month_of, "postgresql")
def _month_of_postgresql(element: month_of, compiler: SQLCompiler, **kw: Any) -> str:
    return f"to_char({compiler.process(element.clauses, **kw)}, 'YYYY-MM')"


@compiles(month_of, "sqlite")
def _month_of_sqlite(element: month_of, compiler: SQLCompiler, **kw: Any) -> str:
    return f"strftime('%Y-%m', {compiler.process(element.clauses, **kw)})"


def covered(coverage: Coverage, organisation: Column, department: Column) -> ColumnElement[bool]:
    """Rows whose organisation or department is one the coverage names (NULL or the summary
    key 0 never is: ids start at 1)."""
    terms = []
    if coverage.organisation_ids:
        terms.append(organisation.in_(sorted(coverage.organisation_ids)))
    if coverage.department_ids:
        terms.append(department.in_(sorted(coverage.department_ids)))
    return or_(*terms) if terms else false()


def covered_by_all(
    coverages: Iterable[Coverage],
    organisation: Column,
    department: Column,
) -> ColumnElement[bool]:
    """Rows that pass every coverage (no coverages: every row)."""
    return and_(true(), *(covered(c, organisation, department) for c in coverages))
