"""The ESF report pages' GET forms: any period (`fran`, `till`), the department filter
(`avdelning`), the CSV separator (`sep=semikolon`) and the listing's page number. No CSRF:
they only read. Tampered values are refused here, never passed on to the report."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from wtforms import DateField, Form, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, ValidationError

from lms.accounts.models import Department
from lms.core.i18n import _l

MAX_MONTHS = 120  # a period of at most ten years
SEMICOLON = "semikolon"


class LocalDateField(DateField):
    """An ISO date (2024-03-31) with a message that says how to write it."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError(
                str(_l("Write the date as YYYY-MM-DD, for example 2024-03-31."))
            ) from error


class PeriodForm(Form):
    """Any period for the ESF report: from and to, both inclusive, at most ten years."""

    fran = LocalDateField(_l("From"), validators=[InputRequired(_l("Choose a date."))])
    till = LocalDateField(_l("To"), validators=[InputRequired(_l("Choose a date."))])

    def validate_till(self, field: DateField) -> None:
        start, end = self.fran.data, field.data
        if not isinstance(start, date) or not isinstance(end, date):
            return
        if end < start:
            raise ValidationError(str(_l("The period cannot end before it starts.")))
        if (end.year - start.year) * 12 + end.month - start.month >= MAX_MONTHS:
            raise ValidationError(str(_l("The period may be at most ten years.")))

    @property
    def period(self) -> tuple[date, date]:
        """The validated period (call after `validate()` returned True)."""
        assert self.fran.data is not None and self.till.data is not None
        return self.fran.data, self.till.data


class UnknownDepartment(LookupError):
    """The chosen department is not one the reader may narrow this report to."""


class DepartmentFilterForm(Form):
    """The department filter: every department the report may be narrowed to, grouped by
    organisation; empty means all of them."""

    avdelning = SelectField(_l("Department"), validate_choice=False)

    def set_choices(self, departments: Sequence[Department]) -> None:
        self.avdelning.choices = [SelectChoice("", str(_l("All departments")))] + [
            SelectChoice(str(d.id), d.name, optgroup=d.organisation.name) for d in departments
        ]

    def department_id(self) -> int | None:
        """The chosen department's id; None for all. UnknownDepartment for anything else."""
        value = (self.avdelning.data or "").strip()
        if not value:
            return None
        allowed = {choice.value for choice in self.avdelning.choices or []}
        if value not in allowed:
            raise UnknownDepartment(value)
        return int(value)


def csv_delimiter(args: Mapping[str, str]) -> str:
    """`;` when asked for (`sep=semikolon`, as Excel in Swedish wants), else `,`."""
    return ";" if args.get("sep") in (SEMICOLON, ";") else ","


def page_number(args: Mapping[str, str]) -> int:
    """The listing's page (`page=`); junk means the first."""
    value = args.get("page", "")
    return int(value) if value.isascii() and value.isdigit() and len(value) < 7 else 1
