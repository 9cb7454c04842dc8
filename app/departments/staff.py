"""User administration: creating and changing staff accounts with their department; flushes.

Accounts are the base every package builds on; an account's department is assigned here, one
level up, so that app/accounts never needs to know departments.
"""

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from app.accounts.models import Role, User
from app.accounts.operations import normalise_login_email, password_problem
from app.audit import record
from app.audit.personal import created, diff
from app.departments.models import find_department, normalise_code
from app.errors import ValidationError
from app.extensions import db


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
    record("user.created", "user", user.id, created(_audited(user)))
    return user


def _audited(user: User) -> dict:
    """Return the account's fields as the audit log compares them."""
    department = user.department.code if user.department else None
    return {"email": user.email, "name": user.name, "role": user.role.value} | {
        "department": department,
        "locale": user.locale,
        "active": user.active,
    }


def _record_changes(user: User, before: dict, password_set: bool) -> None:
    """Add entries for a role change, a deactivation and any other change of the account."""
    changes = diff(before, _audited(user))
    if password_set:
        changes["password"] = [None, None]
    if role := changes.pop("role", None):
        record("user.role_changed", "user", user.id, {"role": role})
    if changes.get("active") == [True, False]:
        record("user.deactivated", "user", user.id, {"active": changes.pop("active")})
    if changes:
        record("user.changed", "user", user.id, changes)


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
    before = _audited(user)
    user.email, user.name, user.role = email, data["name"].strip(), role
    user.department, user.locale, user.active = (
        department,
        data.get("locale") or "de",
        data["active"],
    )
    if password:
        user.set_password(password)
    db.session.flush()
    _record_changes(user, before, bool(password))
    return user
