"""What changes to a contact mean for its invitations (installed as app.contacts.hooks).

A contact another department has invited stays as it is unless comms decide (issue 8 finding 1),
a new address takes the queued mail along with new links, and a merge moves the invitations.
"""

from datetime import datetime

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session

from app.contacts.models import Contact
from app.events.models import Event, Status, event_cohosts
from app.extensions import db
from app.invitations import tokens
from app.invitations.models import Answer, Invitation, InvitationDepartment

# Answers that still expect mail: the guest comes, may come or waits for a place.
OPEN_ANSWERS = (Answer.PENDING, Answer.ACCEPTED, Answer.TENTATIVE, Answer.WAITLISTED)


def invited_elsewhere(contact_ids: list[int], actor, now: datetime) -> bool:
    """Return True if another department has an open invitation of a contact to a coming event."""
    query = (
        select(Invitation.id)
        .join(Event, Event.id == Invitation.event_id)
        .where(
            Invitation.contact_id.in_(contact_ids),
            Invitation.status.in_(OPEN_ANSWERS),
            Invitation.revoked.is_(False),
            Event.ends_at > now,
            Event.status != Status.CANCELLED,
        )
    )
    own = getattr(actor, "department_id", None)
    if own is not None:  # for staff without a department, every department is another one
        query = query.where(
            or_(
                Event.department_id != own,
                exists().where(
                    event_cohosts.c.event_id == Event.id, event_cohosts.c.department_id != own
                ),
                exists().where(
                    InvitationDepartment.invitation_id == Invitation.id,
                    InvitationDepartment.department_id != own,
                ),
            )
        )
    return db.session.scalar(query.limit(1)) is not None


def readdress_contact(contact: Contact, *, now: datetime, secret_key: str, renew: bool) -> None:
    """Send every invitation's unsent mail to the contact's new address (new links with renew)."""
    invitations = db.session.scalars(
        select(Invitation).where(Invitation.contact_id == contact.id)
    ).all()
    tokens.readdress(
        db.session, list(invitations), contact.email, now=now, secret_key=secret_key, renew=renew
    )


def _move_invitations(keep: Contact, gone: Contact) -> dict:
    """Move invitations to the survivor, one per event; departments join the kept one."""
    query = select(Invitation).where(Invitation.contact_id == keep.id)
    kept = {inv.event_id: inv for inv in db.session.scalars(query)}
    moved, dropped, departments = [], [], []
    for inv in db.session.scalars(select(Invitation).where(Invitation.contact_id == gone.id)).all():
        target = kept.get(inv.event_id)
        if target is None:
            inv.contact = keep
            moved.append(inv.id)
            continue
        present = {row.department_id for row in target.departments}
        for row in list(inv.departments):
            if row.department_id not in present:
                inv.departments.remove(row)
                target.departments.append(row)
                departments.append(row.department_id)
        dropped.append(inv.id)
        db.session.delete(inv)
    return {"invitations_moved": moved, "invitations_dropped": dropped, "departments": departments}


def merge_invitations(keep: Contact, gone: Contact, *, now: datetime, secret_key: str) -> dict:
    """Move the merged contact's invitations to the survivor; return what moved, for the log.

    Invitations that move to another address get new links (see tokens.readdress).
    """
    details = _move_invitations(keep, gone)
    if gone.email != keep.email:
        moved = [db.session.get(Invitation, i) for i in details["invitations_moved"]]
        renew = gone.email_key != keep.email_key
        tokens.readdress(db.session, moved, keep.email, now=now, secret_key=secret_key, renew=renew)
    return details


def invitation_counts(session: Session, contact_ids: list[int]) -> dict[int, int]:
    """Return how many invitations each of the contacts has."""
    query = (
        select(Invitation.contact_id, func.count())
        .where(Invitation.contact_id.in_(contact_ids))
        .group_by(Invitation.contact_id)
    )
    return {contact_id: count for contact_id, count in session.execute(query)}
