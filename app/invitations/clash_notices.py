"""Telling a department that another one invited one of its guests at a clashing time."""

from datetime import datetime

from sqlalchemy import and_, select

from app.contacts.models import Contact
from app.departments.models import Department
from app.events.models import Event, Status, Visibility
from app.extensions import db
from app.invitations.models import Answer, Invitation
from app.notifications.service import department_staff, notify

CHUNK = 500


def _clashes(event: Event, invitation_ids: list[int]):
    """Yield (new invitation id, contact, other event) for the guests' overlapping invitations."""
    mine = Invitation.__table__.alias("mine")
    for start in range(0, len(invitation_ids), CHUNK):
        chunk = invitation_ids[start : start + CHUNK]
        stmt = (
            select(mine.c.id, Contact, Event)
            .join(Invitation, Invitation.contact_id == mine.c.contact_id)
            .join(Event, Event.id == Invitation.event_id)
            .join(Contact, Contact.id == mine.c.contact_id)
            .where(
                mine.c.id.in_(chunk),
                Event.id != event.id,
                Event.status == Status.PUBLISHED,
                and_(Event.starts_at < event.ends_at, Event.ends_at > event.starts_at),
                Invitation.status != Answer.DECLINED,
                Invitation.revoked.is_(False),
            )
        )
        yield from db.session.execute(stmt)


def notify_guest_clashes(
    event: Event, invitation_ids: list[int], department: Department, *, actor, now: datetime
) -> None:
    """Notify the hosts of other events at the same time that their guest was invited here.

    Not for a confidential event: to other departments it has no guests to clash with.
    """
    if event.visibility == Visibility.CONFIDENTIAL:
        return
    staff_of: dict[frozenset, list] = {}
    for invitation_id, contact, other in _clashes(event, invitation_ids):
        hosts = other.host_department_ids
        if department.id in hosts:
            continue  # the department's own events: its people see the clash when inviting
        key = frozenset(hosts)
        if key not in staff_of:
            staff_of[key] = department_staff(hosts)
        notify(
            staff_of[key],
            "guest_clash",
            params={
                "guest": contact.full_name or contact.email,
                "department": department.name,
                "event": other.title,
            },
            url=f"/events/{other.id}/guests/",
            cause=f"guest_clash:{invitation_id}:{other.id}",
            now=now,
            actor=actor,
            contact_id=contact.id,
        )
