"""The programme form: shape and simple rules; `lms.reports.programmes` decides the rest."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_wtf import FlaskForm
from wtforms import Field, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional
from wtforms.validators import ValidationError as FieldError

from lms.accounts.models import Department, Organisation
from lms.accounts.target_forms import TargetsForm
from lms.core.i18n import _l
from lms.reports.models import Programme
from lms.reports.programmes import (
    DESCRIPTION_MAX,
    ENDS_BEFORE_START,
    NAME_MAX,
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


class ProgrammeForm(TargetsForm, FlaskForm):
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

    def setup(self, organisations: list[Organisation], departments: list[Department]) -> None:
        self.setup_targets(organisations, departments)

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
        return self.check_targets() and valid

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
        self.load_targets(programme.organisations, programme.departments)

    def programme_data(self) -> ProgrammeData:
        """The form's values (call after validation: the numbers then parse)."""
        organisation_ids, department_ids = self.target_ids()
        return ProgrammeData(
            name=self.name.data or "",
            description=self.description.data or "",
            starts_on=self.starts_on.data,
            ends_on=self.ends_on.data,
            target_participants=whole_number(self.target_participants.data),
            target_hours=whole_number(self.target_hours.data),
            target_hours_per_participant=decimal_number(self.target_hours_per_participant.data),
            organisation_ids=organisation_ids,
            department_ids=department_ids,
        )

    def error_summary(self) -> list[tuple[str, str]]:
        return self.summary_of_errors("programme-form", PAGE_ORDER)
