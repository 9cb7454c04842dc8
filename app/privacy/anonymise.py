"""Anonymous invitations: the guest's link and words removed, the answer kept for the counts.

Used by the erasure (Art. 17) and by the retention class "answers of past events reduced to
counts". An anonymous invitation has no contact, no comment or needs, and a token hash no RSVP
token can match; the mail sent for it loses recipient and bytes, received mail about it its
text. Work goes in batches, so that no statement holds many invitation rows at once.
"""

from datetime import datetime

from sqlalchemy import Select, String, cast, literal, select, update

from app.events.models import Event
from app.extensions import db
from app.inbound.models import InboundMessage
from app.invitations.models import Invitation
from app.mail.models import MailStatus, OutboxMessage

BATCH = 500
ERASED = "erased"  # Invitation.suppressed of an anonymous row: no mail goes out


def answers_due(cutoff: datetime) -> Select:
    """Return the ids of invitations to events that ended before cutoff and still name a guest."""
    return (
        select(Invitation.id)
        .join(Event, Event.id == Invitation.event_id)
        .where(Event.ends_at < cutoff, Invitation.contact_id.is_not(None))
        .order_by(Invitation.id)
    )


def erased_marker(column) -> object:
    """Return 'erased-<id>': unique, and no RSVP token's SHA-256 hex digest can equal it."""
    return literal(f"{ERASED}-", String) + cast(column, String)


def _anonymise_batch(ids: list[int]) -> int:
    """Anonymise one batch of invitations with their mail; return the rows changed."""
    result = db.session.execute(
        update(Invitation)
        .where(Invitation.id.in_(ids))
        .values(
            contact_id=None,
            comment="",
            needs="",
            suppressed=ERASED,
            token_nonce=erased_marker(Invitation.id),
            token_hash=erased_marker(Invitation.id),
        )
        .execution_options(synchronize_session=False)
    )
    outbox = OutboxMessage.invitation_id.in_(ids)
    db.session.execute(
        update(OutboxMessage)
        .where(outbox, OutboxMessage.status.in_((MailStatus.QUEUED, MailStatus.SENDING)))
        .values(status=MailStatus.FAILED)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(OutboxMessage)
        .where(outbox)
        .values(recipient="", message=None, last_error="", claimed_by="")
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(InboundMessage)
        .where(InboundMessage.invitation_id.in_(ids))
        .values(
            raw=None,
            envelope_from="",
            envelope_to="",
            detail={},
            message_id_key=erased_marker(InboundMessage.id),
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def anonymise_invitations(ids: list[int]) -> int:
    """Make these invitations anonymous in batches (flushes, never commits); return the count."""
    done = 0
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), BATCH):
        done += _anonymise_batch(ordered[start : start + BATCH])
    db.session.expire_all()
    return done
