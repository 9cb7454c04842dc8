"""Telling other departments that a new or moved event now clashes with one of theirs.

Runs in the transaction that publishes the event or moves a published one, with the conflicts
the publishing gate has just found (``gate.publish_check``): no second check. Only clashes with
events of other departments count, and a confidential event is named "Reserved" to whoever may
not see it. The cause key carries the event's SEQUENCE: a move that clashes again is news, the
same state twice is not.
"""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.conflicts.conflict import Conflict
from app.events.models import Event, Status, Visibility
from app.extensions import db
from app.notifications.service import department_staff, notify

# Clashes between two departments' events; ranges (holidays, blocked dates) and the
# audience density are the communications team's view, not news for a department.
NOTIFIED_KINDS = ("venue", "person", "duplicate")


def notify_clashes(event: Event, conflicts: list[Conflict], actor, now: datetime) -> None:
    """Notify the staff of other departments whose events the published event clashes with."""
    if event.status != Status.PUBLISHED:
        return
    clashes = [c for c in conflicts if c.kind in NOTIFIED_KINDS]
    other_ids = {i for c in clashes for i in c.event_ids if i != event.id}
    if not other_ids:
        return
    others = {
        e.id: e
        for e in db.session.scalars(
            select(Event).where(Event.id.in_(other_ids)).options(selectinload(Event.co_hosts))
        )
    }
    ours = event.host_department_ids
    # One notification per other event, naming the weightiest reason (NOTIFIED_KINDS order).
    reason: dict[int, str] = {}
    for conflict in sorted(clashes, key=lambda c: NOTIFIED_KINDS.index(c.kind)):
        for other_id in conflict.event_ids:
            reason.setdefault(other_id, conflict.kind)
    masked = event.visibility == Visibility.CONFIDENTIAL
    for other_id, kind in reason.items():
        other = others.get(other_id)
        if other is None or other.status == Status.CANCELLED or other.host_department_ids & ours:
            continue
        notify(
            department_staff(other.host_department_ids),
            "conflict",
            params={
                "event": other.title,
                "other": event.title,
                "other_masked": masked,
                "department": event.department.name,
                "conflict": kind,
            },
            url=f"/events/{other.id}",
            cause=f"conflict:{event.id}:{other.id}:{event.sequence}",
            now=now,
            actor=actor,
        )
