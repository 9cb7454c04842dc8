"""API endpoints for an event's invitations."""

from datetime import UTC, datetime

from flask import abort, current_app, g, jsonify, request
from pydantic import Field

from app.api import bp
from app.api.schemas import Line, _Strict, parse
from app.audit import record_read
from app.errors import PermissionDenied
from app.events import policy
from app.events.models import Event
from app.extensions import db
from app.input_guard import MAX_ID
from app.invitations import bounces, duplicates, guestlist
from app.invitations.guest_input import contacts_by_ids, contacts_for_guests
from app.invitations.models import ERASED_LABEL, Invitation
from app.invitations.operations import invite
from app.invitations.withdrawal import withdraw


class Guest(_Strict):
    """A guest given by address; becomes (or finds) an address-book contact."""

    email: Line = Field(..., max_length=254)
    first_name: Line = Field("", max_length=120)
    last_name: Line = Field("", max_length=120)
    salutation: Line = Field("", max_length=40)
    title: Line = Field("", max_length=60)
    organisation: Line = Field("", max_length=200)
    language: str = Field("de", pattern="^(de|en)$")


class InviteBody(_Strict):
    """Guests to invite, by address and/or by contact id."""

    guests: list[Guest] = Field(default_factory=list, max_length=20000)
    contact_ids: list[int] = Field(default_factory=list, max_length=20000)


def _event_for_guests(event_id: int) -> Event:
    """Load an event whose guests the API user may manage; 404 if invisible, 403 if not a host."""
    event = db.session.get(Event, event_id) if event_id <= MAX_ID else None
    if event is None or not policy.can_view(g.api_user, event):
        abort(404, description="No such event.")
    if not policy.can_edit(g.api_user, event):
        raise PermissionDenied("Only the hosting departments and comms manage guests.")
    return event


def _item(invitation: Invitation, mail: dict | None = None) -> dict:
    """Serialise one invitation; ``mail`` is its newest outbox row (guestlist.delivery_states)."""
    return {
        "id": invitation.id,
        "contact_id": invitation.contact_id,
        "email": invitation.contact.email if invitation.contact else None,
        "name": invitation.contact.full_name if invitation.contact else str(ERASED_LABEL),
        "status": invitation.status.value,
        "withdrawn": invitation.revoked,
        "plus_ones": invitation.plus_ones,
        "departments": [link.department.code for link in invitation.departments],
        "responded_at": invitation.responded_at.isoformat() if invitation.responded_at else None,
        "response_source": invitation.response_source,
        "delivery": guestlist.delivery_of(mail.get(invitation.id)) if mail is not None else None,
    }


@bp.post("/events/<int:event_id>/invitations")
def invite_guests(event_id: int):
    """Invite guests; each person gets one invitation whichever departments invite."""
    event = _event_for_guests(event_id)
    body = parse(InviteBody, request.get_json(silent=True))
    now = datetime.now(UTC)
    contacts = contacts_by_ids(body.contact_ids)
    created, warnings = contacts_for_guests(
        [guest.model_dump() for guest in body.guests], actor=g.api_user, now=now
    )
    # Reported, not refused: a client decides itself (the invite form asks the user instead).
    new = [duplicates.of_contact(contact) for contact in contacts + created]
    warnings += [d.as_warning() for d in duplicates.find(new, duplicates.invited(event))]
    warnings += bounces.warnings(contacts + created)
    result = invite(
        event,
        contacts + created,
        actor=g.api_user,
        now=now,
        secret_key=current_app.config["SECRET_KEY"],
    )
    ids = result.invited + result.already_invited
    rows = db.session.query(Invitation).filter(Invitation.id.in_(ids)).all() if ids else []
    return jsonify(
        {
            **result.counts(),
            "refused": len(result.refused),  # over their own cap: see the guest_fatigue warnings
            "invitations": [_item(r) for r in rows],
            "warnings": warnings + result.warnings,
        }
    )


@bp.get("/events/<int:event_id>/invitations")
def list_invitations(event_id: int):
    """List the event's invitations with a summary of answers."""
    event = _event_for_guests(event_id)
    rows = guestlist.guests(event, guestlist.GuestFilter.from_args(request.args))
    record_read("guestlist.viewed", "event", event.id, {"rows": len(rows)})
    counts = guestlist.summary(event)
    mail = guestlist.delivery_states([r.id for r in rows])  # one query for all items
    keys = ("accepted", "declined", "tentative", "pending", "waitlisted")
    return jsonify(
        {
            "items": [_item(r, mail) for r in rows],
            "summary": {k: counts[k] for k in keys} | {"companions": counts["companions"]},
        }
    )


@bp.post("/invitations/<int:invitation_id>/withdraw")
def withdraw_invitation(invitation_id: int):
    """Withdraw one guest's invitation; the guest alone gets a cancellation by mail."""
    invitation = db.session.get(Invitation, invitation_id) if invitation_id <= MAX_ID else None
    if invitation is None:
        abort(404, description="No such invitation.")
    _event_for_guests(invitation.event_id)
    mailed = withdraw(invitation, actor=g.api_user, now=datetime.now(UTC))
    return jsonify(_item(invitation) | {"cancellation_mailed": mailed})
