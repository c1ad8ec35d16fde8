"""The round form: shape and simple rules; `lms.assessment.rounds` decides the rest."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import DateField, Field, StringField
from wtforms.validators import InputRequired, Length
from wtforms.validators import ValidationError as FieldError

from lms.accounts.models import Department, Organisation
from lms.accounts.target_forms import TargetsForm
from lms.assessment.models import AssessmentRound
from lms.assessment.rounds import CLOSES_BEFORE_OPENING, NAME_MAX, RoundData
from lms.assessment.rounds_base import RoundPhase
from lms.core.i18n import _l

PHASE_LABELS = {
    RoundPhase.UPCOMING: _l("Upcoming"),
    RoundPhase.OPEN: _l("Open now"),
    RoundPhase.CLOSED: _l("Closed"),
}
# The order the form shows its fields in, for the error summary.
PAGE_ORDER = ("name", "opens_on", "closes_on")


class RoundForm(TargetsForm, FlaskForm):
    """A round's name, period and the organisations and departments taking part."""

    name = StringField(
        _l("Name"),
        validators=[InputRequired(_l("A name is required.")), Length(max=NAME_MAX)],
    )
    opens_on = DateField(_l("Opens on"), validators=[InputRequired(_l("Choose a date."))])
    closes_on = DateField(_l("Closes on"), validators=[InputRequired(_l("Choose a date."))])

    start_locked: bool

    def setup(
        self,
        organisations: list[Organisation],
        departments: list[Department],
        *,
        start_locked: bool = False,
    ) -> None:
        """Choices for this request; an announced round's start date is not editable."""
        self.setup_targets(organisations, departments)
        self.start_locked = start_locked
        if start_locked:
            del self.opens_on

    def validate_closes_on(self, field: Field) -> None:
        opens_on = self.opens_on.data if "opens_on" in self._fields else None
        if opens_on and field.data and field.data < opens_on:
            raise FieldError(str(CLOSES_BEFORE_OPENING))

    def validate(self, extra_validators: Any = None) -> bool:
        """The field rules, and that someone takes part (so every mistake shows at once)."""
        valid = super().validate(extra_validators)
        return self.check_targets() and valid

    def load(self, round_: AssessmentRound) -> None:
        """Fill the fields from a saved round (the first GET of the edit page)."""
        self.name.data = round_.name
        if not self.start_locked:
            self.opens_on.data = round_.opens_on
        self.closes_on.data = round_.closes_on
        self.load_targets(round_.organisations, round_.departments)

    def round_data(self, round_: AssessmentRound | None = None) -> RoundData:
        """The form's values (call after validation: both dates are then present)."""
        opens_on = round_.opens_on if self.start_locked and round_ else self.opens_on.data
        organisation_ids, department_ids = self.target_ids()
        return RoundData(
            name=self.name.data or "",
            opens_on=opens_on,
            closes_on=self.closes_on.data,
            organisation_ids=organisation_ids,
            department_ids=department_ids,
        )

    def error_summary(self) -> list[tuple[str, str]]:
        return self.summary_of_errors("round-form", PAGE_ORDER)
