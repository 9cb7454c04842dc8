"""Address book pages: list and search, the contact form, CSV import.

The duplicate review and merges are in merge_views.py, on the same blueprint."""

from datetime import UTC, datetime

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts.forms import ConfirmForm
from app.accounts.models import Role
from app.audit.queries import history as audit_history
from app.contacts import cap, csv_import, dedup_scoring, guards, operations, queries
from app.contacts.forms import ContactForm, ImportForm
from app.contacts.models import Contact, ContactImport
from app.errors import ValidationError
from app.extensions import db
from app.form_errors import apply_errors
from app.input_guard import parse_id

bp = Blueprint("contacts", __name__, url_prefix="/contacts")


@bp.app_template_filter("describe_reason")
def describe_reason(code: str) -> str:
    """Turn a duplicate reason code into a sentence in the user's language."""
    return dedup_scoring.describe(code)


@bp.before_request
def _privacy_reads_only():
    """The privacy role reads the address book; changes are left to the departments."""
    read_only = request.method in ("GET", "HEAD", "OPTIONS") or request.endpoint == "contacts.check"
    if not read_only and getattr(current_user, "role", None) == Role.PRIVACY:
        abort(403)


def _now() -> datetime:
    """Return the current instant."""
    return datetime.now(UTC)


def _flash_errors(error: ValidationError) -> None:
    """Show domain messages that belong to no form field."""
    flash(" ".join(m for ms in error.errors.values() for m in ms), "error")


@bp.get("/")
def index():
    """List contacts, searchable by name, email, organisation and tag."""
    q, tag = request.args.get("q", "")[:200], request.args.get("tag", "")[:80]
    page = min(parse_id(request.args.get("page")) or 1, 100_000)
    result = queries.search(db.session, q, tag=tag, page=page)
    return render_template("contacts/index.html", result=result, q=q, tag=tag)


@bp.route("/new", methods=["GET", "POST"], endpoint="new")
@bp.route("/<int:contact_id>/edit", methods=["GET", "POST"], endpoint="edit")
def edit(contact_id: int | None = None):
    """Create or edit a contact; a new one is first checked for possible duplicates."""
    contact = db.get_or_404(Contact, contact_id) if contact_id else None
    if contact is not None and contact.merged_into_id:
        flash(_("This contact was merged; you see the contact that was kept."), "info")
        return redirect(url_for("contacts.edit", contact_id=operations.resolve(contact).id))
    form = ContactForm()
    form.load_choices(contact.salutation if contact else "")
    if request.method == "GET" and contact is not None:
        form.fill_from(contact)
    warnings = []
    if form.validate_on_submit():
        try:
            if contact is None and not form.anyway.data:
                warnings = operations.check_contact(form.to_input())
            if not warnings:
                return _save(form, contact)
        except ValidationError as error:
            apply_errors(form, error)
        except guards.ContactLocked as error:
            apply_errors(form, ValidationError.single(error.field, str(error)))
    history = audit_history("contact", contact.id) if contact is not None else []
    page = render_template(
        "contacts/form.html", form=form, contact=contact, warnings=warnings, history=history
    )
    return page, 422 if form.errors else 200


def _save(form: ContactForm, contact: Contact | None):
    """Save the form through the domain, tell what happened and show the contact."""
    saved = operations.save_contact(
        form.to_input(),
        actor=current_user,
        now=_now(),
        contact=contact,
        secret_key=current_app.config["SECRET_KEY"],
    )
    if cap.may_set(current_user):  # staff see the cap but do not send it
        cap.set_cap(saved.contact, form.invitation_cap.data, actor=current_user, now=_now())
    if saved.reused:
        flash(_("This person was already in the address book; that contact was kept."), "info")
    else:
        flash(_("The contact was saved."), "success")
    if saved.shared_address:
        flash(_("Other people use the same address; it is marked as a role address."), "warning")
    if saved.warnings:
        flash(_("There are possible duplicates; please check the duplicate review."), "warning")
    return redirect(url_for("contacts.edit", contact_id=saved.contact.id))


@bp.post("/check")
def check():
    """Return the possible duplicates of the form's current input as a page fragment."""
    form = ContactForm()
    form.load_choices()
    warnings = []
    if form.validate() or "csrf_token" not in form.errors:  # half-filled forms may be checked
        try:
            exclude = parse_id(request.args.get("contact_id"))
            warnings = operations.check_contact(form.to_input(), exclude_id=exclude)
        except ValidationError:
            warnings = []
    return render_template("contacts/_duplicates.html", warnings=warnings)


@bp.route("/import", methods=["GET", "POST"])
def upload():
    """Upload a CSV file; the contacts are only shown, not saved."""
    form = ImportForm()
    if form.validate_on_submit():
        content = form.file.data.read(csv_import.MAX_BYTES + 1)
        try:
            row, unknown = csv_import.preview(
                content, form.file.data.filename or "", actor=current_user, now=_now()
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            if unknown:
                flash(_("Ignored columns: %(names)s", names=", ".join(unknown)), "warning")
            return redirect(url_for("contacts.import_preview", import_id=row.id))
    return render_template("contacts/import.html", form=form), 422 if form.errors else 200


def _own_import(import_id: int) -> ContactImport:
    """Load an import of the current user (the communications team sees all), else 404."""
    row = db.get_or_404(ContactImport, import_id)
    if row.created_by_id != current_user.id and not current_user.sees_everything:
        abort(404)
    return row


@bp.get("/import/<int:import_id>")
def import_preview(import_id: int):
    """Show the parsed rows with their errors and duplicate hints."""
    row = _own_import(import_id)
    return render_template("contacts/import_preview.html", upload=row, form=ConfirmForm())


@bp.post("/import/<int:import_id>/confirm", endpoint="import_confirm")
@bp.post("/import/<int:import_id>/discard", endpoint="import_discard")
def import_finish(import_id: int):
    """Save the clean rows of an import in one transaction, or discard it."""
    row = _own_import(import_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        if request.endpoint == "contacts.import_confirm":
            counts = csv_import.confirm(row, actor=current_user, now=_now())
            message = _(
                "Import finished: %(created)d new, %(reused)d already known, %(skipped)d skipped.",
                **counts,
            )
        else:
            csv_import.discard(row, now=_now())
            message = _("The import was discarded; nothing was saved.")
    except ValidationError as error:
        _flash_errors(error)
        return redirect(url_for("contacts.import_preview", import_id=import_id))
    flash(message, "success")
    return redirect(url_for("contacts.index"))
