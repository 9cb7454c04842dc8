"""RSVP tokens: random, stable for an invitation's lifetime, stored only as a hash."""

import base64
import hashlib
import hmac
import secrets


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
