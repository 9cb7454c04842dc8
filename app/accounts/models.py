"""Staff accounts, roles and API tokens."""

import enum
import hashlib
import hmac
import secrets
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from app.extensions import db
from app.sqltypes import UTCDateTime

if TYPE_CHECKING:  # departments builds on accounts; the mapper resolves the name at runtime
    from app.departments.models import Department


class Role(enum.StrEnum):
    """What a user may do: staff for a department, comms city-wide, admin everything.

    privacy (Datenschutz) reads the audit log, runs access exports and erasures and sees the
    retention report; it does not manage events.
    """

    STAFF = "staff"
    COMMS = "comms"
    ADMIN = "admin"
    PRIVACY = "privacy"


def hash_token(token: str) -> str:
    """Return the SHA-256 hex digest under which a random token is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


class User(UserMixin, db.Model):
    """A member of staff who logs in with email and password."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(
        db.Enum(
            Role,
            native_enum=False,
            create_constraint=True,
            length=16,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    # Indexed: notifications go to "the staff of these departments" (see migration 0021).
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    locale: Mapped[str] = mapped_column(String(5), default="de")
    # Changing the nonce invalidates the private feed URL (see feed_token).
    feed_nonce: Mapped[str] = mapped_column(String(32), default=lambda: secrets.token_hex(16))
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Stored in the session at login; bumping it (logout, password or role change,
    # deactivation) makes every earlier session and remember cookie of the user invalid.
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")

    department: Mapped["Department | None"] = relationship(lazy="joined")

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        """Tell Flask-Login whether the account may log in."""
        return self.active

    @property
    def sees_everything(self) -> bool:
        """Return True for the communications team and administrators."""
        return self.role in (Role.COMMS, Role.ADMIN)

    @property
    def is_admin(self) -> bool:
        """Return True for administrators."""
        return self.role == Role.ADMIN

    def get_id(self) -> str:
        """Return the session identity "<id>:<session version>"; a bump ends old sessions."""
        return f"{self.id}:{self.session_version}"

    def end_sessions(self) -> None:
        """Invalidate every session and remember cookie issued to the user so far."""
        self.session_version = (self.session_version or 0) + 1

    def set_password(self, password: str) -> None:
        """Store a salted scrypt hash of the password."""
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        """Compare a password against the stored hash in constant time."""
        return check_password_hash(self.password_hash, password)

    def feed_token(self, secret_key: str) -> str:
        """Return the secret for the private feed URL, derived from the key and the nonce."""
        mac = hmac.new(secret_key.encode(), f"feed:{self.id}:{self.feed_nonce}".encode(), "sha256")
        return f"{self.id}-{mac.hexdigest()[:40]}"

    def reset_feed_token(self) -> None:
        """Invalidate the old private feed URL."""
        self.feed_nonce = secrets.token_hex(16)

    def __repr__(self) -> str:
        return f"<User {self.email}>"


class ApiToken(db.Model):
    """A bearer token for the JSON API; only its hash is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked: Mapped[bool] = mapped_column(default=False)

    user: Mapped[User] = relationship(lazy="joined")

    @classmethod
    def issue(cls, user: User, now: datetime) -> tuple["ApiToken", str]:
        """Create a token row for the user and return it with the plain token (shown once)."""
        plain = "sk_" + secrets.token_urlsafe(32)
        return cls(user=user, token_hash=hash_token(plain), created_at=now), plain


@cache
def _decoy_hash() -> str:
    """Return a hash of a random password, made like the real ones (scrypt, a salt)."""
    return generate_password_hash(secrets.token_urlsafe(24))


def check_password_of(user: User | None, password: str) -> bool:
    """Return True when the user exists, is active and the password is right.

    Without such a user a decoy hash is checked all the same, so the time an answer takes does
    not tell whether an address has an account.
    """
    if user is None or not user.active:
        check_password_hash(_decoy_hash(), password)
        return False
    return user.check_password(password)
