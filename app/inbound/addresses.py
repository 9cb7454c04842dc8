"""The per-invitation reply addresses rsvp+<token>@MAIL_DOMAIN, as they arrive."""

import re
from email.utils import getaddresses

from flask import current_app

TOKEN_ADDRESS = re.compile(r"^rsvp\+([A-Za-z0-9]{1,64})@([A-Za-z0-9.-]+)$", re.IGNORECASE)


def rsvp_token(address: str, domain: str | None = None) -> str | None:
    """Return the token of an rsvp+<token>@MAIL_DOMAIN address, or None for any other address."""
    match = TOKEN_ADDRESS.match((address or "").strip().strip("<>"))
    domain = (domain or current_app.config["MAIL_DOMAIN"]).lower()
    if match is None or match.group(2).lower() != domain:
        return None
    return match.group(1).lower()


def tokens_in(addresses: list[str]) -> list[str]:
    """Return the tokens of the rsvp addresses among header values or envelope addresses."""
    found = []
    for _name, address in getaddresses(addresses):
        token = rsvp_token(address)
        if token and token not in found:
            found.append(token)
    return found
