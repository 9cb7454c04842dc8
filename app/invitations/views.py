"""The event's guest list: counts, inviting, answers by phone, delivery, exports."""

from datetime import UTC, datetime

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from app.accounts.forms import ConfirmForm
from app.contacts.models import Contact, Tag
from app.errors import PermissionDenied, ValidationError
from app.events.loading import editable_event_or_404
from app.events.models import Event
from app.extensions import db
from app.form_choices import as_choices
from app.invitations import exports, guestlist
from app.invitations.answers import respond
from app.invitations.delivery import retry
from app.invitations.forms import InviteForm, RecordAnswerForm
from app.invitations.guest_input import contacts_for_invite
from app.invitations.models import ANSWER_LABELS, Answer, Invitation
from app.invitations.operations import invite
from app.mail.models import MailStatus

bp = Blueprint("invitations", __name__, url_prefix="/events/<int:event_id>/guests")


def _event_or_403(event_id: int) -> Event:
    """Load an event whose guest list the user may see (hosts and comms only; 404 if hidden)."""
    return editable_event_or_404(event_id, current_user)


def _invite_form() -> InviteForm:
    """Return the invite form with tag choices and address-book search results."""
    form = InviteForm()
    tags = db.session.scalars(select(Tag.name).order_by(Tag.name)).all()
    form.tags.choices = as_choices((t, t) for t in tags)
    found = []
    if q := (request.args.get("find") or "").strip():
        pattern = f"%{q.lower()}%"
        found = db.session.scalars(
            select(Contact)
            .where(Contact.merged_into_id.is_(None))
            .where(
                db.or_(
                    db.func.lower(Contact.last_name).like(pattern),
                    Contact.email_key.like(pattern),
                    db.func.lower(Contact.organisation).like(pattern),
                )
            )
            .order_by(Contact.last_name)
            .limit(50)
        ).all()
    form.contact_ids.choices = as_choices((c.id, f"{c.full_name} <{c.email}>") for c in found)
    return form


@bp.get("/")
def index(event_id: int):
    """Show counts, the filtered guest list and the invite form."""
    event = _event_or_403(event_id)
    flt = guestlist.GuestFilter.from_args(request.args)
    rows = guestlist.guests(event, flt)
    return render_template(
        "invitations/index.html",
        event=event,
        flt=flt,
        guests=rows,
        summary=guestlist.summary(event),
        per_department=guestlist.per_department(event),
        delivery=guestlist.delivery_states([g.id for g in rows]),
        form=_invite_form(),
        answer_form=RecordAnswerForm(),
        confirm=ConfirmForm(),
        answer_labels=ANSWER_LABELS,
    )


@bp.post("/invite")
def invite_guests(event_id: int):
    """Invite picked, tagged and pasted guests."""
    event = _event_or_403(event_id)
    form = _invite_form()
    if form.validate_on_submit():
        try:
            contacts, warnings = contacts_for_invite(form, actor=current_user, now=_now())
            result = invite(
                event,
                contacts,
                actor=current_user,
                now=_now(),
                secret_key=current_app.config["SECRET_KEY"],
            )
        except (ValidationError, PermissionDenied) as error:
            db.session.rollback()  # the redirect would commit what the failed call flushed
            flash(_describe(error), "error")
        else:
            flash(
                _(
                    "%(invited)d invited, %(already_invited)d already invited, "
                    "%(suppressed)d suppressed.",
                    **result.counts(),
                ),
                "success",
            )
            for warning in warnings + result.warnings:
                flash(warning["message"], "warning")
    return redirect(url_for("invitations.index", event_id=event.id))


@bp.post("/<int:invitation_id>/answer")
def record_answer(event_id: int, invitation_id: int):
    """Record an answer received by phone or letter."""
    event = _event_or_403(event_id)
    invitation = _invitation(event, invitation_id)
    form = RecordAnswerForm()
    if form.validate_on_submit():
        try:
            reply = respond(
                invitation,
                Answer(form.response.data),
                now=_now(),
                plus_ones=form.plus_ones.data or 0,
                comment=invitation.comment,  # the guest's own words stay
                needs=invitation.needs,
                actor=current_user,
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


@bp.get("/export.<fmt>")
def export(event_id: int, fmt: str):
    """Download the filtered guest list as CSV or XLSX."""
    event = _event_or_403(event_id)
    rows = guestlist.guests(event, guestlist.GuestFilter.from_args(request.args))
    tz = current_app.config["TIMEZONE"]
    if fmt == "csv":
        body, mimetype = exports.to_csv(rows, tz), "text/csv"
    elif fmt == "xlsx":
        body = exports.to_xlsx(rows, tz, event.title)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        abort(404)
    disposition = f'attachment; filename="gaeste-{event.id}.{fmt}"'
    return current_app.response_class(
        body, mimetype=mimetype, headers={"Content-Disposition": disposition}
    )


def _invitation(event: Event, invitation_id: int) -> Invitation:
    """Load an invitation of this event, else 404."""
    invitation = db.get_or_404(Invitation, invitation_id)
    if invitation.event_id != event.id:
        abort(404)
    return invitation


def _now() -> datetime:
    """Return the current instant."""
    return datetime.now(UTC)


def _describe(error: Exception) -> str:
    """Return one line of text for a domain error."""
    if isinstance(error, ValidationError):
        return " ".join(m for ms in error.errors.values() for m in ms)
    return str(error)
