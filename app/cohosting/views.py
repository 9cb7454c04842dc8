"""The pages: asking to co-host an event, and the hosts' confirmation to accept or decline."""

from datetime import UTC, datetime

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import SelectField, TextAreaField
from wtforms.validators import Length

from app.cohosting import duplicates, operations
from app.cohosting.models import CohostRequest, RequestState
from app.departments.models import Department
from app.errors import PermissionDenied, ValidationError
from app.events import policy
from app.events.loading import visible_event_or_404
from app.events.models import Event, Status
from app.events.operations import describe_when
from app.extensions import db
from app.form_choices import as_choices
from app.input_guard import CleanText
from app.web import transactional

bp = Blueprint("cohosting", __name__)


class AskForm(FlaskForm):
    """The request: a message to the hosts; comms also choose the asking department."""

    department = SelectField(_l("Asking department"), choices=[], validate_choice=True)
    message = TextAreaField(
        _l("Message to the hosting department"),
        validators=[Length(max=operations.MESSAGE_MAX), CleanText()],
        description=_l("For example what your department would contribute."),
    )


class AnswerForm(FlaskForm):
    """The confirmation of an answer; on accepting, the requester's duplicate to cancel."""

    # Shown only when the department has planned events near the day; absent means none.
    cancel_event_id = SelectField(
        _l("Cancel the requesting department's own event"), choices=[], validate_choice=False
    )


def page_context(event: Event, viewer) -> dict:
    """Return the co-hosting panel's facts for the event page."""
    if not operations.may_ask(viewer) or not policy.can_see_details(viewer, event):
        return {}
    department = viewer.department if viewer.department_id else None
    own = operations.pending_for(event.id, department.id) if department else None
    can_ask = event.status != Status.CANCELLED and (
        viewer.sees_everything
        or (department is not None and operations.refusal(event, department) is None)
    )
    hosts = operations.may_answer(viewer, event) or policy.is_host(viewer, event)
    return {
        "cohost": {
            "can_ask": can_ask,
            "own_pending": own,
            "requests": operations.pending(event) if hosts else [],
            "may_answer": operations.may_answer(viewer, event),
        }
    }


def _ask_form(event: Event) -> AskForm:
    """Return the request form; the department choice only for comms and administrators."""
    form = AskForm()
    if current_user.sees_everything:
        rows = db.session.scalars(
            select(Department)
            .where(Department.active.is_(True), Department.id.not_in(event.host_department_ids))
            .order_by(Department.name)
        )
        form.department.choices = as_choices((d.code, d.name) for d in rows)
    else:
        del form.department
    return form


@bp.route("/events/<int:event_id>/cohost-request", methods=["GET", "POST"])
@transactional
def ask(event_id: int):
    """Show and handle the request form (the event must be visible in detail, else 404)."""
    event = visible_event_or_404(event_id, current_user)
    if not operations.may_ask(current_user) or not policy.can_see_details(current_user, event):
        abort(404 if not policy.can_see_details(current_user, event) else 403)
    form = _ask_form(event)
    if form.validate_on_submit():
        code = form.department.data if "department" in form else None
        try:
            operations.ask(
                event,
                actor=current_user,
                message=form.message.data or "",
                department_code=code,
                now=datetime.now(UTC),
            )
        except PermissionDenied:
            abort(403)
        except ValidationError as error:
            for name, messages in error.errors.items():
                field = form._fields.get(name, form.message)
                field.errors = [*field.errors, *messages]
        else:
            flash(_("Your request to co-host was sent to the hosting department."), "success")
            return redirect(url_for("events.show", event_id=event.id))
    status = 422 if form.errors else 200
    return render_template(
        "cohosting/ask.html", event=event, form=form, when=describe_when(event)
    ), status


@bp.route(
    "/cohost-requests/<int:request_id>/<any(accept, decline):action>", methods=["GET", "POST"]
)
@transactional
def answer(request_id: int, action: str):
    """Confirm accepting or declining a pending request (GET asks, POST answers)."""
    row = db.get_or_404(CohostRequest, request_id)
    event = visible_event_or_404(row.event_id, current_user)
    if not operations.may_answer(current_user, event):
        abort(403)
    accept = action == "accept"
    form = AnswerForm()
    planned = duplicates.cancellable(row, current_user) if accept else []
    form.cancel_event_id.choices = as_choices(
        [("", _("— none —")), *((str(e.id), f"{e.title} ({describe_when(e)})") for e in planned)]
    )
    if row.state != RequestState.PENDING:
        flash(_("This request has already been answered."), "info")
        return redirect(url_for("events.show", event_id=event.id))
    if form.validate_on_submit():
        chosen = (form.cancel_event_id.data or "") if accept else ""
        if chosen not in {"", *(str(e.id) for e in planned)}:
            chosen = "0"  # not one of the offered events: refused by the operation, by name
        try:
            operations.answer(
                row,
                accept=accept,
                actor=current_user,
                now=datetime.now(UTC),
                secret_key=current_app.config["SECRET_KEY"],
                cancel_event_id=int(chosen) if chosen else None,
            )
        except PermissionDenied:
            abort(403)
        except ValidationError as error:
            form.cancel_event_id.errors = [m for ms in error.errors.values() for m in ms]
        else:
            done = _("The request was accepted.") if accept else _("The request was declined.")
            flash(done, "success")
            return redirect(url_for("events.show", event_id=event.id))
    return render_template(
        "cohosting/answer.html", row=row, event=event, form=form, accept=accept, planned=planned
    ), (422 if form.errors else 200)
