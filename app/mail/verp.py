"""VERP: an envelope sender per outbox row, so that a bounce names the mail it is about.

With ``MAIL_BOUNCE_VERP`` on, each mail goes out with the envelope sender
``bounce+<outbox id>-<signature>@MAIL_DOMAIN``; route ``bounce+*@MAIL_DOMAIN`` to the inbound
server like ``rsvp+*``. The signature (an HMAC of the id with the app's secret key) keeps
strangers from marking mails failed by guessing ids.
"""

import hashlib
import hmac
import re
from collections.abc import Callable

from flask import current_app

ADDRESS = re.compile(r"^bounce\+(\d{1,18})-([0-9a-f]{12})@([A-Za-z0-9.-]+)$", re.IGNORECASE)


def _signature(row_id: int, secret_key: str | None = None) -> str:
    """Return the signature of an outbox id."""
    key = (secret_key or current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, f"bounce:{row_id}".encode(), hashlib.sha256).hexdigest()[:12]


def sender_for() -> Callable[[int], str] | None:
    """Return a function giving each outbox row's envelope sender, or None when VERP is off.

    It holds the key and domain, so the worker may call it outside the app context.
    """
    config = current_app.config
    if not config.get("MAIL_BOUNCE_VERP"):
        return None
    key, domain = config["SECRET_KEY"], config["MAIL_DOMAIN"]
    return lambda row_id: f"bounce+{row_id}-{_signature(row_id, key)}@{domain}"


def outbox_id(address: str, domain: str | None = None, secret_key: str | None = None) -> int | None:
    """Return the outbox id a bounce address names, or None (another address, a bad signature).

    Outside the app context (the SMTP server's loop) give the domain and the secret key.
    """
    match = ADDRESS.match((address or "").strip().strip("<>"))
    domain = (domain or current_app.config["MAIL_DOMAIN"]).lower()
    if match is None or match.group(3).lower() != domain:
        return None
    row_id = int(match.group(1))
    if not hmac.compare_digest(match.group(2).lower(), _signature(row_id, secret_key)):
        return None
    return row_id
