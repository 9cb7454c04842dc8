"""Pages of the privacy role for one person: access export, erasure, the suppression list.

Export: privacy role and administrators. Erasure and lifting a suppression: the privacy role
only; an erasure cannot be undone, so it is a separate duty from running the system.
"""

import json
from datetime import UTC, datetime

from flask import Blueprint, Response, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select

from app.accounts.access import roles_required
from app.accounts.models import Role
from app.audit import record
from app.contacts.models import Contact
from app.dates import format_day
from app.errors import ValidationError
from app.extensions import db
from app.form_errors import apply_errors
from app.invitations.models import ANSWER_LABELS, WITHDRAWN_LABEL, Invitation
from app.privacy import erasure, export, suppression
from app.privacy.forms import EraseForm, LiftForm
from app.web import transactional

bp = Blueprint("subject", __name__, url_prefix="/privacy")
EXPORT_ROLES = (Role.PRIVACY, Role.ADMIN)


@bp.app_template_filter("iso_day")
def iso_day(value: str) -> str:
    """Jinja filter: format an ISO 8601 instant of an export as a date and time."""
    return format_day(datetime.fromisoformat(value), "date_time")


@bp.app_template_global("answer_label")
def answer_label(answer: str, withdrawn: bool = False) -> str:
    """Return how the guest list names an answer."""
    return str(WITHDRAWN_LABEL if withdrawn else ANSWER_LABELS.get(answer, answer))


def live_contact(contact_id: int) -> Contact:
    """Return the contact (a merged record: the one it was merged into), or 404."""
    contact = db.get_or_404(Contact, contact_id)
    while contact.merged_into is not None:
        contact = contact.merged_into
    return contact


def exported(contact: Contact, form: str) -> dict:
    """Return the export of a contact and log it; the entry is committed here (a GET)."""
    data = export.build(contact)
    record("contact.exported", "contact", contact.id, {"format": form})
    # GET answers are not committed by app.web.transactional: the log entry must be kept.
    db.session.commit()
    return data


def download_name(contact: Contact, suffix: str) -> str:
    """Return the file name of an export: no name in it, only the contact's number."""
    return f"auskunft-kontakt-{contact.id}.{suffix}"


@bp.get("/contacts/<int:contact_id>/export")
@roles_required(*EXPORT_ROLES)
def export_page(contact_id: int):
    """Show everything stored about the person as a printable page."""
    contact = live_contact(contact_id)
    return render_template(
        "privacy/export.html",
        contact=contact,
        data=exported(contact, "html"),
        now=datetime.now(UTC),
    )


@bp.get("/contacts/<int:contact_id>/export.json")
@roles_required(*EXPORT_ROLES)
def export_json(contact_id: int):
    """Download everything stored about the person as JSON."""
    contact = live_contact(contact_id)
    body = json.dumps(exported(contact, "json"), ensure_ascii=False, indent=2)
    disposition = f'attachment; filename="{download_name(contact, "json")}"'
    return Response(
        body,
        mimetype="application/json",
        headers={"Content-Disposition": disposition, "Cache-Control": "no-store"},
    )


@bp.route("/contacts/<int:contact_id>/erase", methods=["GET", "POST"])
@transactional  # registered after app.web wrapped the app's views: commit like them
@roles_required(Role.PRIVACY)
def erase(contact_id: int):
    """Confirm and run the erasure of a person."""
    contact = live_contact(contact_id)
    form = EraseForm()
    if form.validate_on_submit():
        result = erasure.erase(contact, now=datetime.now(UTC))
        flash(
            ngettext(
                "The person's data was erased: %(num)d invitation is kept as an anonymous row.",
                "The person's data was erased: %(num)d invitations are kept as anonymous rows.",
                result.invitations,
            ),
            "success",
        )
        return redirect(url_for("contacts.index"))
    ids = [c.id for c in erasure.cluster_of(contact)]
    invitations = db.session.scalar(select(func.count()).where(Invitation.contact_id.in_(ids)))
    page = render_template(
        "privacy/erase.html", contact=contact, form=form, invitations=invitations
    )
    return page, 422 if form.errors else 200


@bp.route("/suppressions", methods=["GET", "POST"])
@transactional
@roles_required(Role.PRIVACY)
def suppressions():
    """List the suppressions by date (no addresses) and lift one by its typed address."""
    form = LiftForm()
    if form.validate_on_submit():
        try:
            row = suppression.lift(form.email.data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            record("suppression.lifted", "suppression", row.id)
            flash(_("The suppression was lifted: the address may be invited again."), "success")
            return redirect(url_for("subject.suppressions"))
    page = render_template("privacy/suppressions.html", form=form, rows=suppression.listing())
    return page, 422 if form.errors else 200
