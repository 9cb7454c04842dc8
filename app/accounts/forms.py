"""Forms for logging in, account settings and user administration."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import Email, InputRequired, Length, Optional

from app.accounts.models import Role
from app.form_choices import as_choices
from app.input_guard import OneLine

ROLE_LABELS = {
    Role.STAFF: _l("Staff (department)"),
    Role.COMMS: _l("Communications team"),
    Role.ADMIN: _l("Administrator"),
    Role.PRIVACY: _l("Data protection"),
}
LANGUAGE_CHOICES = as_choices([("de", "Deutsch"), ("en", "English")])


class LoginForm(FlaskForm):
    """Email and password."""

    email = EmailField(_l("Email"), validators=[InputRequired(), Email()])
    password = PasswordField(_l("Password"), validators=[InputRequired()])
    remember = BooleanField(_l("Stay logged in on this device"))
    submit = SubmitField(_l("Log in"))


class AccountForm(FlaskForm):
    """The user's own settings."""

    locale = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)
    submit = SubmitField(_l("Save"))


class PasswordForm(FlaskForm):
    """The user changes their own password."""

    current_password = PasswordField(
        _l("Current password"),
        validators=[InputRequired()],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = PasswordField(
        _l("New password"),
        validators=[InputRequired()],
        description=_l("At least 12 characters."),
        render_kw={"autocomplete": "new-password"},
    )
    repeat_password = PasswordField(
        _l("Repeat the new password"),
        validators=[InputRequired()],
        render_kw={"autocomplete": "new-password"},
    )
    change = SubmitField(_l("Change password"))


class UserForm(FlaskForm):
    """An administrator creates or edits an account."""

    email = EmailField(_l("Email"), validators=[InputRequired(), Email(), Length(max=254)])
    name = StringField(_l("Name"), validators=[InputRequired(), Length(max=200), OneLine()])
    role = SelectField(
        _l("Role"), choices=as_choices([(r.value, label) for r, label in ROLE_LABELS.items()])
    )
    department = SelectField(_l("Department"), choices=[], validate_choice=False)
    locale = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)
    password = PasswordField(
        _l("Password"),
        validators=[Optional()],
        description=_l("At least 12 characters. Leave empty to keep the current password."),
    )
    active = BooleanField(_l("Account active"), default=True)
    submit = SubmitField(_l("Save"))


class ConfirmForm(FlaskForm):
    """A bare form whose only purpose is the CSRF token of a confirmed action."""

    submit = SubmitField(_l("Confirm"))
