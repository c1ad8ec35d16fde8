"""The list page's filters (a GET form: no CSRF) and the "inte intresserad" buttons' form."""

from __future__ import annotations

from collections.abc import Sequence

from flask_wtf import FlaskForm
from wtforms import Form, HiddenField, SelectField

from lms.catalog.forms import FORMAT_LABELS, LEVEL_LABELS
from lms.core.forms import options
from lms.core.i18n import _l
from lms.framework.models import CompetenceArea
from lms.recommend.queries import RecommendationFilter

# "högst N minuter": the choices of the time filter
MINUTE_LIMITS = (10, 15, 30, 60, 120)


def _minutes_label(minutes: int) -> str:
    if minutes < 60:
        return str(_l("At most %(n)d minutes", n=minutes))
    return str(_l("At most %(h)d h", h=minutes // 60))


class MarkForm(FlaskForm):
    """The "inte intresserad" and "visa igen" buttons: a CSRF token and where to go back to."""

    next = HiddenField()


class RecommendationFilterForm(Form):
    """Filters, all optional, all in the URL; a value that is not an option is ignored."""

    area = SelectField(_l("Competence area"), validate_choice=False)
    format = SelectField(_l("Format"), validate_choice=False)
    level = SelectField(_l("Level"), validate_choice=False)
    minutes = SelectField(_l("Time"), validate_choice=False)

    def set_choices(self, areas: Sequence[CompetenceArea]) -> None:
        """Fill the options (per request: the labels are translated here)."""
        anything = ("", _l("All"))
        self.area.choices = options([anything, *((a.code, f"{a.code} {a.name}") for a in areas)])
        self.format.choices = options([anything, *FORMAT_LABELS.items()])
        self.level.choices = options([anything, *LEVEL_LABELS.items()])
        self.minutes.choices = options(
            [("", _l("Any length")), *((m, _minutes_label(m)) for m in MINUTE_LIMITS)]
        )

    def _chosen(self, field: SelectField) -> str | None:
        allowed = {choice.value for choice in field.choices or []}
        value = field.data if isinstance(field.data, str) else ""
        return value if value and value in allowed else None

    def to_filter(self) -> RecommendationFilter:
        minutes = self._chosen(self.minutes)
        return RecommendationFilter(
            area=self._chosen(self.area),
            format=self._chosen(self.format),
            level=self._chosen(self.level),
            max_minutes=int(minutes) if minutes else None,
        )
