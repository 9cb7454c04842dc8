"""Access control: every view needs a login unless marked public; role checks."""

from collections.abc import Callable
from functools import wraps

from flask import Flask, abort, request
from flask_login import current_user

from app.accounts.models import Role
from app.extensions import login


def public(view: Callable) -> Callable:
    """Mark a view as reachable without logging in."""
    view.is_public = True  # type: ignore[attr-defined]
    return view


def roles_required(*roles: Role) -> Callable:
    """Allow the view only to logged-in users with one of the roles (403 otherwise)."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login.unauthorized()
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


admin_required = roles_required(Role.ADMIN)
comms_required = roles_required(Role.COMMS, Role.ADMIN)


def install_login_wall(app: Flask) -> None:
    """Deny by default: ask for a login before any view not marked public."""

    @app.before_request
    def _require_login():
        """Send anonymous visitors of non-public views to the login page."""
        if request.endpoint is None or request.endpoint == "static":
            return None
        if request.blueprint == "api":
            return None  # the API authenticates bearer tokens itself
        view = app.view_functions.get(request.endpoint)
        if view is not None and getattr(view, "is_public", False):
            return None
        if not current_user.is_authenticated:
            return login.unauthorized()
        return None
