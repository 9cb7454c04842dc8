"""The "Eingang" page: received messages that wait for a person, with one-click answers."""

from datetime import UTC, datetime

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.validators import AnyOf

from app.errors import ValidationError
from app.extensions import db
from app.inbound import review
from app.inbound.models import State
from app.web import transactional

bp = Blueprint("inbound", __name__, url_prefix="/inbound")

KIND_LABELS = {
    "unknown": _l("unknown"),
    "auto_reply": _l("automatic reply"),
    "bounce": _l("undeliverable"),
    "calendar_reply": _l("calendar reply"),
    "other_sender": _l("from another address"),
    "human": _l("written reply"),
}
STATE_LABELS = {
    "stored": _l("not yet processed"),
    "applied": _l("applied"),
    "review": _l("to review"),
    "recorded": _l("noted"),
    "ignored": _l("set aside"),
}


class ApplyForm(FlaskForm):
    """One click on the review page: the answer to set, or "note only"."""

    answer = HiddenField(validators=[AnyOf(review.CHOICES)])


@bp.get("/")
def index():
    """List the received messages the user may see, by default those waiting for review."""
    state = request.args.get("state", State.REVIEW.value)
    event_id = request.args.get("event_id", type=int)
    stmt = review.visible(current_user, state=state or None, event_id=event_id)
    stmt = stmt.limit(review.PAGE_SIZE)
    messages = db.session.scalars(stmt).all()
    return render_template(
        "inbound/index.html",
        messages=messages,
        state=state,
        event_id=event_id,
        states=STATE_LABELS,
        kinds=KIND_LABELS,
        form=ApplyForm(),
    )


@bp.post("/<int:message_id>/apply")
@transactional
def apply(message_id: int):
    """Apply one reviewed message (POST with CSRF); staff only for their department's events."""
    message = review.find(current_user, message_id) or abort(404)
    form = ApplyForm()
    if not form.validate_on_submit() or message.state != State.REVIEW:
        flash(_("This message can no longer be applied."), "error")
        return redirect(url_for("inbound.index"))
    try:
        review.apply(message, form.answer.data, actor=current_user, now=datetime.now(UTC))
    except ValidationError as error:
        flash(" ".join(m for ms in error.errors.values() for m in ms), "error")
    else:
        flash(_("The message was applied."), "success")
    return redirect(url_for("inbound.index"))
