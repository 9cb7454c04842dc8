"""API endpoints of data protection: a person's access export (Art. 15) and erasure (Art. 17)."""

from datetime import UTC, datetime

from flask import abort, g, jsonify

from app.accounts.models import Role
from app.api import bp
from app.api.openapi import add_part
from app.api.openapi_blocks import Part, _responses
from app.audit import record
from app.contacts.models import Contact
from app.errors import PermissionDenied
from app.extensions import db
from app.input_guard import MAX_ID
from app.privacy import erasure, export


def _contact_for(roles: tuple[Role, ...], contact_id: int) -> Contact:
    """Return the live contact (following merges) if the caller has one of the roles."""
    if g.api_user.role not in roles:
        raise PermissionDenied("Only the privacy role (exports also administrators) may do this.")
    contact = db.session.get(Contact, contact_id) if contact_id <= MAX_ID else None
    if contact is None:
        abort(404, description="No such contact.")
    while contact.merged_into is not None:
        contact = contact.merged_into
    return contact


@bp.get("/contacts/<int:contact_id>/export")
def export_contact(contact_id: int):
    """Return everything stored about the person (privacy role and administrators)."""
    contact = _contact_for((Role.PRIVACY, Role.ADMIN), contact_id)
    data = export.build(contact)
    record("contact.exported", "contact", contact.id, {"format": "api"})
    # GET answers are not committed by app.web.transactional: the log entry must be kept.
    db.session.commit()
    return jsonify(data)


@bp.post("/contacts/<int:contact_id>/erase")
def erase_contact(contact_id: int):
    """Erase the person: invitations become anonymous rows, the address is suppressed."""
    contact = _contact_for((Role.PRIVACY,), contact_id)
    result = erasure.erase(contact, now=datetime.now(UTC))
    return jsonify(result.as_dict())


_ANY_LIST = {"type": "array", "items": {"type": "object"}}
EXPORT = {
    "type": "object",
    "description": "Everything stored about the person (Art. 15 GDPR)",
    "properties": {
        "contact": {"type": "object"},
        "merged_records": _ANY_LIST,
        "invitations": _ANY_LIST,
        "mails": _ANY_LIST,
        "inbound": _ANY_LIST,
        "audit": _ANY_LIST,
    },
    "required": ["contact", "invitations", "mails", "inbound", "audit"],
}
ERASED = {
    "type": "object",
    "description": "What the erasure did, in counts only",
    "properties": {
        name: {"type": "integer"}
        for name in (
            "contact_id",
            "contacts",
            "invitations",
            "mails",
            "inbound",
            "audit_entries",
            "suppressed",
        )
    },
}


@add_part
def privacy_part() -> Part:
    """Describe a person's access export and erasure (privacy role; exports also admins)."""
    contact_id = [
        {"name": "contact_id", "in": "path", "required": True, "schema": {"type": "integer"}}
    ]
    paths = {
        "/contacts/{contact_id}/export": {
            "get": {
                "summary": "Everything stored about the person (Art. 15 GDPR): the record, "
                "tags, further addresses, invitations, mails, received mail, audit entries; "
                "privacy role and administrators; logged as contact.exported",
                "parameters": contact_id,
                "responses": _responses("ContactExport"),
            }
        },
        "/contacts/{contact_id}/erase": {
            "post": {
                "summary": "Erase the person (Art. 17 GDPR): the contact and its merged "
                "records are deleted, invitations stay as anonymous rows, mail is blanked, "
                "audit entries keep the action without values, the address is suppressed; "
                "privacy role only",
                "parameters": contact_id,
                "responses": _responses("ContactErased"),
            }
        },
    }
    return Part({"ContactExport": EXPORT, "ContactErased": ERASED}, paths)
