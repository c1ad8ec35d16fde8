"""The calendar's filter form (a GET form: no CSRF), with the catalogue's labels."""

from __future__ import annotations

from collections.abc import Sequence

from wtforms import Form, SelectField

from lms.accounts.models import Department, User
from lms.catalog.browse_forms import FORMAT_LABELS, MY_DEPARTMENT
from lms.catalog.models import SCHEDULED_FORMATS
from lms.core.forms import options
from lms.core.i18n import _l
from lms.discover.calendar import CalendarFilter
from lms.framework.models import Subject


class CalendarFilterForm(Form):
    """Department, subject and format; the view and date travel beside them in the URL."""

    avdelning = SelectField(_l("For department"), validate_choice=False)
    amne = SelectField(_l("Subject"), validate_choice=False)
    format = SelectField(_l("Format"), validate_choice=False)

    def set_choices(self, subjects: Sequence[Subject], departments: Sequence[Department]) -> None:
        """Fill the options; only formats that have sessions are offered."""
        anything = ("", _l("All"))
        several = len({d.organisation_id for d in departments}) > 1
        self.avdelning.choices = options(
            [
                anything,
                (MY_DEPARTMENT, _l("My department")),
                *((d.id, f"{d.name} ({d.organisation.name})" if several else d.name)
                  for d in departments),
            ]
        )  # fmt: skip
        self.amne.choices = options([anything, *((s.slug, s.name) for s in subjects)])
        scheduled = [
            (key, label) for key, label in FORMAT_LABELS.items() if key in SCHEDULED_FORMATS
        ]
        self.format.choices = options([anything, *scheduled])

    def _chosen(self, field: SelectField) -> str | None:
        """The field's value when it is one of its options (tampered URLs are ignored)."""
        allowed = {choice.value for choice in field.choices or []}
        value = field.data or ""
        return value if value and value in allowed else None

    def department_id(self, user: User) -> int | None:
        """The chosen department ("my department" is the viewer's own), or None for all."""
        chosen = self._chosen(self.avdelning)
        if chosen == MY_DEPARTMENT:
            return user.department_id
        return int(chosen) if chosen and chosen.isdigit() else None

    def to_filter(self, user: User) -> CalendarFilter:
        return CalendarFilter(
            by_department=self._chosen(self.avdelning) is not None,
            department_id=self.department_id(user),
            subject=self._chosen(self.amne),
            format=self._chosen(self.format),
        )

    def url_args(self) -> dict[str, str]:
        """The chosen filters as URL arguments (for the navigation and view links)."""
        args = {}
        for field in (self.avdelning, self.amne, self.format):
            if value := self._chosen(field):
                args[field.name] = value
        return args
