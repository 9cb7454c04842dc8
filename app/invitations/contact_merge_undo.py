"""Undoing a contact merge for invitations (installed as app.contacts.hooks.on_unmerge)."""

from datetime import datetime

from sqlalchemy import select

from app.contacts.models import Contact
from app.extensions import db
from app.invitations import tokens
from app.invitations.models import Invitation


def unmerge_invitations(
    keep: Contact, gone: Contact, moved: list[int], *, now: datetime, secret_key: str
) -> list[int]:
    """Give the restored contact back the invitations the merge moved; return their ids.

    Only those that still exist and still belong to the survivor; their unsent mail goes to the
    restored address, under new links when that is another mailbox.
    """
    if not moved:
        return []
    rows = db.session.scalars(
        select(Invitation).where(Invitation.id.in_(moved), Invitation.contact_id == keep.id)
    ).all()
    taken = set(
        db.session.scalars(select(Invitation.event_id).where(Invitation.contact_id == gone.id))
    )
    back = [invitation for invitation in rows if invitation.event_id not in taken]
    for invitation in back:
        invitation.contact = gone
    db.session.flush()
    if back and gone.email != keep.email:
        renew = gone.email_key != keep.email_key
        tokens.readdress(db.session, back, gone.email, now=now, secret_key=secret_key, renew=renew)
    return [invitation.id for invitation in back]
