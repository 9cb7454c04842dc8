"""Writing the audit log: ``record`` adds an entry to the current transaction."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import g, has_request_context
from flask_login import current_user
from sqlalchemy import text

from app.audit.models import AuditEntry
from app.extensions import db

# The one PostgreSQL setting under which the trigger lets rows of audit_log change (see
# migration 0010): set for the length of one transaction by ``privileged``.
PURGE_SETTING = "stadtkalender.audit_purge"


@dataclass(frozen=True)
class Actor:
    """Who acts: a kind ("user", "token", "guest", "system") and, for staff, the account."""

    type: str
    id: int | None = None
    label: str = ""

    @classmethod
    def system(cls, label: str = "") -> "Actor":
        """Return the actor for commands and background workers."""
        return cls("system", None, label)

    @classmethod
    def guest(cls) -> "Actor":
        """Return the actor for a guest using the RSVP link (no IP address is kept)."""
        return cls("guest")


def current_actor() -> Actor:
    """Return who is acting in this request (API token, logged-in user, guest) or the system."""
    if not has_request_context():
        return Actor.system()
    api_user = g.get("api_user")
    if api_user is not None:
        return Actor("token", api_user.id, api_user.email)
    if current_user and getattr(current_user, "is_authenticated", False):
        return Actor("user", current_user.id, current_user.email)
    return Actor.guest()


def record(
    action: str,
    object_type: str = "",
    object_id: int | None = None,
    changes: dict | None = None,
    *,
    actor: Actor | None = None,
    at: datetime | None = None,
) -> AuditEntry:
    """Add an audit entry to the current transaction (committed or rolled back with it)."""
    who = actor or current_actor()
    entry = AuditEntry(
        at=at or datetime.now(UTC),
        actor_type=who.type,
        actor_id=who.id,
        actor_label=who.label,
        action=action,
        object_type=object_type,
        object_id=object_id,
        changes=changes or {},
    )
    db.session.add(entry)
    return entry


@contextmanager
def privileged() -> Iterator[None]:
    """Allow the purge by age and the erasure to change audit rows in this transaction.

    On PostgreSQL a trigger refuses UPDATE and DELETE on audit_log unless the transaction set
    ``stadtkalender.audit_purge``; SET LOCAL ends with the transaction, so the caller must
    commit (or roll back) the work done inside before the next one starts.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text(f"SET LOCAL {PURGE_SETTING} = 'on'"))
    yield
