"""RSVP tokens: random, stable while the guest's address stays, stored only as a hash."""

import base64
import hashlib
import hmac
import secrets
from datetime import datetime

from sqlalchemy.orm import Session

from app.mail.outbox import readdress_queued


def new_nonce() -> str:
    """Return 128 random bits from which an invitation's token is derived."""
    return secrets.token_hex(16)


def token_for(nonce: str, secret_key: str) -> str:
    """Return the RSVP token for a nonce: 160 bits, lower-case base32, safe in URLs and mail."""
    digest = hmac.new(secret_key.encode(), f"rsvp:{nonce}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest[:20]).decode().lower()


def token_hash(token: str) -> str:
    """Return the SHA-256 hex digest under which a token is looked up."""
    return hashlib.sha256(token.strip().lower().encode()).hexdigest()


def readdress(
    session: Session,
    invitations: list,
    address: str,
    *,
    now: datetime,
    secret_key: str,
    renew: bool = True,
) -> None:
    """Send the invitations' unsent mail to a new address; with renew, under new tokens first.

    Old links then find no invitation (404). Queued rows lose their rendered bytes, so that the
    worker renders them again with the new link; a row a worker has already claimed keeps the
    old address, and the renderer refuses to put a link into it (delivery.render_queued).
    """
    if not invitations:
        return
    for invitation in invitations if renew else ():
        invitation.token_nonce = new_nonce()
        invitation.token_hash = token_hash(token_for(invitation.token_nonce, secret_key))
        invitation.updated_at = now
    session.flush()
    readdress_queued(session, [invitation.id for invitation in invitations], address)
