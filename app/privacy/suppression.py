"""The suppression list: keyed hashes of erased addresses, which may not be invited again.

Only an HMAC-SHA256 of the address's match key is kept (key: SUPPRESSION_KEY, else one derived
from SECRET_KEY), so the list names nobody; a typed address is hashed and compared. Rotating
the key makes every existing entry unmatched: re-hashing needs the addresses, which are gone.
"""

import hashlib
import hmac
from datetime import datetime

from flask import current_app, has_app_context
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import String, delete, select
from sqlalchemy.orm import Mapped, mapped_column

from app.contacts import dedup
from app.errors import ValidationError
from app.extensions import db
from app.sqltypes import UTCDateTime

SUPPRESSED_MESSAGE = _l("This address was erased on request and may not be invited any more.")


class Suppression(db.Model):
    """One erased address, as a keyed hash, with the day it was put on the list."""

    __tablename__ = "suppressions"

    id: Mapped[int] = mapped_column(primary_key=True)
    address_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


def _key() -> bytes:
    """Return the HMAC key: SUPPRESSION_KEY, or one derived from SECRET_KEY."""
    configured = current_app.config.get("SUPPRESSION_KEY") or ""
    if configured:
        return configured.encode()
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, b"stadtkalender suppression list", hashlib.sha256).digest()


def address_hash(email_key: str) -> str:
    """Return the keyed hash of an address's match key (hex)."""
    return hmac.new(_key(), email_key.encode(), hashlib.sha256).hexdigest()


def hash_of_address(address: str) -> str:
    """Return the keyed hash of an address as typed (normalised and case-folded first)."""
    try:
        normalised = dedup.normalise_email(address.strip())
    except dedup.InvalidEmail:
        raise ValidationError.single(
            "email", _("This is not a valid email address: %(email)s", email=address)
        ) from None
    return address_hash(dedup.email_key(normalised))


def is_suppressed(email_key: str) -> bool:
    """Return True when the address (match key) is on the suppression list."""
    if not email_key:
        return False
    query = select(Suppression.id).where(Suppression.address_hash == address_hash(email_key))
    return db.session.scalar(query.limit(1)) is not None


def refusal(email_key: str) -> str | None:
    """Address-book hook: return the refusal message for a suppressed address, else None.

    Without an application there is no database to ask (pure parsing, as in some tests).
    """
    if not has_app_context():
        return None
    return str(SUPPRESSED_MESSAGE) if is_suppressed(email_key) else None


def suppress(email_keys: list[str], *, now: datetime) -> int:
    """Put addresses (match keys) on the list; return how many were new."""
    added = 0
    for key in dict.fromkeys(k for k in email_keys if k):
        digest = address_hash(key)
        if db.session.scalar(select(Suppression.id).where(Suppression.address_hash == digest)):
            continue
        db.session.add(Suppression(address_hash=digest, created_at=now))
        added += 1
    db.session.flush()
    return added


def lift(address: str) -> Suppression:
    """Remove the suppression of a typed address; ValidationError when it is not on the list."""
    digest = hash_of_address(address)
    row = db.session.scalar(select(Suppression).where(Suppression.address_hash == digest))
    if row is None:
        raise ValidationError.single("email", _("This address is not on the suppression list."))
    db.session.execute(delete(Suppression).where(Suppression.id == row.id))
    db.session.flush()
    return row


def listing(limit: int = 500) -> list[Suppression]:
    """Return the suppressions, newest first."""
    query = select(Suppression).order_by(Suppression.created_at.desc(), Suppression.id.desc())
    return list(db.session.scalars(query.limit(limit)))
