"""The guest's RSVP pages: a GET shows, only a POST changes anything (mail scanners GET links)."""

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
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf import FlaskForm
from wtforms import IntegerField, RadioField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, NumberRange, Optional

from app.accounts.access import public
from app.audit import record_read
from app.errors import ValidationError
from app.events import ics
from app.events.operations import describe_when
from app.extensions import limiter
from app.form_choices import as_choices
from app.form_errors import apply_errors
from app.input_guard import CleanText
from app.invitations import answers
from app.invitations.models import ANSWER_LABELS, Answer
from app.invitations.tokens import token_hash
from app.rsvp import operations

bp = Blueprint("rsvp", __name__, url_prefix="/rsvp")


class RsvpForm(FlaskForm):
    """The guest's answer."""

    response = RadioField(
        _l("Your answer"),
        validators=[InputRequired()],
        choices=as_choices(
            [
                ("accepted", _l("Yes, I will attend")),
                ("declined", _l("No, I cannot attend")),
                ("tentative", _l("Maybe")),
            ]
        ),
    )
    plus_ones = IntegerField(
        _l("Companions"), default=0, validators=[Optional(), NumberRange(0, 20)]
    )
    comment = TextAreaField(_l("Message to the organisers"), validators=[CleanText()])
    needs = TextAreaField(_l("Dietary or accessibility needs"), validators=[CleanText()])
    submit = SubmitField(_l("Send answer"))


def _invitation_or_404(token: str, *, withdrawn: bool = False):
    """Return the invitation of a token, or the friendly 404 page."""
    invitation = operations.find_by_token(token, withdrawn=withdrawn)
    if invitation is None:
        abort(404)
    return invitation


def _link_limit() -> str:
    """Return the configured limit of answers per invitation link."""
    return current_app.config["RSVP_RATE_LIMIT"]


def _address_limit() -> str:
    """Return the configured limit of answers per client address (many guests share a NAT)."""
    return current_app.config["RSVP_ADDRESS_RATE_LIMIT"]


def _token_key() -> str:
    """Rate-limit key per invitation link; a hash, so that the limiter's store holds no token."""
    # Keyed like the lookup (token_hash folds case and spaces), so variants of one link share it.
    return "rsvp:" + token_hash((request.view_args or {}).get("token", ""))[:32]


def _flash_reply(reply: answers.Reply) -> None:
    """Tell the guest what became of the answer."""
    if reply.refused_companions:
        message = ngettext(
            "Your acceptance stands; there is no place left for %(num)d companion.",
            "Your acceptance stands; there is no place left for %(num)d companions.",
            reply.refused_companions,
        )
        flash(message, "warning")
    elif reply.status == Answer.WAITLISTED:
        flash(_("You are on the waiting list."), "success")
    elif not reply.changed:
        flash(_("Your answer is unchanged; we have not sent another confirmation."), "info")
    else:
        flash(_("Thank you, your answer has been saved."), "success")


@bp.route("/<token>", methods=["GET", "POST"])
@public
@limiter.limit(_address_limit, methods=["POST"])
@limiter.limit(_link_limit, methods=["POST"], key_func=_token_key)
def answer(token: str):
    """Show the invitation and take the guest's answer; a withdrawn one only says so."""
    invitation = _invitation_or_404(token, withdrawn=True)
    now = datetime.now(UTC)
    if invitation.withdrawn:
        page = render_template("rsvp/withdrawn.html", event=invitation.event, token=token)
        return page, (409 if request.method == "POST" else 200)
    if request.method == "GET":  # the link was used: the invitation's id, no IP address
        record_read("rsvp.opened", "invitation", invitation.id)
    form = RsvpForm(obj=invitation if invitation.responded_at else None)
    if form.validate_on_submit():
        try:
            reply = answers.respond(
                invitation,
                Answer(form.response.data),
                now=now,
                plus_ones=form.plus_ones.data or 0,
                comment=form.comment.data or "",
                needs=form.needs.data or "",
                source="link",
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            _flash_reply(reply)
            return redirect(url_for("rsvp.answer", token=token))
    if invitation.status in (Answer.ACCEPTED, Answer.WAITLISTED) and not form.is_submitted():
        form.response.data = "accepted"
    return render_template(
        "rsvp/answer.html",
        invitation=invitation,
        event=invitation.event,
        form=form,
        token=token,
        when=describe_when(invitation.event),
        closed=answers.deadline_passed(invitation, now),
        answer_labels=ANSWER_LABELS,
    ), (422 if form.errors else 200)


@bp.get("/<token>/event.ics")
@public
def download(token: str):
    """Return the event as a file to add to a calendar (PUBLISH, no attendee)."""
    event = _invitation_or_404(token).event
    body = ics.single_event_ics(event, masked=False, url=None)
    return current_app.response_class(
        body,
        mimetype="text/calendar",
        headers={"Content-Disposition": 'attachment; filename="termin.ics"'},
    )


@bp.route("/<token>/optout", methods=["GET", "POST"])
@public
@limiter.limit(_address_limit, methods=["POST"])
@limiter.limit(_link_limit, methods=["POST"], key_func=_token_key)
def optout(token: str):
    """Confirm, then stop all further invitations to this guest (also after a withdrawal)."""
    invitation = _invitation_or_404(token, withdrawn=True)
    form = FlaskForm()
    if form.validate_on_submit():
        operations.opt_out(invitation, now=datetime.now(UTC))
        return render_template("rsvp/optout.html", done=True, token=token)
    return render_template(
        "rsvp/optout.html", done=invitation.contact.do_not_invite, form=form, token=token
    )
