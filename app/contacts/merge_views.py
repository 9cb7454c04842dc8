"""The duplicate review, merging two contacts and undoing a merge.

The routes belong to the ``contacts`` blueprint (endpoints ``contacts.duplicates``,
``contacts.merge``, ``contacts.not_duplicate``, ``contacts.merge_log``,
``contacts.undo_merge``) but live here; app/web.py imports this module before it registers
the blueprint.
"""

from datetime import UTC, datetime

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts.forms import ConfirmForm
from app.contacts import guards, merge_undo, merges, operations, queries
from app.contacts.forms import MergeForm
from app.contacts.models import Contact, ContactMerge
from app.contacts.views import bp
from app.errors import ValidationError
from app.extensions import db
from app.form_errors import apply_errors

REVIEW_LIMIT = 100


def _now() -> datetime:
    """Return the current instant."""
    return datetime.now(UTC)


@bp.get("/duplicates")
def duplicates():
    """List pairs of contacts that may be one person, best matches first."""
    pairs = operations.duplicate_candidates(db.session, limit=REVIEW_LIMIT)
    # Staff see no merge button where only the communications team may merge (two mailboxes).
    locked = [
        p.ids
        for p in pairs
        if not current_user.sees_everything and not merges.staff_may_merge(p.first, p.second)
    ]
    return render_template(
        "contacts/duplicates.html", pairs=pairs, locked=locked, form=ConfirmForm()
    )


def _merged_page(first: Contact, second: Contact, status: int):
    """Say that one of the two was merged already, with a link to the contact that was kept."""
    gone = first if first.merged_into_id else second
    survivor = operations.resolve(gone)
    page = render_template("contacts/merged.html", gone=gone, survivor=survivor)
    return page, status


def _pair(first_id: int, second_id: int) -> tuple[Contact, Contact]:
    """Load two different contacts, else 404."""
    first, second = db.get_or_404(Contact, first_id), db.get_or_404(Contact, second_id)
    if first.id == second.id:
        abort(404)
    return first, second


@bp.route("/duplicates/<int:first_id>/<int:second_id>/merge", methods=["GET", "POST"])
def merge(first_id: int, second_id: int):
    """Show both contacts with a choice per differing field; merge into the older on confirm."""
    first, second = _pair(first_id, second_id)
    if first.merged_into_id or second.merged_into_id:
        return _merged_page(first, second, 409 if request.method == "POST" else 200)
    keep, gone = merges.merge_order(first, second)
    form = MergeForm()
    form.offer(merges.differing(keep, gone), merges.default_choices(keep, gone))
    status = 200
    if form.validate_on_submit():
        try:
            merges.merge(
                keep,
                gone,
                actor=current_user,
                now=_now(),
                reason=form.reason.data or "",
                secret_key=current_app.config["SECRET_KEY"],
                choices=form.choices_made(),
            )
        except guards.ContactLocked as error:
            db.session.rollback()  # the page shows both contacts as stored, not half-merged
            form.form_errors.append(str(error))
            status = 403
        except ValidationError as error:
            apply_errors(form, error)
        else:
            flash(_("The contacts were merged."), "success")
            return redirect(url_for("contacts.edit", contact_id=keep.id))
    return _merge_page(keep, gone, form), 422 if form.errors and status == 200 else status


def _merge_page(keep: Contact, gone: Contact, form: MergeForm) -> str:
    """Render the merge confirmation with both contacts side by side."""
    return render_template(
        "contacts/merge.html",
        keep=keep,
        gone=gone,
        form=form,
        invitations=queries.invitation_counts(db.session, [keep.id, gone.id]),
        staff_locked=not current_user.sees_everything and not merges.staff_may_merge(keep, gone),
    )


@bp.post("/duplicates/<int:first_id>/<int:second_id>/not-duplicate")
def not_duplicate(first_id: int, second_id: int):
    """Remember that two contacts are different people."""
    first, second = _pair(first_id, second_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if first.merged_into_id or second.merged_into_id:
        return _merged_page(first, second, 409)
    operations.mark_not_duplicate(first, second, actor=current_user, now=_now())
    flash(_("Noted: these are different people. The pair will not be proposed again."), "success")
    return redirect(url_for("contacts.duplicates"))


def _admin() -> None:
    """Refuse everyone but administrators."""
    if not current_user.is_admin:
        abort(403)


@bp.get("/merges")
def merge_log():
    """List recent merges for administrators, with undo for those of the last 30 days."""
    _admin()
    rows = merge_undo.recent()
    return render_template(
        "contacts/merges.html", rows=rows, now=_now(), until=merge_undo.undo_until
    )


@bp.route("/merges/<int:merge_id>/undo", methods=["GET", "POST"])
def undo_merge(merge_id: int):
    """Ask for confirmation, then undo a merge (administrators, within 30 days)."""
    _admin()
    log = db.get_or_404(ContactMerge, merge_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            done = merge_undo.undo(
                log, actor=current_user, now=_now(), secret_key=current_app.config["SECRET_KEY"]
            )
        except ValidationError as error:
            form.form_errors.extend(m for ms in error.errors.values() for m in ms)
        else:
            flash(_("The merge was undone; both contacts exist again."), "success")
            if done["fields_kept"]:
                flash(_("Values changed after the merge were left as they are."), "info")
            return redirect(url_for("contacts.edit", contact_id=done["contact"].id))
    blockers = merge_undo.undo_blockers(log, _now())
    page = render_template(
        "contacts/merge_undo.html",
        log=log,
        form=form,
        blockers=blockers,
        until=merge_undo.undo_until(log),
    )
    return page, 409 if form.form_errors else 200
