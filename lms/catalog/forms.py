"""Forms of the authoring pages: shape and simple rules; the services decide the rest."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    Field,
    FloatField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
    URLField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, Regexp
from wtforms.validators import ValidationError as FieldError
from wtforms.widgets import NumberInput

from lms.accounts.forms import MultiCheckboxField
from lms.catalog.editor_queries import EditorChoices
from lms.catalog.lessons import LessonData
from lms.catalog.models import Activity, Delivery, Format, Level, Status
from lms.catalog.schedule import SessionData
from lms.catalog.services import SLUG_RE, ActivityData, is_https_url
from lms.core.errors import DomainError
from lms.core.forms import options
from lms.core.i18n import _l
from lms.core.time import STOCKHOLM, UTC

FORMAT_LABELS = {
    Format.NANOLESSON: _l("Nano-lesson"),
    Format.ELEARNING: _l("E-learning"),
    Format.COURSE: _l("Course"),
    Format.LECTURE: _l("Lecture or webinar"),
    Format.WORKSHOP: _l("Workshop"),
    Format.COACHING: _l("Coaching"),
    Format.NETWORK: _l("Network"),
    Format.EXTERNAL: _l("External training"),
}
LEVEL_LABELS = {
    Level.GRUND: _l("Basic"),
    Level.FORDJUPNING: _l("In-depth"),
    Level.SPETS: _l("Advanced"),
}
DELIVERY_LABELS = {
    Delivery.DIGITAL: _l("Digital"),
    Delivery.PHYSICAL: _l("On site"),
    Delivery.HYBRID: _l("Hybrid"),
}
STATUS_LABELS = {
    Status.DRAFT: _l("Draft"),
    Status.PUBLISHED: _l("Published"),
    Status.ARCHIVED: _l("Archived"),
}
LANGUAGE_LABELS = {"sv": _l("Swedish"), "en": _l("English")}
BODY_MAX = 100_000
# The order the activity form shows its fields in (the weight fields are "competences").
PAGE_ORDER = (
    "title", "slug", "summary", "body", "format", "level", "delivery", "minutes", "language",
    "is_repeatable", "url", "competences", "subjects", "departments", "job_roles", "owners", "note",
)  # fmt: skip
_HTTPS_MESSAGE = _l("The link must start with https://.")


def https_only(form: Any, field: Field) -> None:
    if field.data and not is_https_url(field.data):
        raise FieldError(str(_HTTPS_MESSAGE))


def title_field() -> StringField:
    return StringField(
        _l("Title"), validators=[InputRequired(_l("A title is required.")), Length(max=200)]
    )


def minutes_field(label: object) -> IntegerField:
    return IntegerField(
        label,
        validators=[
            InputRequired(_l("Give the credited time in minutes.")),
            NumberRange(min=1, max=10_000, message=_l("Between 1 and 10,000 minutes.")),
        ],
    )


def markdown_field() -> TextAreaField:
    """The Markdown body; the live preview (editor.js) finds it by `data-preview-source`."""
    return TextAreaField(
        _l("Content (Markdown)"),
        validators=[Length(max=BODY_MAX)],
        render_kw={"rows": 22, "data-preview-source": "preview"},
    )


class WeightField(FloatField):
    """A weight from 0 to 1, with a decimal comma or point; blank means "not covered"."""

    widget = NumberInput(step="0.05", min=0, max=1)

    def process_formdata(self, valuelist: list[Any]) -> None:
        raw = str(valuelist[0]).strip().replace(",", ".") if valuelist else ""
        self.data = None
        if not raw:
            return
        try:
            value = float(raw)
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            raise ValueError(str(_l("Write the weight as a number from 0 to 1, like 0.5.")))
        self.data = value


def show_error(form: FlaskForm, error: DomainError, aliases: dict[str, str] | None = None) -> None:
    """Put a service's error next to its field, or above the form when it names none."""
    name = (aliases or {}).get(error.field or "", error.field or "")
    field = form._fields.get(name) if name else None
    if field is None:
        form.form_errors.append(str(error.message))
    else:
        field.errors = [*field.errors, str(error.message)]


