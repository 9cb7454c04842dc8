"""The guest's own actions by link: finding the invitation of a token, opting out.

Answers themselves (capacity, waiting list, confirmations) are app/invitations/answers.py.
"""

from datetime import datetime

from sqlalchemy import select

from app.extensions import db
from app.invitations.models import Invitation
from app.invitations.tokens import token_hash


def find_by_token(token: str, *, withdrawn: bool = False) -> Invitation | None:
    """Return the invitation a token belongs to, or None; a withdrawn one only when asked."""
    if not token or len(token) > 64:
        return None
    invitation = db.session.scalar(
        select(Invitation).where(Invitation.token_hash == token_hash(token))
    )
    if invitation is None or (invitation.revoked and not (withdrawn and invitation.withdrawn)):
        return None
    return invitation


def opt_out(invitation: Invitation, *, now: datetime) -> None:
    """Stop all further invitations to the guest (the "no more invitations" link)."""
    contact = invitation.contact
    contact.do_not_invite = True
    contact.updated_at = now
    db.session.flush()
