"""The event's guest list: counts, inviting, answers by phone, delivery, exports."""

from datetime import UTC, datetime

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from app.accounts.forms import ConfirmForm
from app.audit import record_read
from app.contacts.models import Contact, Tag
from app.errors import PermissionDenied, ValidationError
from app.events.loading import editable_event_or_404
from app.events.models import Event
from app.extensions import db
from app.form_choices import as_choices
from app.invitations import bounces, duplicates, exports, fatigue, guestlist
from app.invitations.answers import respond
from app.invitations.delivery import resend, retry
from app.invitations.forms import InviteForm, RecordAnswerForm
from app.invitations.guest_input import (
    contacts_by_ids,
    contacts_by_tags,
    contacts_for_invite,
    pasted_guests,
    read_pasted,
)
from app.invitations.models import ANSWER_LABELS, WITHDRAWN_LABEL, Answer, Invitation
from app.invitations.operations import invite
from app.invitations.withdrawal import will_mail, withdraw
from app.mail.models import MailStatus

MAX_PICKED = 500  # ticked contacts kept when the form is shown again
MAX_FATIGUE = 10  # guest fatigue warnings flashed one by one; the rest as a number
bp = Blueprint("invitations", __name__, url_prefix="/events/<int:event_id>/guests")


def _event_or_403(event_id: int) -> Event:
    """Load an event whose guest list the user may see (hosts and comms only; 404 if hidden)."""
    return editable_event_or_404(event_id, current_user)


def _invite_form() -> InviteForm:
    """Return the invite form with tag choices, search results and the contacts already picked."""
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
    picked = [int(v) for v in request.form.getlist("contact_ids") if v.isdigit()][:MAX_PICKED]
    if picked:  # a form shown again keeps its ticks, also without the search that found them
        found += db.session.scalars(
            select(Contact).where(Contact.id.in_(picked), Contact.id.not_in([c.id for c in found]))
        ).all()
    form.contact_ids.choices = as_choices((c.id, _contact_label(c)) for c in found)
    return form


def _contact_label(contact: Contact) -> str:
    """Return "Name <address>", or the address alone for a contact without a name.

    A bouncing address says so, before the user invites it.
    """
    label = f"{contact.full_name} <{contact.email}>" if contact.full_name else contact.email
    return f"{label} – {_('Address bounces')}" if contact.bounced_at else label


def _page(
    event: Event,
    form: InviteForm,
    *,
    bad_lines=(),
    error: str = "",
    review: duplicates.Review | None = None,
    status: int = 200,
):
    """Render the guest list page with the invite form as it stands."""
    flt = guestlist.GuestFilter.from_args(request.args)
    rows = guestlist.guests(event, flt)
    page = render_template(
        "invitations/index.html",
        event=event,
        flt=flt,
        guests=rows,
        summary=guestlist.summary(event),
        per_department=guestlist.per_department(event),
        delivery=guestlist.delivery_states([g.id for g in rows]),
        form=form,
        bad_lines=bad_lines,
        invite_error=error,
        review=review,
        answer_form=RecordAnswerForm(),
        confirm=ConfirmForm(),
        answer_labels=ANSWER_LABELS,
        withdrawn_label=WITHDRAWN_LABEL,
        source_label=guestlist.source_label,
        delivery_of=guestlist.delivery_of,
        fatigue_counts=fatigue.guest_counts(event),  # one query for the whole list
        fatigue_days=fatigue.settings()[1],
    )
    record_read("guestlist.viewed", "event", event.id, {"rows": len(rows)})  # also after a POST
    return page, status


@bp.get("/")
def index(event_id: int):
    """Show counts, the filtered guest list and the invite form."""
    return _page(_event_or_403(event_id), _invite_form())


@bp.post("/invite")
def invite_guests(event_id: int):
    """Invite picked, tagged and pasted guests; show the form again while a line is faulty."""
    event = _event_or_403(event_id)
    form = _invite_form()
    if not form.validate_on_submit():
        return _page(
            event,
            form,
            error=_("The form had expired. Please check your entries and send them again."),
            status=422,
        )
    try:
        lines = read_pasted(form.pasted.data)
        bad = [line for line in lines if line.errors]
        if bad and not form.skip_invalid.data:
            return _page(event, form, bad_lines=bad, status=422)  # nobody invited yet
        picked = contacts_by_ids(list(form.contact_ids.data or []))
        picked += contacts_by_tags(list(form.tags.data or []))
        review = duplicates.review(event, picked, pasted_guests(lines), request.form)
        if review.open:  # nobody invited until every possible duplicate is decided
            return _page(event, form, review=review, status=422)
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
        return _page(event, form, error=_describe(error), status=422)
    _report(result, warnings, skipped=len(bad))
    return redirect(url_for("invitations.index", event_id=event.id))


def _report(result, warnings: list[dict], *, skipped: int) -> None:
    """Flash what an invite call did, the faulty lines left out and possible duplicates."""
    flash(
        _(
            "%(invited)d invited, %(already_invited)d already invited, %(suppressed)d suppressed.",
            **result.counts(),
        ),
        "success",
    )
    if skipped:
        message = ngettext(
            "%(num)d faulty line was left out.", "%(num)d faulty lines were left out.", skipped
        )
        flash(message, "warning")
    fatigued = [w for w in result.warnings if w["kind"] == "guest_fatigue"]
    shown = [w for w in result.warnings if w["kind"] != "guest_fatigue"] + fatigued[:MAX_FATIGUE]
    for warning in warnings + shown:
        flash(warning["message"], "warning")
    if rest := len(fatigued) - MAX_FATIGUE:  # the session cookie holds the messages
        message = ngettext(
            "%(num)d more guest would receive too many city invitations.",
            "%(num)d more guests would receive too many city invitations.",
            rest,
        )
        flash(message, "warning")


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
