"""Editors publish one-to-one coaching slots in bulk (routes on the `bookings` blueprint)."""

from __future__ import annotations

from typing import Any

from babel.dates import get_day_names
from flask import abort, flash, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, StringField, TimeField
from wtforms.validators import InputRequired, Length, NumberRange, ValidationError

from lms.catalog import editor_queries
from lms.catalog.forms import show_error
from lms.catalog.models import Activity, Format
from lms.catalog.services import require_edit
from lms.core.access import Permission, requires
from lms.core.db import db
from lms.core.errors import DomainError
from lms.core.i18n import _l
from lms.progress import bookings
from lms.progress.booking_views import bp

MAX_SLOT_MINUTES = 8 * 60
# The service names the fields of one session; the form asks for the span they come from.
ERROR_FIELDS = {"starts_at": "first_date", "ends_at": "end", "place": "place"}


class CoachingSlotsForm(FlaskForm):
    """Every week on `weekday` between the dates, the span start–end cut into slots."""

    weekday = SelectField(_l("Weekday"), coerce=int, validators=[InputRequired()])
    start = TimeField(_l("From"), validators=[InputRequired(_l("Give a start time."))])
    end = TimeField(_l("Until"), validators=[InputRequired(_l("Give an end time."))])
    slot_minutes = IntegerField(
        _l("Minutes per slot"),
        default=30,
        validators=[
            InputRequired(_l("Give the length of a slot in minutes.")),
            NumberRange(
                min=5,
                max=MAX_SLOT_MINUTES,
                message=_l("A slot is 5 to %(max)d minutes long.", max=MAX_SLOT_MINUTES),
            ),
        ],
    )
    first_date = DateField(_l("First date"), validators=[InputRequired(_l("Choose a date."))])
    last_date = DateField(_l("Last date"), validators=[InputRequired(_l("Choose a date."))])
    place = StringField(
        _l("Place"),
        validators=[InputRequired(_l("Give the place of the slots.")), Length(max=200)],
    )

    def validate_end(self, field: TimeField) -> None:
        if self.start.data and field.data and field.data <= self.start.data:
            raise ValidationError(_l("The end must be after the start."))

    def validate_last_date(self, field: DateField) -> None:
        if self.first_date.data and field.data and field.data < self.first_date.data:
            raise ValidationError(_l("The last date cannot be before the first."))


def _weekdays() -> list[tuple[int, str]]:
    names = get_day_names("wide", locale=get_locale())
    return [(day, names[day].capitalize()) for day in range(7)]


def _load_coaching(slug: str) -> Activity:
    activity = editor_queries.get_activity_for_edit(db.session(), slug)
    if activity is None or activity.format != Format.COACHING:
        abort(404)
    try:
        require_edit(current_user, activity)
    except DomainError as error:
        abort(error.status_code)  # 404 for another owner's draft, as for a missing one
    return activity


@bp.route("/coaching/<slug>", methods=["GET", "POST"])
@requires(Permission.COURSE_OWNER, Permission.COORDINATOR)
def coaching_slots(slug: str) -> Any:
    activity = _load_coaching(slug)
    form = CoachingSlotsForm()
    form.weekday.choices = _weekdays()
    if form.validate_on_submit():
        try:
            created = bookings.create_coaching_slots(
                db.session(), current_user, activity,
                weekday=form.weekday.data, start=form.start.data, end=form.end.data,
                slot_minutes=form.slot_minutes.data, first_date=form.first_date.data,
                last_date=form.last_date.data, place=(form.place.data or "").strip(),
            )  # fmt: skip
        except DomainError as error:
            db.session.rollback()
            if error.status_code == 403:
                abort(403)
            show_error(form, error, ERROR_FIELDS)
        else:
            if created:
                db.session.commit()
                n = len(created)
                message = (
                    _("%(n)d slots were created.", n=n) if n > 1 else _("One slot was created.")
                )
                flash(message, "success")
                return redirect(url_for("editor.edit", slug=slug, _anchor="sessions"))
            form.form_errors.append(str(_l("No slot fits between the dates and times you gave.")))
    return render_template("progress/coaching_slots.html", activity=activity, form=form)
