"""The "who takes part" part of a coordinator's form (an assessment round, a programme):
checkboxes for whole organisations and single departments, grouped by organisation, with
their errors above them. Forms mix `TargetsForm` into their FlaskForm."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from lms.accounts.forms import MultiCheckboxField
from lms.accounts.models import Department, Organisation
from lms.accounts.targets import NO_TARGETS
from lms.core.errors import DomainError
from lms.core.forms import options
from lms.core.i18n import _l

TARGET_FIELDS = ("targets", "organisations", "departments")


@dataclass
class TargetGroup:
    """One organisation's checkboxes: the whole organisation, then its departments."""

    name: str
    organisation: Any
    departments: list[Any]


class TargetsForm:
    """Mixed into a FlaskForm: its organisations and departments taking part."""

    organisations = MultiCheckboxField(_l("Organisations"), coerce=int)
    departments = MultiCheckboxField(_l("Departments"), coerce=int)

    department_list: list[Department]
    target_errors: list[str]
    form_errors: list[str]
    _fields: dict[str, Any]

    def setup_targets(
        self, organisations: list[Organisation], departments: list[Department]
    ) -> None:
        """The checkboxes for this request: organisations and their departments by name."""
        self.department_list = departments
        self.target_errors = []
        self.organisations.choices = options((o.id, o.name) for o in organisations)
        self.departments.choices = options((d.id, d.name) for d in departments)

    def load_targets(
        self, organisations: Sequence[Organisation], departments: Sequence[Department]
    ) -> None:
        self.organisations.data = [o.id for o in organisations]
        self.departments.data = [d.id for d in departments]

    def check_targets(self) -> bool:
        """That someone takes part (from `validate`, so every mistake shows at once)."""
        if self.organisations.data or self.departments.data:
            return True
        self.target_errors.append(str(NO_TARGETS))
        return False

    def target_ids(self) -> tuple[list[int], list[int]]:
        return list(self.organisations.data or []), list(self.departments.data or [])

    def target_groups(self) -> list[TargetGroup]:
        """The checkboxes grouped by organisation: the whole organisation, then departments."""
        organisation_of = {str(d.id): str(d.organisation_id) for d in self.department_list}
        groups = {
            str(option.data): TargetGroup(str(option.label.text), option, [])
            for option in self.organisations
        }
        for option in self.departments:
            group = groups.get(organisation_of.get(str(option.data), ""))
            if group is not None:
                group.departments.append(option)
        return list(groups.values())

    def show_error(self, error: DomainError) -> None:
        """A service's error next to its field (the targets' above their checkboxes)."""
        field = self._fields.get(error.field or "")
        if error.field in TARGET_FIELDS:
            self.target_errors.append(str(error.message))
        elif field is not None:
            field.errors = [*field.errors, str(error.message)]
        else:
            self.form_errors.append(str(error.message))

    def targets_errors(self) -> list[str]:
        """The messages about the organisations and departments, shown above their boxes."""
        fields = [str(m) for name in TARGET_FIELDS[1:] for m in self._fields[name].errors]
        return self.target_errors + fields

    def summary_of_errors(self, form_id: str, page_order: Sequence[str]) -> list[tuple[str, str]]:
        """(element id, message) for every error, in page order, for the summary at the top."""
        found = [(form_id, str(message)) for message in self.form_errors]
        for name in page_order:
            if name in self._fields:
                found += [(self._fields[name].id, str(m)) for m in self._fields[name].errors]
        found += [("targets", message) for message in self.targets_errors()]
        return found
