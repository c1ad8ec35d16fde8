"""The programme form: shape and simple rules; `lms.reports.programmes` decides the rest."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_wtf import FlaskForm
from wtforms import Field, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional
from wtforms.validators import ValidationError as FieldError

from lms.accounts.forms import MultiCheckboxField
from lms.accounts.models import Department, Organisation
from lms.assessment.round_forms import TargetGroup
from lms.core.errors import DomainError
from lms.core.forms import options
from lms.core.i18n import _l
from lms.reports.models import Programme
from lms.reports.programmes import (
    DESCRIPTION_MAX,
    ENDS_BEFORE_START,
    NAME_MAX,
    NO_TARGETS,
    ProgrammeData,
)
from lms.transfer.editor_forms import LocalDateField

FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)
NUMBER_LENGTH = 20
# The order the form shows its fields in, for the error summary.
PAGE_ORDER = (
    "name", "description", "starts_on", "ends_on",
    "target_participants", "target_hours", "target_hours_per_participant",
)  # fmt: skip
TARGET_FIELDS = ("targets", "organisations", "departments")


def _sensible(form: Any, field: Field) -> None:
    if field.data is not None and not FIRST_DAY <= field.data <= LAST_DAY:
        raise FieldError(str(_l("Choose a date between 2000 and 2100.")))


def _digits(text: str | None) -> str:
    """The number as typed, without spaces between thousands ("1 098" → "1098")."""
    return "".join((text or "").split())


def whole_number(text: str | None) -> int | None:
    """A whole number above 0 typed by a person, or None when empty; FieldError when not one."""
    digits = _digits(text)
    if not digits:
        return None
    if not digits.isascii() or not digits.isdigit() or not int(digits):
        raise FieldError(str(_l("Give a whole number above 0, like 1098.")))
    return int(digits)


def decimal_number(text: str | None) -> Decimal | None:
    """A number above 0 with an optional decimal comma or point, or None when empty."""
    digits = _digits(text).replace(",", ".")
    if not digits:
        return None
    try:
        number = Decimal(digits)
    except InvalidOperation:
        number = Decimal("NaN")
    if not digits.isascii() or not number.is_finite() or number <= 0:
        raise FieldError(str(_l("Give a number above 0, like 18 or 17,5.")))
    return number


def _number_text(value: float | int | None) -> str:
    """A saved target as the form shows it: 18.0 → "18", 17.5 → "17,5"."""
    if value is None:
        return ""
    if float(value).is_integer():
        return str(int(value))
    return f"{value:g}".replace(".", ",")


class ProgrammeForm(FlaskForm):
    """A programme's name, period, targets and the organisations and departments taking part."""

    name = StringField(
        _l("Name"), validators=[InputRequired(_l("A name is required.")), Length(max=NAME_MAX)]
    )
    description = TextAreaField(
        _l("Description"),
        validators=[Optional(), Length(max=DESCRIPTION_MAX)],
        render_kw={"rows": 7},
    )
    starts_on = LocalDateField(
        _l("Starts on"), validators=[InputRequired(_l("Choose a date.")), _sensible]
    )
    ends_on = LocalDateField(
        _l("Ends on"), validators=[InputRequired(_l("Choose a date.")), _sensible]
    )
    target_participants = StringField(
        _l("Participants"), validators=[Optional(), Length(max=NUMBER_LENGTH)]
    )
    target_hours = StringField(
        _l("Total hours"), validators=[Optional(), Length(max=NUMBER_LENGTH)]
    )
    target_hours_per_participant = StringField(
        _l("Hours per participant"), validators=[Optional(), Length(max=NUMBER_LENGTH)]
    )
    organisations = MultiCheckboxField(_l("Organisations"), coerce=int)
    departments = MultiCheckboxField(_l("Departments"), coerce=int)

    department_list: list[Department]
    target_errors: list[str]

    def setup(self, organisations: list[Organisation], departments: list[Department]) -> None:
        """The checkboxes for this request: organisations and their departments by name."""
        self.department_list = departments
        self.target_errors = []
        self.organisations.choices = options((o.id, o.name) for o in organisations)
        self.departments.choices = options((d.id, d.name) for d in departments)

    def validate_ends_on(self, field: Field) -> None:
        if self.starts_on.data and field.data and field.data < self.starts_on.data:
            raise FieldError(str(ENDS_BEFORE_START))

    def validate_target_participants(self, field: Field) -> None:
        whole_number(field.data)

    def validate_target_hours(self, field: Field) -> None:
        whole_number(field.data)

    def validate_target_hours_per_participant(self, field: Field) -> None:
        decimal_number(field.data)

    def validate(self, extra_validators: Any = None) -> bool:
        """The field rules, and that someone takes part (so every mistake shows at once)."""
        valid = super().validate(extra_validators)
        if not (self.organisations.data or self.departments.data):
            self.target_errors.append(str(NO_TARGETS))
            valid = False
        return valid

    def load(self, programme: Programme) -> None:
        """Fill the fields from a saved programme (the first GET of the edit page)."""
        self.name.data = programme.name
        self.description.data = programme.description
        self.starts_on.data = programme.starts_on
        self.ends_on.data = programme.ends_on
        self.target_participants.data = _number_text(programme.target_participants)
        self.target_hours.data = _number_text(programme.target_hours)
        per_participant = programme.target_hours_per_participant
        self.target_hours_per_participant.data = _number_text(per_participant)
        self.organisations.data = [o.id for o in programme.organisations]
        self.departments.data = [d.id for d in programme.departments]

    def programme_data(self) -> ProgrammeData:
        """The form's values (call after validation: the numbers then parse)."""
        return ProgrammeData(
            name=self.name.data or "",
            description=self.description.data or "",
            starts_on=self.starts_on.data,
            ends_on=self.ends_on.data,
            target_participants=whole_number(self.target_participants.data),
            target_hours=whole_number(self.target_hours.data),
            target_hours_per_participant=decimal_number(self.target_hours_per_participant.data),
            organisation_ids=list(self.organisations.data or []),
            department_ids=list(self.departments.data or []),
        )

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
        fields = [str(message) for name in TARGET_FIELDS[1:] for message in self[name].errors]
        return self.target_errors + fields

    def error_summary(self) -> list[tuple[str, str]]:
        """(element id, message) for every error, in page order, for the summary at the top."""
        found = [("programme-form", str(message)) for message in self.form_errors]
        for name in PAGE_ORDER:
            found += [(self[name].id, str(message)) for message in self[name].errors]
        found += [("targets", message) for message in self.targets_errors()]
        return found
