"""Reminding guests who have not answered, once, shortly before the reply deadline."""

from datetime import datetime, timedelta

from sqlalchemy import select, update

from app.contacts.models import Contact
from app.events.models import Event, Status
from app.extensions import db
from app.invitations.models import Answer, Invitation
from app.mail import outbox


def remind_pending(*, now: datetime, lead: timedelta) -> int:
    """Queue one reminder per pending guest of events whose deadline is within ``lead``."""
    rows = db.session.execute(
        select(Invitation.id, Contact.email)
        .join(Contact, Contact.id == Invitation.contact_id)
        .join(Event, Event.id == Invitation.event_id)
        .where(
            Event.status == Status.PUBLISHED,
            Event.rsvp_deadline.is_not(None),
            Event.rsvp_deadline > now,
            Event.rsvp_deadline <= now + lead,
            Invitation.status == Answer.PENDING,
            Invitation.reminded_at.is_(None),
            Invitation.revoked.is_(False),
            Contact.do_not_invite.is_(False),
        )
    ).all()
    # The fixed sequence makes the outbox refuse a second reminder for the same invitation.
    recipients = [(row.id, row.email) for row in rows]
    outbox.enqueue_many(db.session, recipients, kind="reminder", sequence=1, now=now)
    ids = [row.id for row in rows]
    if ids:
        db.session.execute(update(Invitation).where(Invitation.id.in_(ids)).values(reminded_at=now))
    return len(ids)
