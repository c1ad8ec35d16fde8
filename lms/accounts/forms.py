"""Forms for signing in, passwords and the admin pages (shape and simple rules only)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from lms.core.i18n import _l
from lms.core.passwords import MAX_LENGTH, MIN_LENGTH

PERMISSION_LABELS = {
    "manager": _l("Manager"),
    "course_owner": _l("Course owner"),
    "coordinator": _l("Coordinator"),
    "admin": _l("Administrator"),
    "reporting": _l("Funder reporting"),
}


class LoginForm(FlaskForm):
    email = EmailField(
        _l("E-mail"), validators=[DataRequired(_l("Enter your e-mail address.")), Length(max=320)]
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(_l("Enter your password.")), Length(max=MAX_LENGTH)],
    )
    remember = BooleanField(_l("Keep me signed in for 14 days"))
    next = HiddenField()


class ForgotPasswordForm(FlaskForm):
    email = EmailField(
        _l("E-mail"),
        validators=[
            DataRequired(_l("Enter your e-mail address.")),
            Email(_l("Enter a valid e-mail address."), check_deliverability=False),
            Length(max=320),
        ],
    )


class SetPasswordForm(FlaskForm):
    password = PasswordField(
        _l("New password"),
        validators=[
            DataRequired(_l("Choose a password.")),
            Length(
                min=MIN_LENGTH,
                max=MAX_LENGTH,
                message=_l("Between %(min)d and %(max)d characters."),
            ),
        ],
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[
            DataRequired(_l("Repeat the password.")),
            EqualTo("password", _l("The passwords do not match.")),
        ],
    )


class ChangePasswordForm(SetPasswordForm):
    current = PasswordField(
        _l("Current password"),
        validators=[
            DataRequired(_l("Enter your current password.")),
        ],
    )


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class UserFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search form changes nothing

    q = StringField(_l("Search name or e-mail"), validators=[Optional(), Length(max=100)])
    department = SelectField(_l("Department"), coerce=str, validators=[Optional()])
    job_role = SelectField(_l("Job role"), coerce=str, validators=[Optional()])
    permission = SelectField(_l("Permission"), coerce=str, validators=[Optional()])
    status = SelectField(
        _l("Status"),
        coerce=str,
        validators=[Optional()],
        choices=[
            SelectChoice("active", _l("Active")),
            SelectChoice("inactive", _l("Deactivated")),
            SelectChoice("all", _l("All")),
        ],
    )


class UserEditForm(FlaskForm):
    department_id = SelectField(_l("Department"), coerce=int)
    job_role_id = SelectField(_l("Job role"), coerce=int)
    manager_id = SelectField(_l("Manager"), coerce=int)
    permissions = MultiCheckboxField(_l("Permissions"), coerce=str)


class NameForm(FlaskForm):
    name = StringField(
        _l("Name"), validators=[DataRequired(_l("A name is required.")), Length(max=200)]
    )


class DepartmentForm(NameForm):
    organisation_id = SelectField(_l("Organisation"), coerce=int)
    parent_id = SelectField(_l("Part of"), coerce=int)
