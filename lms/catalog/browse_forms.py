"""The catalogue's filter form (a GET form: no CSRF), the labels browsing adds to the editor's
(durations, weights), and reading a knowledge check's answers from a submitted form."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from wtforms import BooleanField, Form, SearchField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from lms.accounts.models import Department
from lms.catalog.forms import DELIVERY_LABELS, FORMAT_LABELS, LEVEL_LABELS
from lms.catalog.queries import MAX_QUERY_LENGTH, CatalogFilter, Duration
from lms.core.forms import options
from lms.core.i18n import _l
from lms.framework.models import CompetenceArea, Subject

DURATION_LABELS = {
    Duration.SHORT: _l("Up to 15 minutes"),
    Duration.MEDIUM: _l("15–60 minutes"),
    Duration.LONG: _l("More than an hour"),
}
MY_DEPARTMENT = "mine"
MAIN_WEIGHT = 0.75  # a weight from here up means the activity mainly develops the competence


def weight_label(weight: float) -> str:
    return str(_l("mainly") if weight >= MAIN_WEIGHT else _l("partly"))


def template_labels() -> dict[str, Any]:
    """What pages that show activities need to label them (a blueprint context processor)."""
    return {
        "format_labels": FORMAT_LABELS,
        "level_labels": LEVEL_LABELS,
        "delivery_labels": DELIVERY_LABELS,
        "weight_label": weight_label,
    }


def _strip(value: str | None) -> str:
    return (value or "").strip()


class CatalogFilterForm(Form):
    """Search and filters, all optional, all in the URL."""

    q = SearchField(
        _l("Search"), validators=[Optional(), Length(max=MAX_QUERY_LENGTH)], filters=[_strip]
    )
    area = SelectField(_l("Competence area"), validate_choice=False)
    competence = SelectField(_l("Competence"), validate_choice=False)
    subject = SelectField(_l("Subject"), validate_choice=False)
    department = SelectField(_l("For department"), validate_choice=False)
    format = SelectField(_l("Format"), validate_choice=False)
    level = SelectField(_l("Level"), validate_choice=False)
    delivery = SelectField(_l("Delivery"), validate_choice=False)
    duration = SelectField(_l("Duration"), validate_choice=False)
    upcoming = BooleanField(_l("Only with upcoming sessions"))

    def set_choices(
        self,
        areas: Sequence[CompetenceArea],
        subjects: Sequence[Subject],
        departments: Sequence[Department],
    ) -> None:
        """Fill the select options from the framework and the organisation."""
        anything = ("", _l("All"))
        self.area.choices = options([anything, *((a.code, f"{a.code} {a.name}") for a in areas)])
        self.competence.choices = [SelectChoice("", str(_l("All")))] + [
            SelectChoice(c.code, f"{c.code} {c.name}", optgroup=f"{a.code} {a.name}")
            for a in areas
            for c in a.competences
        ]
        self.subject.choices = options([anything, *((s.slug, s.name) for s in subjects)])
        self.department.choices = options(
            [anything, (MY_DEPARTMENT, _l("My department")), *_department_pairs(departments)]
        )
        self.format.choices = options([anything, *FORMAT_LABELS.items()])
        self.level.choices = options([anything, *LEVEL_LABELS.items()])
        self.delivery.choices = options([anything, *DELIVERY_LABELS.items()])
        self.duration.choices = options([anything, *DURATION_LABELS.items()])

    def _selects(self) -> tuple[SelectField, ...]:
        return (
            self.area,
            self.competence,
            self.subject,
            self.department,
            self.format,
            self.level,
            self.delivery,
            self.duration,
        )

    def _chosen(self, field: SelectField) -> str | None:
        """The field's value when it is one of its options (tampered URLs are ignored)."""
        allowed = {choice.value for choice in field.choices or []}
        value = field.data or ""
        return value if value and value in allowed else None

    def to_filter(self) -> CatalogFilter:
        department = self._chosen(self.department)
        duration = self._chosen(self.duration)
        return CatalogFilter(
            text=(self.q.data or "")[:MAX_QUERY_LENGTH],
            area=self._chosen(self.area),
            competence=self._chosen(self.competence),
            subject=self._chosen(self.subject),
            my_department=department == MY_DEPARTMENT,
            department_id=int(department) if department and department.isdigit() else None,
            format=self._chosen(self.format),
            level=self._chosen(self.level),
            delivery=self._chosen(self.delivery),
            duration=Duration(duration) if duration else None,
            upcoming=bool(self.upcoming.data),
        )

    def url_args(self) -> dict[str, str]:
        """The chosen search and filters as URL arguments (for the pager and links)."""
        args = {"q": (self.q.data or "")[:MAX_QUERY_LENGTH]} if self.q.data else {}
        for field in self._selects():
            if value := self._chosen(field):
                args[field.name] = value
        if self.upcoming.data:
            args["upcoming"] = "y"
        return args


def _department_pairs(departments: Iterable[Department]) -> list[tuple[object, object]]:
    departments = list(departments)
    several = len({d.organisation_id for d in departments}) > 1
    return [(d.id, f"{d.name} ({d.organisation.name})" if several else d.name) for d in departments]


def quiz_answers(form: Mapping[str, Any], questions: int) -> dict[int, set[int]]:
    """The chosen option indexes per question from fields named q0, q1, … (others ignored)."""
    answers: dict[int, set[int]] = {}
    for index in range(questions):
        values = form.getlist(f"q{index}") if hasattr(form, "getlist") else []
        answers[index] = {int(v) for v in values if v.isdigit() and len(v) < 4}
    return answers
