"""Access export (Art. 15 DSGVO): everything stored about one person, as JSON and as a page.

The contact record (with the records merged into it), tags, further addresses, every
invitation (event, inviting departments, answer, comment, needs, source and time of the
answer), the mails sent to them, received mail about their invitations and the audit entries
about them.
"""

from datetime import datetime
from email import message_from_bytes, policy

from sqlalchemy import func, or_, select

from app.audit.models import AuditEntry
from app.contacts.models import NAME_AND_ADDRESS_FIELDS, Contact
from app.extensions import db
from app.inbound.models import InboundMessage
from app.invitations.models import Invitation
from app.mail.models import OutboxMessage
from app.privacy.erasure import cluster_of

CONTACT_FIELDS = (
    *NAME_AND_ADDRESS_FIELDS,
    "language",
    "vip",
    "do_not_invite",
    "invitation_cap",
    "role_address",
    "notes",
)
EXCERPT = 500


def _iso(value: datetime | None) -> str | None:
    """Return an instant as ISO 8601, or None."""
    return value.isoformat() if value else None


def _contact(contact: Contact) -> dict:
    """Return a contact record with its tags and further addresses."""
    return (
        {"id": contact.id}
        | {name: getattr(contact, name) for name in CONTACT_FIELDS}
        | {
            "merged_into": contact.merged_into_id,
            "created_at": _iso(contact.created_at),
            "updated_at": _iso(contact.updated_at),
            "tags": [tag.name for tag in contact.tags],
            "further_addresses": [a.email for a in contact.addresses],
        }
    )


def _invitation(invitation: Invitation) -> dict:
    """Return one invitation with its event and the departments that invited."""
    event = invitation.event
    return {
        "id": invitation.id,
        "event": {
            "id": event.id,
            "title": event.title,
            "starts_at": _iso(event.starts_at),
            "ends_at": _iso(event.ends_at),
        },
        "departments": [link.department.name for link in invitation.departments],
        "answer": invitation.status.value,
        "withdrawn": invitation.withdrawn,
        "companions": invitation.plus_ones,
        "comment": invitation.comment,
        "needs": invitation.needs,
        "response_source": invitation.response_source,
        "responded_at": _iso(invitation.responded_at),
        "invited_at": _iso(invitation.created_at),
    }


def _excerpt(message: InboundMessage) -> str:
    """Return the beginning of the text of a received mail."""
    detail = message.detail or {}
    text = detail.get("text") or detail.get("reason") or ""
    return str(text)[:EXCERPT]


def build(contact: Contact) -> dict:
    """Return everything stored about the person, as JSON-able data."""
    contacts = cluster_of(contact)
    ids = [c.id for c in contacts]
    emails = {c.email.casefold() for c in contacts} | {
        a.email.casefold() for c in contacts for a in c.addresses
    }
    invitations = list(
        db.session.scalars(
            select(Invitation).where(Invitation.contact_id.in_(ids)).order_by(Invitation.id)
        )
    )
    invitation_ids = [i.id for i in invitations] or [0]
    mails = db.session.scalars(
        select(OutboxMessage)
        .where(
            or_(
                OutboxMessage.invitation_id.in_(invitation_ids),
                func.lower(OutboxMessage.recipient).in_(emails),
            )
        )
        .order_by(OutboxMessage.created_at, OutboxMessage.id)
    )
    inbound = db.session.scalars(
        select(InboundMessage)
        .where(
            or_(
                InboundMessage.invitation_id.in_(invitation_ids),
                func.lower(InboundMessage.envelope_from).in_(emails),
            )
        )
        .order_by(InboundMessage.received_at, InboundMessage.id)
    )
    audit = db.session.scalars(
        select(AuditEntry)
        .where(
            or_(
                (AuditEntry.object_type == "contact") & AuditEntry.object_id.in_(ids),
                (AuditEntry.object_type == "invitation") & AuditEntry.object_id.in_(invitation_ids),
            )
        )
        .order_by(AuditEntry.at, AuditEntry.id)
    )
    return {
        "contact": _contact(contact),
        "merged_records": [_contact(c) for c in contacts if c.id != contact.id],
        "invitations": [_invitation(i) for i in invitations],
        "mails": [
            {
                "date": _iso(m.sent_at or m.created_at),
                "kind": m.kind,
                "subject": subject_of(m),
                "status": m.status.value,
                "recipient": m.recipient,
            }
            for m in mails
        ],
        "inbound": [
            {
                "date": _iso(m.received_at),
                "kind": m.kind.value,
                "state": m.state.value,
                "from": m.envelope_from,
                "excerpt": _excerpt(m),
            }
            for m in inbound
        ],
        "audit": [
            {
                "at": _iso(e.at),
                "actor": e.actor_label or e.actor_type,
                "action": e.action,
                "object_type": e.object_type,
                "object_id": e.object_id,
                "changes": e.changes,
            }
            for e in audit
        ],
    }


def subject_of(message: OutboxMessage) -> str:
    """Return the Subject header of a stored mail ("" while it is rendered at delivery)."""
    if not message.message:
        return ""
    head = message.message.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    return str(message_from_bytes(head, policy=policy.default).get("Subject", ""))
