"""Who takes part in a coordination record (an assessment round, a funded programme): whole
organisations and single departments, and who may choose them.

Admins and coordinators whose report scope is "all" choose anything and manage every such
record; an organisation coordinator chooses within their own organisation and manages only
records entirely within it; a department coordinator manages none (they read). Rounds
(`lms.assessment.rounds`) and programmes (`lms.reports.programmes`) both decide from here.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.accounts.models import Department, Organisation, ReportScope, User
from lms.accounts.scope import covers_everything
from lms.core.access import Permission
from lms.core.errors import ValidationError
from lms.core.i18n import _l

NO_TARGETS = _l("Choose at least one organisation or department that takes part.")
OUTSIDE_ORGANISATION = _l("You may only choose your own organisation and its departments.")
GONE = _l("One of the chosen organisations or departments no longer exists.")


def may_create_targeted(user: User) -> bool:
    """Admins and coordinators other than department coordinators."""
    return covers_everything(user) or (
        user.has(Permission.COORDINATOR) and user.report_scope == ReportScope.ORGANISATION
    )


def limited_to_organisation(user: User) -> int | None:
    """The one organisation whose parts `user` may choose (None: any)."""
    return None if covers_everything(user) else user.organisation_id


def choosable(
    user: User, organisations: list[Organisation], departments: list[Department]
) -> tuple[list[Organisation], list[Department]]:
    """The organisations and departments `user` may choose among those given."""
    own = limited_to_organisation(user)
    if own is None:
        return organisations, departments
    return [o for o in organisations if o.id == own], [
        d for d in departments if d.organisation_id == own
    ]


def _within_own(
    user: User, organisations: Iterable[Organisation], departments: Iterable[Department]
) -> bool:
    places = [o.id for o in organisations] + [d.organisation_id for d in departments]
    return all(place == user.organisation_id for place in places)


def may_manage_targeted(
    user: User, organisations: Iterable[Organisation], departments: Iterable[Department]
) -> bool:
    """Whether `user` may change or delete a record that these take part in."""
    if covers_everything(user):
        return True
    return may_create_targeted(user) and _within_own(user, organisations, departments)


def load_targets(
    session: Session, actor: User, organisation_ids: Iterable[int], department_ids: Iterable[int]
) -> tuple[list[Organisation], list[Department]]:
    """The chosen organisations and departments, checked: someone takes part, they all exist,
    and `actor` may choose them (errors on the field "targets")."""
    organisation_set, department_set = set(organisation_ids), set(department_ids)
    if not organisation_set and not department_set:
        raise ValidationError(NO_TARGETS, field="targets")
    organisations = list(
        session.scalars(select(Organisation).where(Organisation.id.in_(organisation_set)))
    )
    departments = list(session.scalars(select(Department).where(Department.id.in_(department_set))))
    if len(organisations) != len(organisation_set) or len(departments) != len(department_set):
        raise ValidationError(GONE, field="targets")
    if not covers_everything(actor) and not _within_own(actor, organisations, departments):
        raise ValidationError(OUTSIDE_ORGANISATION, field="targets")
    return organisations, departments