class ActivityForm(FlaskForm):
    """Every author-set fact of an activity; weight fields are added per competence."""

    title = title_field()
    slug = StringField(
        _l("Address"),
        validators=[
            Optional(),
            Length(max=120),
            Regexp(
                SLUG_RE,
                message=_l(
                    "Use lowercase letters a–z, digits and hyphens (like kann-igen-natfiske)."
                ),
            ),
        ],
    )
    summary = TextAreaField(_l("Summary"), validators=[Length(max=1000)], render_kw={"rows": 3})
    format = SelectField(_l("Format"))
    level = SelectField(_l("Level"))
    delivery = SelectField(_l("Delivery"))
    minutes = minutes_field(_l("Credited time in minutes"))
    language = SelectField(_l("Language"))
    is_repeatable = BooleanField(_l("Can be taken again (each time counts)"))
    url = URLField(_l("Link"), validators=[Optional(), Length(max=500), https_only])
    subjects = MultiCheckboxField(_l("Subjects"), coerce=int)
    departments = MultiCheckboxField(_l("Departments"), coerce=int)
    job_roles = MultiCheckboxField(_l("Job roles"), coerce=int)
    owners = MultiCheckboxField(_l("Owners"), coerce=int)
    body = markdown_field()
    note = StringField(_l("What did you change? (optional)"), validators=[Length(max=200)])

    choices: EditorChoices
    competence_errors: list[str]

    def setup(self, choices: EditorChoices, *, creating: bool) -> None:
        self.choices = choices
        self.competence_errors = []
        self.format.choices = options(FORMAT_LABELS.items())
        self.level.choices = options(LEVEL_LABELS.items())
        self.delivery.choices = options(DELIVERY_LABELS.items())
        self.language.choices = options(LANGUAGE_LABELS.items())
        self.subjects.choices = options((s.id, s.name) for s in choices.subjects)
        self.departments.choices = options((d.id, d.name) for d in choices.departments)
        self.job_roles.choices = options((r.id, r.name) for r in choices.job_roles)
        self.owners.choices = options((u.id, _owner_label(u)) for u in choices.owners)
        if not creating:
            del self.slug

    def load(self, activity: Activity) -> None:
        """Fill the fields from a saved activity (for the first GET of the edit page)."""
        for name in ("title", "summary", "format", "level", "delivery", "minutes", "language"):
            getattr(self, name).data = getattr(activity, name)
        self.is_repeatable.data = activity.is_repeatable
        self.url.data = activity.url or ""
        self.body.data = activity.body
        self.subjects.data = [s.id for s in activity.subjects]
        self.departments.data = [d.id for d in activity.departments]
        self.job_roles.data = [r.id for r in activity.job_roles]
        self.owners.data = [u.id for u in activity.owners]
        for link in activity.competence_links:
            field = self._fields.get(f"weight_{link.competence_id}")
            if field is not None:
                field.data = link.weight

    def weights(self) -> list[tuple[Any, list[Field]]]:
        """(area, its weight fields) for the fieldsets, in framework order."""
        areas = self.choices.areas
        return [(area, [self[f"weight_{c.id}"] for c in area.competences]) for area in areas]

    def department_groups(self) -> list[tuple[str, list[Any]]]:
        """The department checkboxes grouped by organisation."""
        organisation_of = {str(d.id): d.organisation.name for d in self.choices.departments}
        groups: dict[str, list[Any]] = {}
        for option in self.departments:
            groups.setdefault(organisation_of[str(option.data)], []).append(option)
        return list(groups.items())

    def validate(self, extra_validators: Any = None) -> bool:
        valid = bool(super().validate(extra_validators))
        if not any(f.data for _area, fields in self.weights() for f in fields):
            self.competence_errors.append(str(_l("Choose at least one competence.")))
            return False
        return valid

    def show_error(self, error: DomainError) -> None:
        if error.field == "competences":
            self.competence_errors.append(str(error.message))
        else:
            show_error(self, error)

    def activity_data(self) -> ActivityData:
        picked = {
            "subjects": set(self.subjects.data or []),
            "departments": set(self.departments.data or []),
            "job_roles": set(self.job_roles.data or []),
            "owners": set(self.owners.data or []),
        }
        return ActivityData(
            title=self.title.data or "",
            summary=(self.summary.data or "").strip(),
            body=self.body.data or "",
            format=self.format.data or "",
            level=self.level.data or "",
            delivery=self.delivery.data or "",
            minutes=self.minutes.data or 0,
            language=self.language.data or "sv",
            is_repeatable=bool(self.is_repeatable.data),
            url=(self.url.data or "").strip() or None,
            competences=[
                (c, float(self[f"weight_{c.id}"].data))
                for area in self.choices.areas
                for c in area.competences
                if self[f"weight_{c.id}"].data
            ],
            subjects=[s for s in self.choices.subjects if s.id in picked["subjects"]],
            departments=[d for d in self.choices.departments if d.id in picked["departments"]],
            job_roles=[r for r in self.choices.job_roles if r.id in picked["job_roles"]],
            owners=[u for u in self.choices.owners if u.id in picked["owners"]],
        )

    def error_summary(self) -> list[tuple[str, str]]:
        """(element id, message) for every error, in page order, for the summary at the top."""
        found = [("activity-form", message) for message in self.form_errors]
        for name in PAGE_ORDER:
            if name == "competences":
                found += [("competences", message) for message in self.competence_errors]
                weights = [f for _area, fields in self.weights() for f in fields]
                found += [(f.id, str(message)) for f in weights for message in f.errors]
            elif name in self._fields:
                found += [(self[name].id, str(message)) for message in self[name].errors]
        return found


