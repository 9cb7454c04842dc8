"""The guest list page: the invite form with its choices, the page as it stands, and what an
invite call did, flashed (the routes are in views.py)."""

from flask import flash, render_template, request
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select

from app.accounts.forms import ConfirmForm
from app.audit import record_read
from app.contacts.models import Contact, Tag
from app.events.models import Event
from app.extensions import db
from app.form_choices import as_choices
from app.invitations import duplicates, fatigue, guestlist
from app.invitations.forms import InviteForm, RecordAnswerForm
from app.invitations.models import ANSWER_LABELS, WITHDRAWN_LABEL

MAX_PICKED = 500  # ticked contacts kept when the form is shown again
MAX_FATIGUE = 10  # guest fatigue warnings flashed one by one; the rest as a number


def invite_form() -> InviteForm:
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


def render_guest_list(
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


def flash_invite_report(result, warnings: list[dict], *, skipped: int) -> None:
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
