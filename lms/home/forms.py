"""The accessibility problem-report form."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional

from lms.core.i18n import _l


class AccessibilityReportForm(FlaskForm):
    page_url = StringField(_l("Which page or function?"), validators=[Optional(), Length(max=500)])
    description = TextAreaField(
        _l("Describe the problem"),
        validators=[
            DataRequired(_l("Describe the problem so that we can fix it.")),
            Length(max=5000),
        ],
    )
    contact_email = EmailField(
        _l("Your e-mail (if you want an answer)"),
        validators=[
            Optional(),
            Email(_l("Enter a valid e-mail address."), check_deliverability=False),
            Length(max=320),
        ],
    )