def activity_form(choices: EditorChoices, *, creating: bool, **kwargs: Any) -> ActivityForm:
    """An ActivityForm with one weight field (0–1, blank = not covered) per competence."""
    weight_fields = {
        f"weight_{c.id}": WeightField(
            f"{c.code} {c.name}",
            validators=[
                Optional(),
                NumberRange(min=0, max=1, message=_l("A weight is between 0 and 1.")),
            ],
        )
        for area in choices.areas
        for c in area.competences
    }
    form_class = type("ActivityWithWeightsForm", (ActivityForm,), weight_fields)
    form: ActivityForm = form_class(**kwargs)
    form.setup(choices, creating=creating)
    return form


class PreviewForm(FlaskForm):
    """The Markdown of the live preview (the CSRF token comes in the X-CSRFToken header)."""

    body = TextAreaField(validators=[Length(max=BODY_MAX)])


class StatusForm(FlaskForm):
    status = SelectField(choices=options((status.value, status.value) for status in Status))


SESSION_ERROR_FIELDS = {"starts_at": "day", "ends_at": "ends"}


class SessionForm(FlaskForm):
    """A new session; times are Europe/Stockholm local time."""

    day = DateField(_l("Date"), validators=[InputRequired(_l("Choose a date."))])
    starts = TimeField(_l("Starts"), validators=[InputRequired(_l("Give a start time."))])
    ends = TimeField(_l("Ends"), validators=[InputRequired(_l("Give an end time."))])
    place = StringField(_l("Place"), validators=[Length(max=200)])
    online_url = URLField(_l("Online link"), validators=[Optional(), Length(max=500), https_only])
    capacity = IntegerField(
        _l("Number of places"),
        validators=[
            InputRequired(_l("Give the number of places.")),
            NumberRange(min=1, max=100_000, message=_l("The capacity must be at least 1.")),
        ],
    )

    def session_data(self) -> SessionData:
        def moment(time: Any) -> datetime:
            local = datetime.combine(self.day.data, time, tzinfo=STOCKHOLM)
            return local.astimezone(UTC)

        return SessionData(
            starts_at=moment(self.starts.data),
            ends_at=moment(self.ends.data),
            place=(self.place.data or "").strip(),
            online_url=(self.online_url.data or "").strip() or None,
            capacity=self.capacity.data or 0,
        )


class LessonAddForm(FlaskForm):
    title = title_field()
    minutes = minutes_field(_l("Minutes"))

    def lesson_data(self) -> LessonData:
        return LessonData(title=self.title.data or "", minutes=self.minutes.data or 0)


class LessonForm(LessonAddForm):
    is_required = BooleanField(_l("Required for completing the course"))
    summary = TextAreaField(_l("Summary"), validators=[Length(max=1000)], render_kw={"rows": 3})
    body = markdown_field()

    def lesson_data(self) -> LessonData:
        return LessonData(
            title=self.title.data or "",
            minutes=self.minutes.data or 0,
            is_required=bool(self.is_required.data),
            summary=self.summary.data or "",
            body=self.body.data or "",
        )


class MoveForm(FlaskForm):
    direction = SelectField(choices=options([("up", "up"), ("down", "down")]))


class UploadForm(FlaskForm):
    image = FileField(
        _l("Image (PNG, JPEG, GIF or WebP, at most 5 MB)"),
        validators=[FileRequired(_l("Choose an image file to upload."))],
    )
    activity = HiddenField()


def _owner_label(user: Any) -> str:
    """A current owner with a protected identity stays choosable, but unnamed."""
    if user.is_protected_identity:
        return user.public_name
    return f"{user.name} ({user.email})"
