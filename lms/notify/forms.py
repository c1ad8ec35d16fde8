"""The mail-preference form (shape only; the rule lives in the service)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from lms.core.i18n import _l
from lms.notify.models import MailMode

MODE_LABELS = {
    MailMode.IMMEDIATELY: _l("Right away"),
    MailMode.WEEKLY: _l("A weekly summary"),
    MailMode.OFF: _l("Off"),
}
MODE_HINTS = {
    MailMode.IMMEDIATELY: _l("An e-mail for each notification, as it happens."),
    MailMode.WEEKLY: _l("One e-mail on Monday morning with the week's notifications."),
    MailMode.OFF: _l("No e-mail; you read your notifications here in Lärlyft."),
}


class PreferencesForm(FlaskForm):
    mail_mode = RadioField(
        _l("E-mail about notifications"),
        # Lazy labels, so each request shows them in its own language.
        choices=[SelectChoice(mode.value, label) for mode, label in MODE_LABELS.items()],
        validators=[InputRequired(_l("Choose how you want e-mail."))],
    )
