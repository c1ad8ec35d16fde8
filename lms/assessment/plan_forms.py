"""Forms of the plan and learning request pages: shape only; the services decide the rules."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from lms.assessment.follow_up import FOLLOW_UP_NOTES_MAX
from lms.assessment.models import GoalStatus, PlanGoal
from lms.assessment.plan_queries import PlanPage
from lms.assessment.plans import NOTE_MAX, GoalData
from lms.assessment.requests import TEXT_MAX, TEXT_MIN
from lms.catalog.forms import FORMAT_LABELS, LEVEL_LABELS
from lms.catalog.models import Activity, Format, Level
from lms.core.forms import options
from lms.core.i18n import _l

GOAL_STATUS_LABELS = {
    GoalStatus.PLANNED: _l("Planned"),
    GoalStatus.IN_PROGRESS: _l("Under way"),
    GoalStatus.DONE: _l("Reached"),
    GoalStatus.DROPPED: _l("Dropped"),
}
FormT = TypeVar("FormT", bound=FlaskForm)
_TEXT_LENGTH = _l(
    "Describe what you wish for in %(min)d to %(max)d characters.", min=TEXT_MIN, max=TEXT_MAX
)


class GoalForm(FlaskForm):
    """A goal's target level, due date, status and note (prefix `goal-<id>`)."""

    target_level = SelectField(_l("Target level"), coerce=int)
    due_on = DateField(_l("Due date"), validators=[Optional()])
    status = SelectField(_l("Status"))
    note = TextAreaField(
        _l("Note"),
        validators=[
            Length(
                max=NOTE_MAX, message=_l("The note may be at most %(n)d characters.", n=NOTE_MAX)
            )
        ],
        render_kw={"rows": 3},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.target_level.choices = options((n, n) for n in range(1, 6))
        self.status.choices = options(GOAL_STATUS_LABELS.items())

    def load(self, goal: PlanGoal) -> None:
        self.target_level.data = goal.target_level
        self.due_on.data = goal.due_on
        self.status.data = goal.status
        self.note.data = goal.note

    def goal_data(self) -> GoalData:
        return GoalData(
            target_level=int(self.target_level.data or 0),
            due_on=self.due_on.data,
            status=self.status.data or "",
            note=self.note.data or "",
        )


class AddGoalForm(FlaskForm):
    """A competence to add a goal for (prefix `add`); the service says why one cannot be."""

    competence = SelectField(
        _l("Sub-competence"),
        coerce=int,
        validate_choice=False,
        validators=[InputRequired(_l("Choose a sub-competence."))],
    )

    def setup(self, choices: Iterable[tuple[int, str]]) -> None:
        self.competence.choices = options(choices)


class LinkActivityForm(FlaskForm):
    """An activity to choose for a goal (prefix `link-<goal id>`)."""

    activity = SelectField(
        _l("Choose an activity"),
        coerce=int,
        validate_choice=False,
        validators=[InputRequired(_l("Choose an activity."))],
    )

    def setup(self, choices: Iterable[tuple[int, str]]) -> None:
        self.activity.choices = options(choices)


class RequestForm(FlaskForm):
    """A wish for a learning activity the catalogue lacks (prefix `request-<goal id>`)."""

    text = TextAreaField(
        _l("What would help you?"),
        validators=[
            InputRequired(_TEXT_LENGTH),
            Length(min=TEXT_MIN, max=TEXT_MAX, message=_TEXT_LENGTH),
        ],
        render_kw={"rows": 3},
    )


class FollowUpDateForm(FlaskForm):
    follow_up_on = DateField(
        _l("Date of the follow-up talk"), validators=[InputRequired(_l("Choose a date."))]
    )


class FollowUpForm(FlaskForm):
    notes = TextAreaField(
        _l("What did you talk about?"),
        validators=[
            Length(
                max=FOLLOW_UP_NOTES_MAX,
                message=_l("The notes may be at most %(n)d characters.", n=FOLLOW_UP_NOTES_MAX),
            )
        ],
        render_kw={"rows": 5},
    )


class MoveForm(FlaskForm):
    direction = SelectField(choices=options([("up", "up"), ("down", "down")]))


class AnswerForm(FlaskForm):
    """The coordinators' answer to a competence's open wishes (prefix `answer-<id>`)."""

    activity = SelectField(
        _l("Activity"),
        coerce=int,
        validate_choice=False,
        validators=[InputRequired(_l("Choose an activity."))],
    )
    department = SelectField(_l("Whose wishes"), validate_choice=False)

    def setup(
        self,
        matching: list[tuple[int, str]],
        others: list[tuple[int, str]],
        departments: list[tuple[int | None, str]],
        everyone: str,
    ) -> None:
        groups: dict[str, Any] = {}
        if matching:
            groups[str(_l("Developing this sub-competence"))] = options(matching)
        if others:
            groups[str(_l("Other published activities"))] = options(others)
        self.activity.choices = groups
        self.department.choices = options(
            [("", everyone)] + [(d or "", name) for d, name in departments if d is not None]
        )

    def department_id(self) -> int | None:
        value = self.department.data or ""
        return int(value) if value.isdigit() else None


@dataclass
class PlanForms:
    """Every form of the plan page, by goal id where there is one per goal."""

    goal: dict[int, GoalForm]
    link: dict[int, LinkActivityForm]
    request: dict[int, RequestForm]
    add: AddGoalForm
    date: FollowUpDateForm
    follow_up: FollowUpForm


def _activity_label(activity: Activity) -> str:
    return str(
        _l(
            "%(title)s (%(format)s, %(level)s)",
            title=activity.title,
            format=FORMAT_LABELS.get(Format(activity.format), activity.format),
            level=LEVEL_LABELS.get(Level(activity.level), activity.level),
        )
    )


def build_plan_forms(page: PlanPage, posted: dict[str, FlaskForm]) -> PlanForms:
    """The page's forms: the one just posted (with its input and errors) or fresh ones."""

    def form(cls: type[FormT], prefix: str) -> FormT:
        found = posted.get(prefix)
        return found if isinstance(found, cls) else cls(prefix=prefix, formdata=None)

    forms = PlanForms(
        goal={},
        link={},
        request={},
        add=form(AddGoalForm, "add"),
        date=form(FollowUpDateForm, "follow-up-date"),
        follow_up=form(FollowUpForm, "follow-up"),
    )
    for row in page.goals:
        goal_id = row.goal.id
        forms.goal[goal_id] = form(GoalForm, f"goal-{goal_id}")
        if f"goal-{goal_id}" not in posted:
            forms.goal[goal_id].load(row.goal)
        forms.link[goal_id] = form(LinkActivityForm, f"link-{goal_id}")
        forms.link[goal_id].setup([(a.id, _activity_label(a)) for a in row.matching])
        forms.request[goal_id] = form(RequestForm, f"request-{goal_id}")
    forms.add.setup([(c.id, f"{c.code} {c.name}") for c in page.addable])
    if "follow-up-date" not in posted:
        forms.date.follow_up_on.data = page.assessment.follow_up_on
    return forms
