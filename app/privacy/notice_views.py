"""The privacy notice page (/datenschutz, public) and its edit page for administrators."""

from datetime import UTC, datetime

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from app.accounts.access import admin_required, public
from app.privacy import notice
from app.web import transactional

bp = Blueprint("notice", __name__)


class NoticeForm(FlaskForm):
    """The notice text: paragraphs, "## " headings and "- " list items; no HTML."""

    body = TextAreaField(
        _l("Text of the privacy notice"),
        validators=[DataRequired(), Length(max=notice.MAX_LENGTH)],
        description=_l(
            'Plain text. An empty line starts a new paragraph, "## " at the start of a line '
            'makes a heading, "- " a list item. HTML is shown as text.'
        ),
    )
    submit = SubmitField(_l("Save the privacy notice"))


def _controller() -> dict:
    """Return the controller's name and contact and the data protection officer's contact."""
    config = current_app.config
    return {
        "name": config["PRIVACY_CONTROLLER_NAME"],
        "contact": config["PRIVACY_CONTROLLER_CONTACT"],
        "officer": config["PRIVACY_OFFICER_CONTACT"],
    }


@bp.get("/datenschutz")
@public
def show():
    """Show the privacy notice to everyone (linked from every page, mail and the RSVP page)."""
    stored = notice.stored_notice()
    return render_template(
        "privacy/notice.html",
        blocks=notice.blocks(notice.current_text(current_app.config)),
        controller=_controller(),
        updated_at=stored.updated_at if stored else None,
    )


@bp.route("/datenschutz/bearbeiten", methods=["GET", "POST"])
@admin_required
@transactional
def edit():
    """Let an administrator change the notice text (CSRF-protected; confirmed after saving)."""
    form = NoticeForm()
    if not form.is_submitted():
        form.body.data = notice.current_text(current_app.config)
    if form.validate_on_submit():
        notice.save_text(form.body.data, user_id=current_user.id, now=datetime.now(UTC))
        flash(_("The privacy notice has been saved."), "success")
        return redirect(url_for("notice.show"))
    status = 422 if form.is_submitted() else 200
    return render_template("privacy/notice_edit.html", form=form), status
