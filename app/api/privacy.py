"""API endpoints of data protection: a person's access export (Art. 15) and erasure (Art. 17)."""

from datetime import UTC, datetime

from flask import abort, g, jsonify

from app.accounts.models import Role
from app.api import bp
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
