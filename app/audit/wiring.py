"""The audit entries of logins and logouts, written when app/accounts sends its signals.

accounts is below audit, so it only announces a login; this module turns that into an entry
of the request's transaction (app/web.py commits the login POST).
"""

from flask import Flask

from app.accounts.signals import logged_in, logged_out, login_failed
from app.audit.log import Actor, record


def _logged_in(sender: Flask, user) -> None:
    """Record a successful login."""
    record("auth.login", "user", user.id, actor=Actor.of_user(user))


def _logged_out(sender: Flask, user) -> None:
    """Record a logout."""
    record("auth.logout", "user", user.id, actor=Actor.of_user(user))


def _login_failed(sender: Flask, user) -> None:
    """Record a failed login: the account if the address names one, else nothing about it."""
    record("auth.login_failed", "user", user.id if user is not None else None, actor=Actor.guest())


def install(app: Flask) -> None:
    """Listen to this app's login signals."""
    logged_in.connect(_logged_in, app)
    logged_out.connect(_logged_out, app)
    login_failed.connect(_login_failed, app)
