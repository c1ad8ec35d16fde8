"""What part of the organisation a reader's aggregates cover: deny by default, widened by the
reader's report scope.

Admins and coordinators with the scope "all" cover everything (None); an organisation
coordinator covers their organisation; a department coordinator their department; anyone
else (and a department coordinator without a department) nothing. The reports
(`lms.reports.scope`) and the assessment rounds both decide from this one rule.
"""

from __future__ import annotations

from lms.accounts.coverage import NOTHING, Coverage
from lms.accounts.models import ReportScope, User
from lms.core.access import Permission

__all__ = ["NOTHING", "Coverage", "covers_everything", "reader_coverage"]


def covers_everything(user: User) -> bool:
    """Admins and coordinators whose report scope is "all"."""
    return user.has(Permission.ADMIN) or (
        user.has(Permission.COORDINATOR) and user.report_scope == ReportScope.ALL
    )


def reader_coverage(user: User) -> Coverage | None:
    """The coverage a reader's reports are limited to; None: everything. A user who may not
    read reports at all, or a department coordinator without a department, covers nothing."""
    if covers_everything(user):
        return None
    if not user.has(Permission.COORDINATOR):
        return NOTHING
    if user.report_scope == ReportScope.DEPARTMENT:
        if user.department_id is None:
            return NOTHING
        return Coverage(department_ids=frozenset({user.department_id}))
    return Coverage(organisation_ids=frozenset({user.organisation_id}))
