"""Forms of the conversation page: one agreed-level select per competence, notes, held."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import SelectField, TextAreaField
from wtforms.validators import AnyOf

from lms.assessment.conversation import NOTES_MAX, field_name
from lms.assessment.conversation_queries import AreaRows
from lms.assessment.models import LEVELS
from lms.core.forms import options
from lms.core.i18n import _l

NO_LEVEL = ""
LEVEL_VALUES = [NO_LEVEL, *(str(level) for level in LEVELS)]


class AgreeForm(FlaskForm):
    """Agreed levels by competence; the fields are added per assessment by `agree_form`."""

    competence_ids: list[int]

    def level_field(self, competence_id: int) -> Any:
        return self._fields.get(field_name(competence_id))

    def levels(self) -> dict[int, int | None]:
        """The chosen level per competence id; the empty choice ("—") means no agreed level."""
        chosen = {}
        for competence_id in self.competence_ids:
            value = self._fields[field_name(competence_id)].data or NO_LEVEL
            chosen[competence_id] = int(value) if value != NO_LEVEL else None
        return chosen


def agree_form(areas: list[AreaRows], **kwargs: Any) -> AgreeForm:
    """A form with a select for every competence the person rated (labelled per row)."""

    class Form(AgreeForm):
        pass

    ids = []
    defaults = {}
    for group in areas:
        for row in group.rows:
            if not row.can_agree:
                continue
            name = field_name(row.competence.id)
            label = _l(
                "Agreed level for %(code)s %(name)s",
                code=row.competence.code,
                name=row.competence.name,
            )
            setattr(Form, name, _level_select(label))
            defaults[name] = str(row.agreed_level) if row.agreed_level is not None else NO_LEVEL
            ids.append(row.competence.id)
    form = Form(data=defaults, **kwargs)
    form.competence_ids = ids
    return form


def _level_select(label: Any) -> SelectField:
    # The choices are fixed; AnyOf gives the product's message for a forged value.
    return SelectField(
        label,
        choices=options([(NO_LEVEL, "—"), *((v, v) for v in LEVEL_VALUES[1:])]),
        validate_choice=False,
        validators=[AnyOf(LEVEL_VALUES, message=_l("Choose a level from 1 to 5, or none."))],
    )


class NotesForm(FlaskForm):
    # The length is checked by the service after line endings are normalised (a browser
    # counts a line break as one character, the posted text has two).
    notes = TextAreaField(_l("Conversation notes"), render_kw={"rows": 10, "maxlength": NOTES_MAX})


class HoldForm(FlaskForm):
    """Only the CSRF token: the button marks the conversation held."""
