"""The notifications page, marking read, and each user's choice per kind."""

from datetime import UTC, datetime

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import RadioField

from app.extensions import db
from app.form_choices import as_choices
from app.input_guard import parse_id
from app.notifications import kinds, service
from app.notifications.models import Notification
from app.web import transactional

bp = Blueprint("notifications", __name__, url_prefix="/notifications")
PAGE_SIZE = 50


class MarkReadForm(FlaskForm):
    """A CSRF-protected button: mark one notification (or all) read."""


def _settings_form(current: dict[str, str]) -> FlaskForm:
    """Return a form with one choice (immediately, daily digest, off) per kind."""

    class SettingsForm(FlaskForm):
        """The user's notification settings."""

    choices = as_choices((mode, kinds.MODE_LABELS[mode]) for mode in kinds.MODES)
    for kind in kinds.KINDS:
        field = RadioField(kinds.KIND_LABELS[kind], choices=choices, default=current[kind])
        setattr(SettingsForm, kind, field)
    return SettingsForm()


@bp.get("/")
def index():
    """List the user's notifications, newest first, unread ones marked."""
    page = max(parse_id(request.args.get("page", "1")) or 1, 1)
    rows = db.session.scalars(
        select(Notification)
        .where(Notification.user_id == current_user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE + 1)
    ).all()
    return render_template(
        "notifications/index.html",
        notes=rows[:PAGE_SIZE],
        page=page,
        has_next=len(rows) > PAGE_SIZE,
        message=kinds.message,
        form=MarkReadForm(),
    )


@bp.post("/read")
@transactional
def read():
    """Mark one notification (``id``) or all of the user's notifications read."""
    form = MarkReadForm()
    if not form.validate_on_submit():
        flash(_("The form had expired. Please try again."), "error")
        return redirect(url_for("notifications.index"))
    one = parse_id(request.form.get("id", ""))
    changed = service.mark_read(current_user, [one] if one else None, now=datetime.now(UTC))
    if not one:
        flash(_("All notifications are marked as read."), "success")
    elif changed == 0:
        flash(_("This notification was already read."), "info")
    return redirect(url_for("notifications.index", page=request.form.get("page") or None))


@bp.route("/settings", methods=["GET", "POST"])
@transactional
def settings():
    """Let the user choose per kind: immediately, in the daily digest, or off."""
    form = _settings_form(service.settings_of(current_user))
    if form.validate_on_submit():
        service.save_settings(current_user, {kind: form[kind].data for kind in kinds.KINDS})
        flash(_("Your notification settings are saved."), "success")
        return redirect(url_for("notifications.settings"))
    status = 400 if request.method == "POST" else 200
    return render_template("notifications/settings.html", form=form, kinds=kinds.KINDS), status
