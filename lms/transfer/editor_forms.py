"""Forms of the course owner's task editor and report: shape only; the services decide."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, RadioField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional
from wtforms.validators import ValidationError as FieldError

from lms.core.forms import options
from lms.core.i18n import _l
from lms.core.time import start_of_local_day
from lms.transfer import authoring
from lms.transfer.authoring import TaskData
from lms.transfer.models import TaskKind, TaskPhase, TransferTask
from lms.transfer.owner_queries import Period

PHASE_LABELS = {
    TaskPhase.PRE: _l("Pre-task"),
    TaskPhase.FOLLOW_UP: _l("Follow-up"),
}
PHASE_CHOICES = {
    TaskPhase.PRE: _l("Before the activity (pre-task)"),
    TaskPhase.FOLLOW_UP: _l("After the activity (follow-up)"),
}
KIND_LABELS = {
    TaskKind.REFLECTION: _l("Reflection"),
    TaskKind.CHECKLIST: _l("Checklist"),
    TaskKind.MANAGER: _l("Discuss with your manager"),
}
KIND_HINTS = {
    TaskKind.REFLECTION: _l("The participant writes a short text, answering your question."),
    TaskKind.CHECKLIST: _l("The participant ticks each item when it is done."),
    TaskKind.MANAGER: _l("The participant talks it over with their manager, who confirms it."),
}
PAGE_ORDER = (
    "phase", "title", "kind", "is_required", "is_shared_with_owner", "instructions", "prompt",
    "items", "due_days",
)  # fmt: skip
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)


def _lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class TaskForm(FlaskForm):
    """A new task; the edit form below drops the phase, which never changes."""

    phase = RadioField(
        _l("When"),
        choices=[],  # set per request (in the reader's language) by __init__
        validators=[
            InputRequired(_l("Choose whether the task comes before or after the activity."))
        ],
    )
    title = StringField(
        _l("Title"),
        validators=[
            InputRequired(_l("A title is required.")),
            Length(
                max=authoring.TITLE_LENGTH,
                message=_l("Keep the title to %(n)d characters or fewer.", n=200),
            ),
        ],
    )
    kind = RadioField(
        _l("Kind of task"),
        choices=[],  # set per request by __init__
        default=TaskKind.REFLECTION.value,
        validators=[InputRequired(_l("Choose what kind of task it is."))],
    )
    instructions = TextAreaField(
        _l("Instructions (Markdown)"),
        validators=[Length(max=authoring.INSTRUCTIONS_LENGTH)],
        render_kw={"rows": 10, "data-preview-source": "preview"},
    )
    prompt = TextAreaField(
        _l("Question to answer (optional)"),
        validators=[Length(max=authoring.PROMPT_LENGTH)],
        render_kw={"rows": 2},
    )
    items = TextAreaField(
        _l("Checklist items"),
        validators=[Length(max=authoring.MAX_ITEMS * (authoring.ITEM_LENGTH + 2))],
        render_kw={"rows": 6},
    )
    due_days = IntegerField(
        _l("Due, in days after completion"),
        validators=[
            Optional(),
            NumberRange(
                min=1,
                max=authoring.MAX_DUE_DAYS,
                message=_l("Between 1 and %(n)d days.", n=authoring.MAX_DUE_DAYS),
            ),
        ],
        render_kw={"min": 1, "max": authoring.MAX_DUE_DAYS, "inputmode": "numeric"},
    )
    is_required = BooleanField(_l("Required"))
    is_shared_with_owner = BooleanField(_l("Share the answers with the activity's owners"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The labels are lazy translations: turned into text here, in the reader's language.
        if "phase" in self._fields:
            self.phase.choices = options(PHASE_CHOICES.items())
        self.kind.choices = options(KIND_LABELS.items())

    def load(self, task: TransferTask) -> None:
        """Fill the fields from a saved task (the first GET of the edit page)."""
        self.title.data, self.kind.data = task.title, task.kind
        self.instructions.data, self.prompt.data = task.instructions, task.prompt or ""
        self.items.data = "\n".join(str(item) for item in task.items or [])
        self.due_days.data = task.due_days
        self.is_required.data = task.is_required
        self.is_shared_with_owner.data = task.is_shared_with_owner

    def task_data(self, phase: str | None = None) -> TaskData:
        chosen = phase if phase is not None else (self.phase.data or "")
        return TaskData(
            phase=chosen,
            kind=self.kind.data or "",
            title=self.title.data or "",
            instructions=self.instructions.data or "",
            is_required=bool(self.is_required.data),
            # A pre-task's page has no due-days field; one typed in anyway is the service's.
            due_days=self.due_days.data,
            is_shared_with_owner=bool(self.is_shared_with_owner.data),
            prompt=self.prompt.data or None,
            items=_lines(self.items.data),
        )

    def error_summary(self) -> list[tuple[str, str]]:
        """(element id, message) for every error, in page order, for the summary at the top."""
        found = [("task-form", str(message)) for message in self.form_errors]
        for name in PAGE_ORDER:
            if name in self._fields:
                found += [(self[name].id, str(message)) for message in self[name].errors]
        return found


class TaskEditForm(TaskForm):
    phase = None  # fixed once the task exists


class LocalDateField(DateField):
    """A YYYY-MM-DD date with a message people understand when it is not one."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError(str(_l("Write the date as YYYY-MM-DD, like 2026-03-01."))) from error


def _sensible(form: Any, field: DateField) -> None:
    if field.data is not None and not FIRST_DAY <= field.data <= LAST_DAY:
        raise FieldError(str(_l("Choose a date between 2000 and 2100.")))


class PeriodForm(FlaskForm):
    """The report's optional period: completion dates, Stockholm days, both ends included."""

    class Meta:
        csrf = False  # a GET filter changes nothing

    start = LocalDateField(_l("From"), validators=[Optional(), _sensible])
    end = LocalDateField(_l("To"), validators=[Optional(), _sensible])

    def validate_end(self, field: DateField) -> None:
        if field.data and self.start.data and field.data < self.start.data:
            raise FieldError(str(_l("The end date comes before the start date.")))

    def period(self) -> Period:
        """[start of the first day, start of the day after the last) in UTC."""
        start: datetime | None = None
        end: datetime | None = None
        if self.start.data:
            start = start_of_local_day(self.start.data)
        if self.end.data:
            end = start_of_local_day(self.end.data + timedelta(days=1))
        return Period(start=start, end=end)

    def error_list(self) -> list[tuple[str, str]]:
        """(field id, message) of every error, for the summary above the form."""
        return [(f.id, str(message)) for f in (self.start, self.end) for message in f.errors]
