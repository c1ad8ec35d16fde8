"""Forms for answering a task and for a manager's confirmation (the rules are in services)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectMultipleField, TextAreaField
from wtforms.validators import Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from lms.core.forms import options
from lms.core.i18n import _l
from lms.transfer.models import TaskKind, TransferTask
from lms.transfer.services import TEXT_LENGTH


class MultiCheckboxField(SelectMultipleField):
    """A list of checkboxes; the template puts them in a fieldset with a legend."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class AnswerForm(FlaskForm):
    """A reflection's text, a checklist's ticks, or the note on a held conversation."""

    text = TextAreaField(_l("Your answer"), validators=[Optional(), Length(max=TEXT_LENGTH)])
    checked = MultiCheckboxField(_l("Tick what you have done"), coerce=int, choices=[])
    next = HiddenField()

    def for_task(self, task: TransferTask) -> AnswerForm:
        """Fit the form to the task: its checklist items (by position), the text's label."""
        self.checked.choices = options(enumerate(task.items))
        if task.kind == TaskKind.MANAGER:
            self.text.label.text = str(_l("Note about the conversation (optional)"))
        elif task.kind == TaskKind.REFLECTION:
            self.text.label.text = task.prompt or str(_l("Your reflection"))
        return self


class ConfirmForm(FlaskForm):
    """A manager's confirmation that the conversation took place."""

    note = TextAreaField(
        _l("Note to the employee (optional)"), validators=[Optional(), Length(max=TEXT_LENGTH)]
    )
    next = HiddenField()
