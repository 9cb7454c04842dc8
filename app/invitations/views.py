"""The event's guest list: counts, inviting, answers by phone, delivery, exports."""

from datetime import UTC, datetime

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from app.accounts.forms import ConfirmForm
from app.audit import record_read
from app.errors import PermissionDenied, ValidationError
from app.events.loading import editable_event_or_404
from app.events.models import Event
from app.extensions import db
from app.invitations import bounces, duplicates, exports, fatigue, guestlist
from app.invitations.answers import respond
from app.invitations.delivery import resend, retry
from app.invitations.forms import RecordAnswerForm
from app.invitations.guest_input import (
    contacts_by_ids,
    contacts_by_tags,
    contacts_for_invite,
    pasted_guests,
    read_pasted,
)
from app.invitations.guest_page import flash_invite_report, invite_form, render_guest_list
from app.invitations.models import Answer, Invitation
from app.invitations.operations import invite
from app.invitations.withdrawal import will_mail, withdraw
from app.mail.models import MailStatus

bp = Blueprint("invitations", __name__, url_prefix="/events/<int:event_id>/guests")


def _event_or_403(event_id: int) -> Event:
    """Load an event whose guest list the user may see (hosts and comms only; 404 if hidden)."""
    return editable_event_or_404(event_id, current_user)


@bp.get("/")
def index(event_id: int):
    """Show counts, the filtered guest list and the invite form."""
    return render_guest_list(_event_or_403(event_id), invite_form())


@bp.post("/invite")
def invite_guests(event_id: int):
    """Invite picked, tagged and pasted guests; show the form again while a line is faulty."""
    event = _event_or_403(event_id)
    form = invite_form()
    if not form.validate_on_submit():
        return render_guest_list(
            event,
            form,
            error=_("The form had expired. Please check your entries and send them again."),
            status=422,
        )
    try:
        lines = read_pasted(form.pasted.data)
        bad = [line for line in lines if line.errors]
        if bad and not form.skip_invalid.data:
            return render_guest_list(event, form, bad_lines=bad, status=422)  # nobody invited yet
        picked = contacts_by_ids(list(form.contact_ids.data or []))
        picked += contacts_by_tags(list(form.tags.data or []))
        review = duplicates.review(event, picked, pasted_guests(lines), request.form)
        if review.open:  # nobody invited until every possible duplicate is decided
            return render_guest_list(event, form, review=review, status=422)
        contacts, warnings = contacts_for_invite(
            form, lines, actor=current_user, now=_now(), skip=frozenset(review.dropped)
        )
        warnings += bounces.warnings(contacts)  # told, not refused: the address may be fixed
        result = invite(
            event,
            contacts,
            actor=current_user,
            now=_now(),
            secret_key=current_app.config["SECRET_KEY"],
        )
    except (ValidationError, PermissionDenied) as error:
        db.session.rollback()  # the page below reads the guest list, without the flushed half
        return render_guest_list(event, form, error=_describe(error), status=422)
    flash_invite_report(result, warnings, skipped=len(bad))
    return redirect(url_for("invitations.index", event_id=event.id))


@bp.post("/<int:invitation_id>/answer")
def record_answer(event_id: int, invitation_id: int):
    """Record an answer received by phone or letter."""
    event = _event_or_403(event_id)
    invitation = _invitation(event, invitation_id)
    form = RecordAnswerForm()
    if invitation.revoked:
        flash(_("This invitation has been withdrawn."), "error")
    elif form.validate_on_submit():
        try:
            reply = respond(
                invitation,
                Answer(form.response.data),
                now=_now(),
                plus_ones=form.plus_ones.data or 0,
                comment=invitation.comment,  # the guest's own words stay
                needs=invitation.needs,
                actor=current_user,
                source="staff",
            )
        except ValidationError as error:
            flash(_describe(error), "error")
        else:
            flash(_("The answer was recorded."), "success")
            if reply.refused_companions:
                message = ngettext(
                    "No place was left for %(num)d companion.",
                    "No place was left for %(num)d companions.",
                    reply.refused_companions,
                )
                flash(message, "warning")
    return redirect(url_for("invitations.index", event_id=event.id))


