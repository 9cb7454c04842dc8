"""Development only: the "answer as the guest" buttons of the caught-mail pages (/dev/mail)."""

from datetime import UTC, datetime

from flask import Blueprint, abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _

from app.accounts.access import public
from app.inbound.devreply import (
    DEFAULT_ADDRESS,
    PARTSTATS,
    InboundRefused,
    InboundUnreachable,
    parse_request,
    send_reply,
)
from app.mail.catcher import catcher_dir, load_caught
from app.mail.views import development_admins_only

bp = Blueprint("inbound_dev", __name__, url_prefix="/dev/mail")
bp.before_request(development_admins_only)


@bp.post("/<name>/reply")
@public  # the before_request answers 404 outside development and admits administrators only
def reply(name: str):
    """Send a real iTIP REPLY for a caught invitation to the inbound server (POST with CSRF)."""
    mail = load_caught(catcher_dir(current_app), name) or abort(404)
    invitation = parse_request(mail.calendar_bytes)
    answer = request.form.get("answer", "")
    if invitation is None or answer not in PARTSTATS:
        abort(400)
    address = current_app.config.get("INBOUND_DEV_SMTP") or DEFAULT_ADDRESS
    try:
        send_reply(invitation, answer, address, now=datetime.now(UTC))
    except InboundUnreachable:
        flash(
            _(
                "The inbound mail server at %(address)s is not reachable: start it with make run.",
                address=address,
            ),
            "error",
        )
    except InboundRefused as error:
        flash(_("The inbound mail server refused the reply: %(error)s", error=str(error)), "error")
    else:
        flash(
            _(
                "The reply was sent as %(guest)s to %(organizer)s. The guest list shows it once "
                "the inbound server has processed it.",
                guest=invitation.attendee,
                organizer=invitation.organizer,
            ),
            "success",
        )
    return redirect(url_for("mail.show", name=name))
