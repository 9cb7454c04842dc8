"""Signals of logins and logouts, for packages above accounts (the audit log listens)."""

from blinker import Namespace

_signals = Namespace()
# sender: the app; keyword user: the account that logged in or out.
logged_in = _signals.signal("logged-in")
logged_out = _signals.signal("logged-out")
# keyword user: the account whose address was typed, or None when it names no account.
login_failed = _signals.signal("login-failed")
