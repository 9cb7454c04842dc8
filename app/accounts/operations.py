"""Creating and changing staff accounts; flushes, never commits."""

from datetime import datetime

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from sqlalchemy import select

from app.accounts.models import Role, User
from app.departments.models import find_department, normalise_code
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


def create_user(
    *,
    email: str,
    name: str,
    role: Role,
    password: str,
    now: datetime,
    department_code: str | None = None,
    locale: str = "de",
) -> User:
    """Create an account; staff must belong to a department."""
    errors: dict[str, list[str]] = {}
    try:
        email = normalise_login_email(email)
    except ValidationError as error:
        errors.update(error.errors)
    else:
        if db.session.scalar(select(User.id).filter_by(email=email)):
            errors["email"] = [_("An account with this email exists already.")]
    if not name.strip():
        errors["name"] = [_("Please enter a name.")]
    if message := password_problem(password):
        errors["password"] = [message]
    department = None
    if department_code:
        department = find_department(department_code)
        if department is None:
            errors["department"] = [_("Unknown department: %(code)s", code=department_code)]
    elif role == Role.STAFF:
        errors["department"] = [_("Staff users belong to a department.")]
    if errors:
        raise ValidationError(errors)
    user = User(
        email=email,
        name=name.strip(),
        role=role,
        department=department,
        created_at=now,
        locale=locale,
    )
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def save_user(user: User | None, data: dict, *, now: datetime) -> User:
    """Create an account or apply an administrator's changes to one."""
    role = Role(data["role"])
    if user is None:
        return create_user(
            email=data["email"],
            name=data["name"],
            role=role,
            password=data.get("password") or "",
            now=now,
            department_code=data.get("department") or None,
            locale=data.get("locale") or "de",
        )
    errors: dict[str, list[str]] = {}
    email = normalise_login_email(data["email"])
    clash = db.session.scalar(select(User.id).where(User.email == email, User.id != user.id))
    if clash:
        errors["email"] = [_("An account with this email exists already.")]
    department = None
    if data.get("department"):
        department = find_department(data["department"])
        if department is None:
            errors["department"] = [
                _("Unknown department: %(code)s", code=normalise_code(data["department"]))
            ]
    if role == Role.STAFF and department is None:
        errors.setdefault("department", [_("Staff users belong to a department.")])
    password = data.get("password") or ""
    if password and (message := password_problem(password)):
        errors["password"] = [message]
    if errors:
        raise ValidationError(errors)
    # Whoever loses rights, is locked out or gets a new password set by an administrator
    # must log in again everywhere.
    if password or role != user.role or (user.active and not data["active"]):
        user.end_sessions()
    user.email, user.name, user.role = email, data["name"].strip(), role
    user.department, user.locale, user.active = (
        department,
        data.get("locale") or "de",
        data["active"],
    )
    if password:
        user.set_password(password)
    db.session.flush()
    return user


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
