"""The round form: shape and simple rules; `lms.assessment.rounds` decides the rest."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_wtf import FlaskForm
from wtforms import DateField, Field, StringField
from wtforms.validators import InputRequired, Length
from wtforms.validators import ValidationError as FieldError

from lms.accounts.forms import MultiCheckboxField
from lms.accounts.models import Department, Organisation
from lms.assessment.models import AssessmentRound
from lms.assessment.rounds import CLOSES_BEFORE_OPENING, NAME_MAX, NO_TARGETS, RoundData
from lms.assessment.rounds_base import RoundPhase
from lms.core.errors import DomainError
from lms.core.forms import options
from lms.core.i18n import _l

PHASE_LABELS = {
    RoundPhase.UPCOMING: _l("Upcoming"),
    RoundPhase.OPEN: _l("Open now"),
    RoundPhase.CLOSED: _l("Closed"),
}
# The order the form shows its fields in, for the error summary.
PAGE_ORDER = ("name", "opens_on", "closes_on")


@dataclass
class TargetGroup:
    """One organisation's checkboxes: the whole organisation, then its departments."""

    name: str
    organisation: Any
    departments: list[Any]


class RoundForm(FlaskForm):
    """A round's name, period and the organisations and departments taking part."""

    name = StringField(
        _l("Name"),
        validators=[InputRequired(_l("A name is required.")), Length(max=NAME_MAX)],
    )
    opens_on = DateField(_l("Opens on"), validators=[InputRequired(_l("Choose a date."))])
    closes_on = DateField(_l("Closes on"), validators=[InputRequired(_l("Choose a date."))])
    organisations = MultiCheckboxField(_l("Organisations"), coerce=int)
    departments = MultiCheckboxField(_l("Departments"), coerce=int)

    organisation_list: list[Organisation]
    department_list: list[Department]
    start_locked: bool
    target_errors: list[str]

    def setup(
        self,
        organisations: list[Organisation],
        departments: list[Department],
        *,
        start_locked: bool = False,
    ) -> None:
        """Choices for this request; an announced round's start date is not editable."""
        self.organisation_list = organisations
        self.department_list = departments
        self.start_locked = start_locked
        self.target_errors = []
        self.organisations.choices = options((o.id, o.name) for o in organisations)
        self.departments.choices = options((d.id, d.name) for d in departments)
        if start_locked:
            del self.opens_on

    def validate_closes_on(self, field: Field) -> None:
        opens_on = self.opens_on.data if "opens_on" in self._fields else None
        if opens_on and field.data and field.data < opens_on:
            raise FieldError(str(CLOSES_BEFORE_OPENING))

    def validate(self, extra_validators: Any = None) -> bool:
        """The field rules, and that someone takes part (so every mistake shows at once)."""
        valid = super().validate(extra_validators)
        if not (self.organisations.data or self.departments.data):
            self.target_errors.append(str(NO_TARGETS))
            valid = False
        return valid

    def load(self, round_: AssessmentRound) -> None:
        """Fill the fields from a saved round (the first GET of the edit page)."""
        self.name.data = round_.name
        if not self.start_locked:
            self.opens_on.data = round_.opens_on
        self.closes_on.data = round_.closes_on
        self.organisations.data = [o.id for o in round_.organisations]
        self.departments.data = [d.id for d in round_.departments]

    def target_groups(self) -> list[TargetGroup]:
        """The checkboxes grouped by organisation, organisations in name order."""
        organisation_of = {str(d.id): str(d.organisation_id) for d in self.department_list}
        groups = {
            str(option.data): TargetGroup(str(option.label.text), option, [])
            for option in self.organisations
        }
        for option in self.departments:
            group = groups.get(organisation_of[str(option.data)])
            if group is not None:
                group.departments.append(option)
        return list(groups.values())

    def round_data(self, round_: AssessmentRound | None = None) -> RoundData:
        """The form's values (call after validation: both dates are then present)."""
        opens_on = round_.opens_on if self.start_locked and round_ else self.opens_on.data
        return RoundData(
            name=self.name.data or "",
            opens_on=opens_on,
            closes_on=self.closes_on.data,
            organisation_ids=list(self.organisations.data or []),
            department_ids=list(self.departments.data or []),
        )

    def show_error(self, error: DomainError) -> None:
        """A service's error next to its field (the targets' above their checkboxes)."""
        field = self._fields.get(error.field or "")
        if error.field in ("targets", "organisations", "departments"):
            self.target_errors.append(str(error.message))
        elif field is not None:
            field.errors = [*field.errors, str(error.message)]
        else:
            self.form_errors.append(str(error.message))

    def targets_errors(self) -> list[str]:
        """The messages about the organisations and departments, shown above their boxes."""
        fields = [
            str(message)
            for name in ("organisations", "departments")
            for message in self[name].errors
        ]
        return self.target_errors + fields

    def error_summary(self) -> list[tuple[str, str]]:
        """(element id, message) for every error, in page order, for the summary at the top."""
        found = [("round-form", str(message)) for message in self.form_errors]
        for name in PAGE_ORDER:
            if name in self._fields:
                found += [(self[name].id, str(message)) for message in self[name].errors]
        found += [("targets", message) for message in self.targets_errors()]
        return found
