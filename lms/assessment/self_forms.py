"""Forms of the self-assessment: one answer per sub-competence, starting and submitting."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, TextAreaField
from wtforms.validators import Length, Optional, ValidationError

from lms.assessment.models import LEVELS, Rating
from lms.assessment.self_assessment import COMMENT_MAX
from lms.assessment.self_queries import ApplicableCompetence
from lms.core.forms import options
from lms.core.i18n import _l

LOW_LABEL = _l("low")
HIGH_LABEL = _l("high")


class LevelField(RadioField):
    """A 1–5 radio group that may be left empty (a draft); anything else gets `message`."""

    data: int | None

    def __init__(self, label: object, message: object, **kwargs: Any) -> None:
        super().__init__(label, coerce=int, validators=[Optional()], **kwargs)
        self.message = message

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist or valuelist[0] in ("", None):
            return
        try:
            self.data = int(valuelist[0])
        except ValueError as error:
            self.data = None
            raise ValueError(str(self.message)) from error

    def pre_validate(self, form: Any) -> None:
        if self.data is not None and self.data not in LEVELS:
            raise ValidationError(str(self.message))


class AnswerForm(FlaskForm):
    """The self level (worded by the framework's level descriptors), motivation and comment.

    Every field may be empty: a draft is saved as far as it is filled in.
    """

    competence = HiddenField()
    self_level = LevelField(_l("My level"), _l("Choose a level from 1 to 5."))
    motivation = LevelField(
        _l("My motivation to develop in this"), _l("Choose a motivation from 1 to 5.")
    )
    comment = TextAreaField(
        _l("Comment (optional)"),
        validators=[
            Length(
                max=COMMENT_MAX,
                message=_l("The comment can be at most %(max)d characters.", max=COMMENT_MAX),
            )
        ],
        render_kw={"rows": 4, "maxlength": COMMENT_MAX},
    )

    def setup(self, item: ApplicableCompetence) -> None:
        """Choices for this competence: each level labelled with what it means."""
        self.self_level.choices = options(
            (level, f"{level} – {text}" if text else str(level))
            for level, text in item.level_texts()
        )
        ends = {1: LOW_LABEL, 5: HIGH_LABEL}
        self.motivation.choices = options(
            (n, f"{n} – {ends[n]}" if n in ends else str(n)) for n in LEVELS
        )
        if not self.competence.data:
            self.competence.data = str(item.id)

    def load(self, rating: Rating | None) -> None:
        """Show the saved answer (a GET of the step)."""
        if rating is not None:
            self.self_level.data = rating.self_level
            self.motivation.data = rating.motivation
            self.comment.data = rating.comment

    def competence_id(self, default: int) -> int:
        """The posted competence (the one the person answered), else the step's."""
        value = (self.competence.data or "").strip()
        return int(value) if value.isdigit() else default


class ConfirmForm(FlaskForm):
    """A button that changes something (start a round, submit): only the CSRF token."""
