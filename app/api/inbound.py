"""API endpoints of the "Eingang": received messages and applying one after review.

The same permissions as the /inbound/ page: comms and admin see every message, staff those
about their department's events (app/inbound/review.py).
"""

from datetime import UTC, datetime
from typing import Literal

from flask import abort, current_app, g, jsonify, request, url_for
from sqlalchemy.orm import selectinload

from app.api import bp
from app.api.event_list import int_arg
from app.api.schemas import _Strict, parse
from app.errors import ValidationError
from app.extensions import db
from app.inbound import review
from app.inbound.models import InboundMessage, State
from app.input_guard import MAX_ID
from app.invitations.models import ERASED_LABEL

DEFAULT_PAGE_SIZE = 100
KINDS = ("unknown", "auto_reply", "bounce", "calendar_reply", "other_sender", "human")
DETAIL_KEYS = ("subject", "from", "partstat", "attendee", "status", "diagnostic", "reason", "text")


class ApplyBody(_Strict):
    """The answer to set from a reviewed message, or "note" to keep it for the record only."""

    answer: Literal["accepted", "declined", "tentative", "note"]


def _item(message: InboundMessage) -> dict:
    """Serialise one received message (without its raw bytes)."""
    invitation = message.invitation
    contact = invitation.contact if invitation else None  # None once the guest was erased
    detail = message.detail or {}
    return {
        "id": message.id,
        "kind": message.kind.value,
        "state": message.state.value,
        "received_at": message.received_at.isoformat(),
        "processed_at": message.processed_at.isoformat() if message.processed_at else None,
        "invitation_id": message.invitation_id,
        "event_id": invitation.event_id if invitation else None,
        "guest_email": contact.email if contact else None,
        "guest_name": contact.full_name if contact else (str(ERASED_LABEL) if invitation else None),
        **{key: str(detail.get(key) or "") for key in DETAIL_KEYS},
    }


@bp.get("/inbound")
def list_inbound():
    """List received messages the caller may see, newest first, by state and event."""
    state = request.args.get("state") or None
    if state is not None and state not in {s.value for s in State}:
        raise ValidationError.single("state", "Use " + ", ".join(s.value for s in State) + ".")
    args = request.args
    event_id = int_arg(args, "event_id", 1, MAX_ID) if args.get("event_id") else None
    per_page = int_arg(args, "per_page", DEFAULT_PAGE_SIZE, current_app.config["API_MAX_PAGE_SIZE"])
    page = int_arg(request.args, "page", 1, 1_000_000)
    stmt = review.visible(g.api_user, state=state, event_id=event_id)
    stmt = stmt.options(selectinload(InboundMessage.invitation))  # contacts come joined
    rows = db.session.scalars(stmt.offset((page - 1) * per_page).limit(per_page + 1)).all()
    following = None
    if len(rows) > per_page:
        args = {**request.args.to_dict(), "page": page + 1, "per_page": per_page}
        following = url_for("api.list_inbound", **args)
    return jsonify(
        {
            "items": [_item(m) for m in rows[:per_page]],
            "page": page,
            "per_page": per_page,
            "next": following,
        }
    )


@bp.post("/inbound/<int:message_id>/apply")
def apply_inbound(message_id: int):
    """Apply a message waiting for review: set the guest's answer from it, or only note it."""
    message = review.find(g.api_user, message_id) if message_id <= MAX_ID else None
    if message is None:
        abort(404, description="No such message.")
    body = parse(ApplyBody, request.get_json(silent=True))
    if message.state != State.REVIEW:
        raise ValidationError.single("answer", "This message is not waiting for review.")
    review.apply(message, body.answer, actor=g.api_user, now=datetime.now(UTC))
    return jsonify(_item(message))
