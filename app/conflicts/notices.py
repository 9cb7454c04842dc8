"""Telling other departments that a new or moved event now clashes with one of theirs.

Runs in the transaction that publishes the event or moves a published one, with the conflicts
the publishing gate has just found (``gate.publish_check``): no second check. Only clashes with
events of other departments count, and a confidential event is named "Reserved" to whoever may
not see it. The cause key carries the event's SEQUENCE: a move that clashes again is news, the
same state twice is not.

Publishing must stay fast, so the whole fan-out is one statement per reason (usually one),
built once: the other events' hosting departments, their staff and each one's choice are
resolved in SQL, not loaded into Python; the delivery worker queues the mails afterwards.
"""

from datetime import datetime
from functools import cache

from sqlalchemy import (
    Boolean,
    Insert,
    Integer,
    Select,
    String,
    bindparam,
    cast,
    func,
    literal,
    null,
    select,
    union_all,
)

from app.accounts.models import Role, User
from app.conflicts.conflict import Conflict
from app.departments.models import Department
from app.events.models import Event, Status, Visibility, event_cohosts
from app.extensions import db
from app.notifications.service import insert_told, recipients_of, write

# Clashes between two departments' events; ranges (holidays, blocked dates) and the
# audience density are the communications team's view, not news for a department.
NOTIFIED_KINDS = ("venue", "person", "duplicate")
MASKED_KINDS = ("venue",)


def notify_clashes(event: Event, conflicts: list[Conflict], actor, now: datetime) -> None:
    """Notify the staff of other departments whose events the published event clashes with."""
    if event.status != Status.PUBLISHED:
        return
    # One notification per other event, naming the weightiest reason (NOTIFIED_KINDS order).
    reason: dict[int, str] = {}
    masked = event.visibility == Visibility.CONFIDENTIAL
    # A confidential event shows elsewhere only as a reserved venue, without its department:
    # no shared guests and no "possibly the same event" (see conflicts.describe).
    clashes = [c for c in conflicts if c.kind in (MASKED_KINDS if masked else NOTIFIED_KINDS)]
    for conflict in sorted(clashes, key=lambda c: NOTIFIED_KINDS.index(c.kind)):
        for other_id in conflict.event_ids:
            if other_id != event.id:
                reason.setdefault(other_id, conflict.kind)
    if not reason:
        return
    statement = _statement(db.session.get_bind().dialect.name)
    for kind in NOTIFIED_KINDS:
        ids = [other_id for other_id, why in reason.items() if why == kind]
        if ids:
            write(
                statement,
                now=now,
                actor=actor,
                other_ids=ids,
                ours=sorted(event.host_department_ids),
                title="" if masked else event.title,
                masked=masked,
                department_id=None if masked else event.department_id,
                reason=kind,
                cause_prefix=f"conflict:{event.id}:",
                cause_suffix=f":{event.sequence}",
            )


@cache
def _statement(dialect: str) -> Insert:
    """Return the statement that notifies of one reason's clashes (built once per dialect)."""
    return insert_told("conflict", _told(dialect), dialect)


def _told(dialect: str) -> Select:
    """SQL: one row per staff member of the departments hosting one of the other events.

    Bind parameters: the other events (``other_ids``), our hosting departments (``ours``), our
    event's ``title`` (empty when ``masked``), our ``department_id``, the ``reason`` and the
    cause key around the other event's id. Cancelled events and events our department hosts
    too are left out; the reader's own event is named, ours is "Reserved" when confidential.
    """
    events, users, departments = Event.__table__, User.__table__, Department.__table__
    other_ids = bindparam("other_ids", expanding=True)
    hosts = union_all(
        select(events.c.id.label("event_id"), events.c.department_id).where(
            events.c.id.in_(other_ids)
        ),
        select(event_cohosts.c.event_id, event_cohosts.c.department_id).where(
            event_cohosts.c.event_id.in_(other_ids)
        ),
    ).subquery("hosts")
    ours = bindparam("ours", expanding=True)
    shared = select(hosts.c.event_id).where(hosts.c.department_id.in_(ours))
    other = events.alias("other")
    department = (
        select(departments.c.name)
        .where(departments.c.id == bindparam("department_id", type_=Integer))
        .scalar_subquery()
    )
    json_object = func.json_build_object if dialect == "postgresql" else func.json_object
    facts = json_object(
        literal("event"),
        other.c.title,
        literal("other"),
        bindparam("title", type_=String),
        literal("other_masked"),
        bindparam("masked", type_=Boolean),
        literal("department"),
        department,
        literal("conflict"),
        bindparam("reason", type_=String),
    )
    other_id = cast(other.c.id, String)
    cause = bindparam("cause_prefix", type_=String) + other_id
    joined, mode, allowed = recipients_of("conflict")
    return (
        select(
            users.c.id.label("user_id"),
            facts.label("params"),
            (literal("/events/", String) + other_id).label("url"),
            (cause + bindparam("cause_suffix", type_=String)).label("cause"),
            cast(null(), Integer).label("contact_id"),
            mode.label("mode"),
        )
        .select_from(
            joined.join(hosts, hosts.c.department_id == users.c.department_id).join(
                other, other.c.id == hosts.c.event_id
            )
        )
        .where(
            allowed,
            users.c.role == Role.STAFF,
            other.c.status != Status.CANCELLED,
            other.c.id.not_in(shared),
        )
    )
