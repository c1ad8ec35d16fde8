"""Who sees which part of a report: deny by default, widened by the reader's report scope.

Admins and coordinators with the scope "all" see every organisation; an organisation
coordinator sees completions done in their organisation; a department coordinator those
done in their department (as stored on each completion: the department at completion).
"""

from __future__ import annotations

from lms.accounts.models import ReportScope, User
from lms.core.access import Permission
from lms.reports.esf_data import Coverage

NOTHING = Coverage()


def reader_coverage(user: User) -> Coverage | None:
    """The coverage a reader's reports are limited to; None: everything. A user who may not
    read reports at all, or a department coordinator without a department, covers nothing."""
    if user.has(Permission.ADMIN):
        return None
    if not user.has(Permission.COORDINATOR):
        return NOTHING
    if user.report_scope == ReportScope.ALL:
        return None
    if user.report_scope == ReportScope.DEPARTMENT:
        if user.department_id is None:
            return NOTHING
        return Coverage(department_ids=frozenset({user.department_id}))
    return Coverage(organisation_ids=frozenset({user.organisation_id}))


def may_list_people(user: User) -> bool:
    """The funder's per-person hours listing: coordinators (or admins) with REPORTING."""
    return user.has(Permission.REPORTING) and (
        user.has(Permission.COORDINATOR) or user.has(Permission.ADMIN)
    )
