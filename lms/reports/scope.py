"""Who sees which part of a report: deny by default, widened by the reader's report scope.

Admins and coordinators with the scope "all" see every organisation; an organisation
coordinator sees completions done in their organisation; a department coordinator those
done in their department (as stored on each completion: the department at completion).
The decision itself lives in `lms.accounts.scope` (the assessment rounds follow it too).
"""

from __future__ import annotations

from lms.accounts.models import User
from lms.accounts.scope import NOTHING, Coverage, reader_coverage
from lms.core.access import Permission

__all__ = ["NOTHING", "Coverage", "may_list_people", "reader_coverage"]


def may_list_people(user: User) -> bool:
    """The funder's per-person hours listing: coordinators (or admins) with REPORTING."""
    return user.has(Permission.REPORTING) and (
        user.has(Permission.COORDINATOR) or user.has(Permission.ADMIN)
    )
