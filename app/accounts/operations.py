"""Login email and password rules, the user's own account changes; flushes, never commits.

Creating accounts and assigning their department is user administration, which builds on
departments: see app/departments/staff.py.
"""

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _

from app.accounts.models import User
from app.errors import ValidationError
from app.extensions import db

MIN_PASSWORD = 12


def password_problem(password: str) -> str | None:
    """Return why a new password is not acceptable, or None when it is."""
    if len(password) < MIN_PASSWORD:
        return _("At least %(n)d characters.", n=MIN_PASSWORD)
    return None


def normalise_login_email(value: str) -> str:
    """Return the lower-cased, validated email used as a login name."""
    try:
        result = validate_email(value.strip(), check_deliverability=False)
    except EmailNotValidError as error:
        raise ValidationError.single("email", str(error)) from error
    return result.normalized.lower()


def change_own_password(user: User, *, current: str, new: str, repeated: str) -> None:
    """Replace the user's password after checking the current one; ends the user's sessions."""
    errors: dict[str, list[str]] = {}
    if not user.check_password(current):
        errors["current_password"] = [_("The current password is wrong.")]
    if message := password_problem(new):
        errors["new_password"] = [message]
    elif new != repeated:
        errors["repeat_password"] = [_("The two new passwords differ.")]
    if errors:
        raise ValidationError(errors)
    user.set_password(new)
    user.end_sessions()
    db.session.flush()


def end_sessions(user: User) -> None:
    """Log the user out everywhere: every earlier session and remember cookie stops working."""
    user.end_sessions()
    db.session.flush()