@bp.post("/<int:invitation_id>/retry")
def retry_delivery(event_id: int, invitation_id: int):
    """Queue a failed mail again."""
    event = _event_or_403(event_id)
    invitation = _invitation(event, invitation_id)
    row = guestlist.delivery_states([invitation.id]).get(invitation.id)
    if ConfirmForm().validate_on_submit() and row is not None and row.status == MailStatus.FAILED:
        retry(row, now=_now())
        flash(_("The mail will be sent again."), "success")
    return redirect(url_for("invitations.index", event_id=event.id))


@bp.route("/<int:invitation_id>/withdraw", methods=["GET", "POST"])
def withdraw_invitation(event_id: int, invitation_id: int):
    """Confirm, then withdraw one guest's invitation (a cancellation to that guest only)."""
    event = _event_or_403(event_id)
    invitation = _invitation(event, invitation_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            mailed = withdraw(invitation, actor=current_user, now=_now())
        except (ValidationError, PermissionDenied) as error:
            flash(_describe(error), "error")
        else:
            name = invitation.contact.full_name or invitation.contact.email
            told = _("The invitation of %(name)s was withdrawn; they are told by mail.", name=name)
            flash(told if mailed else _("The invitation of %(name)s was withdrawn.", name=name))
        return redirect(url_for("invitations.index", event_id=event.id))
    return render_template(
        "invitations/withdraw.html",
        event=event,
        invitation=invitation,
        form=form,
        mails=will_mail(invitation),
    )


@bp.post("/resend")
def resend_invitations(event_id: int):
    """Send the current invitation again to the ticked guests."""
    event = _event_or_403(event_id)
    ids = [int(v) for v in request.form.getlist("invitation_ids") if v.isdigit()]
    if not ConfirmForm().validate_on_submit():
        flash(_("The form had expired. Please try again."), "error")
    elif not ids:
        flash(_("Tick the guests who should get the invitation again."), "warning")
    else:
        rows = db.session.scalars(
            select(Invitation).where(Invitation.event_id == event.id, Invitation.id.in_(ids))
        ).all()
        queued = resend(list(rows), now=_now())
        message = ngettext(
            "%(num)d invitation is being sent again.",
            "%(num)d invitations are being sent again.",
            len(queued),
        )
        flash(message, "success" if queued else "warning")
    return redirect(url_for("invitations.index", event_id=event.id))


@bp.get("/export.<fmt>")
def export(event_id: int, fmt: str):
    """Download the filtered guest list as CSV or XLSX."""
    event = _event_or_403(event_id)
    rows = guestlist.guests(event, guestlist.GuestFilter.from_args(request.args))
    tz = current_app.config["TIMEZONE"]
    counts = exports.Fatigue(fatigue.settings()[1], fatigue.guest_counts(event))
    if fmt == "csv":
        body, mimetype = exports.to_csv(rows, tz, counts), "text/csv"
    elif fmt == "xlsx":
        body = exports.to_xlsx(rows, tz, event.title, counts)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        abort(404)
    record_read("guestlist.exported", "event", event.id, {"format": fmt, "rows": len(rows)})
    disposition = f'attachment; filename="gaeste-{event.id}.{fmt}"'
    return current_app.response_class(
        body, mimetype=mimetype, headers={"Content-Disposition": disposition}
    )


def _invitation(event: Event, invitation_id: int) -> Invitation:
    """Load an invitation of this event, else 404."""
    invitation = db.get_or_404(Invitation, invitation_id)
    if invitation.event_id != event.id or invitation.contact is None:
        abort(404)  # an erased guest's row only counts
    return invitation


def _now() -> datetime:
    """Return the current instant."""
    return datetime.now(UTC)


def _describe(error: Exception) -> str:
    """Return one line of text for a domain error."""
    if isinstance(error, ValidationError):
        return " ".join(m for ms in error.errors.values() for m in ms)
    return str(error)
