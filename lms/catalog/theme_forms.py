"""Forms of the theme month pages: shape and simple rules; `lms.catalog.themes` decides the rest."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import format_date
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, Regexp

from lms.accounts.forms import MultiCheckboxField
from lms.accounts.models import Department
from lms.catalog.models import ThemeMonth, ThemeStatus
from lms.catalog.services import SLUG_MAX, SLUG_RE
from lms.catalog.themes import (
    ALT_MAX,
    FIRST_YEAR,
    INTRO_MAX,
    LAST_YEAR,
    TITLE_MAX,
    ThemeMonthData,
)
from lms.catalog.uploads import MAX_UPLOAD_BYTES
from lms.core.forms import options
from lms.core.i18n import _l

THEME_STATUS_LABELS = {
    ThemeStatus.DRAFT: _l("Draft"),
    ThemeStatus.SCHEDULED: _l("Scheduled"),
    ThemeStatus.PUBLISHED: _l("Published"),
}
# The order the theme month form shows its fields in, for the error summary.
PAGE_ORDER = ("title", "month", "year", "slug", "intro", "departments")


def month_names() -> list[tuple[int, str]]:
    """(1, "januari") … (12, "december") in the current language (call per request)."""
    return [(m, str(format_date(date(2000, m, 1), "LLLL"))) for m in range(1, 13)]


class ThemeMonthForm(FlaskForm):
    """A theme month's text, month, address and audience."""

    title = StringField(
        _l("Title"),
        validators=[InputRequired(_l("A title is required.")), Length(max=TITLE_MAX)],
    )
    month = SelectField(_l("Month"), coerce=int)
    year = IntegerField(
        _l("Year"),
        validators=[
            InputRequired(_l("Give the year, like 2026.")),
            NumberRange(
                min=FIRST_YEAR,
                max=LAST_YEAR,
                message=_l(
                    "Give a year from %(first)d to %(last)d.", first=FIRST_YEAR, last=LAST_YEAR
                ),
            ),
        ],
    )
    slug = StringField(
        _l("Address"),
        validators=[
            Optional(),
            Length(max=SLUG_MAX),
            Regexp(
                SLUG_RE,
                message=_l(
                    "Use lowercase letters a–z, digits and hyphens (like informationssakerhet)."
                ),
            ),
        ],
    )
    intro = TextAreaField(
        _l("Introduction (Markdown)"),
        validators=[Length(max=INTRO_MAX)],
        render_kw={"rows": 14, "data-preview-source": "preview"},
    )
    departments = MultiCheckboxField(_l("Departments"), coerce=int)

    department_list: list[Department]
    key_locked: bool

    def setup(self, departments: list[Department], *, key_locked: bool) -> None:
        """Choices in the reader's language; a published theme month's key is not editable."""
        self.department_list = departments
        self.key_locked = key_locked
        self.month.choices = options(month_names())
        self.departments.choices = options((d.id, d.name) for d in departments)
        if key_locked:
            del self.year
            del self.month
            del self.slug

    def load(self, theme: ThemeMonth) -> None:
        """Fill the fields from a saved theme month (the first GET of the edit page)."""
        self.title.data = theme.title
        self.intro.data = theme.intro
        self.departments.data = [d.id for d in theme.departments]
        if not self.key_locked:
            self.year.data, self.month.data, self.slug.data = theme.year, theme.month, theme.slug

    def department_groups(self) -> list[tuple[str, list[Any]]]:
        """The department checkboxes grouped by organisation."""
        organisation_of = {str(d.id): d.organisation.name for d in self.department_list}
        groups: dict[str, list[Any]] = {}
        for option in self.departments:
            groups.setdefault(organisation_of[str(option.data)], []).append(option)
        return list(groups.items())

    def theme_data(self, theme: ThemeMonth | None = None) -> ThemeMonthData:
        picked = set(self.departments.data or [])
        locked = self.key_locked and theme is not None
        return ThemeMonthData(
            year=theme.year if locked and theme else int(self.year.data or 0),
            month=theme.month if locked and theme else int(self.month.data or 0),
            slug=theme.slug if locked and theme else (self.slug.data or "").strip(),
            title=self.title.data or "",
            intro=self.intro.data or "",
            departments=[d for d in self.department_list if d.id in picked],
        )

    def error_summary(self) -> list[tuple[str, str]]:
        """(element id, message) for every error, in page order, for the summary at the top."""
        found = [("theme-form", str(message)) for message in self.form_errors]
        for name in PAGE_ORDER:
            if name in self._fields:
                found += [(self[name].id, str(message)) for message in self[name].errors]
        return found


class BannerForm(FlaskForm):
    """A new banner image and/or its description."""

    image = FileField(_l("Banner image (PNG, JPEG, GIF or WebP, at most 5 MB)"))
    banner_alt = StringField(
        _l("What the image shows"),
        validators=[
            InputRequired(_l("Describe what the banner shows, for people who cannot see it.")),
            Length(max=ALT_MAX),
        ],
    )

    def image_bytes(self) -> tuple[bytes | None, str]:
        """The uploaded file's bytes (None when no file was chosen) and its name."""
        upload = self.image.data
        if not upload:  # a FileStorage without a file name is the empty file input
            return None, ""
        return upload.read(MAX_UPLOAD_BYTES + 1), upload.filename or ""


class ScheduleForm(FlaskForm):
    publish_on = DateField(_l("Publish on"), validators=[InputRequired(_l("Choose a date."))])


class ActivityAddForm(FlaskForm):
    # The service says why an activity cannot be added, so any posted id reaches it.
    activity = SelectField(
        _l("Activity"),
        coerce=int,
        validate_choice=False,
        validators=[InputRequired(_l("Choose an activity."))],
    )

    def setup(self, choices: list[tuple[int, str]]) -> None:
        self.activity.choices = options(choices)
