"""Writing the audit log: ``record`` adds an entry to the current transaction."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import g, has_request_context
from flask_login import current_user
from sqlalchemy import insert, text

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
    def of_user(cls, user) -> "Actor":
        """Return the actor for a user account (web session), or the system without one."""
        if user is None or getattr(user, "id", None) is None:
            return cls.system()
        return cls("user", user.id, user.email)

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


def record_many(
    action: str,
    object_type: str,
    object_ids: list[int],
    changes: dict | None = None,
    *,
    actor: Actor | None = None,
    at: datetime | None = None,
) -> int:
    """Add one entry per object in a single INSERT (bulk invitations); return the count."""
    return record_each(
        action, object_type, [(i, changes or {}) for i in object_ids], actor=actor, at=at
    )


def record_each(
    action: str,
    object_type: str,
    changes: list[tuple[int, dict]],
    *,
    actor: Actor | None = None,
    at: datetime | None = None,
) -> int:
    """Add one entry per (object id, changes) in a single INSERT (a batch of answers)."""
    if not changes:
        return 0
    who, when = actor or current_actor(), at or datetime.now(UTC)
    common = {
        "at": when,
        "actor_type": who.type,
        "actor_id": who.id,
        "actor_label": who.label,
        "action": action,
        "object_type": object_type,
    }
    rows = [common | {"object_id": i, "changes": c or {}} for i, c in changes]
    db.session.execute(insert(AuditEntry), rows)
    return len(rows)


# Set in ``g`` by record_read: app/web.py then commits the GET request that read personal data.
COMMIT_READ = "commit_read"


def record_read(
    action: str, object_type: str = "", object_id: int | None = None, changes: dict | None = None
) -> AuditEntry:
    """Record that personal data was read or downloaded (a GET): the request commits the entry.

    Safe requests commit nothing otherwise (app/web.py); this one commits once the page or file
    is ready, and an answer that fails to commit its entry is an error, not an unlogged read.
    """
    entry = record(action, object_type, object_id, changes)
    if has_request_context():
        setattr(g, COMMIT_READ, True)
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
