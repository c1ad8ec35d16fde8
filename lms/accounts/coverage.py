"""The plain data of a reader's coverage (no database, no Flask): `lms.accounts.scope` decides
it, the reports' pure maths and queries take it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Coverage:
    """A completion passes when the organisation it was done in is one of `organisation_ids`
    or its department one of `department_ids` (both as stored on the completion)."""

    organisation_ids: frozenset[int] = frozenset()
    department_ids: frozenset[int] = frozenset()


NOTHING = Coverage()
