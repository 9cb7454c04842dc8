"""Calendar pages (agenda, month, week, public), event detail and the event form."""

from datetime import UTC, datetime

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import lazyload

from app.accounts.access import public
from app.accounts.forms import ConfirmForm
from app.departments.models import Department
from app.errors import PermissionDenied, ValidationError
from app.events import hooks, ics, operations, periods, policy, queries
from app.events.changes import Snapshot
from app.events.forms import FIELD_ALIASES, CancelForm, event_form
from app.events.loading import editable_event_or_404, visible_event_or_404
from app.events.models import Event, Status
from app.events.validation import EventInput
from app.events.walltime import range_bounds, utc_to_local
from app.extensions import db
from app.form_errors import apply_errors
from app.venues.models import Venue
from app.vocabularies.models import Audience, Category

bp = Blueprint("events", __name__)


def _today():
    """Return today's local date in the city's time zone."""
    return utc_to_local(datetime.now(UTC), current_app.config["TIMEZONE"]).date()


def _filter_choices() -> dict:
    """Return the registers offered in the filter bar."""
    return {
        "departments": db.session.scalars(select(Department).order_by(Department.name)).all(),
        "venues": db.session.scalars(select(Venue).order_by(Venue.name)).all(),
        "audiences": db.session.scalars(select(Audience).order_by(Audience.name)).all(),
        "categories": db.session.scalars(select(Category).order_by(Category.name)).all(),
    }


def _calendar_page(view: str, period: periods.Period, *, public_only: bool = False):
    """Load the visible events of a period and render one calendar layout."""
    user = None if public_only else current_user
    flt = queries.CalendarFilter.from_args(request.args, user)
    flt.public_only = public_only
    start, end = range_bounds(period.first, period.end, current_app.config["TIMEZONE"])
    events = queries.events_between(db.session, user, start, end, flt)
    days = periods.by_day(events, period, spread=view != "agenda")
    return render_template(
        f"events/{view}.html",
        period=period,
        days=days,
        events=events,
        flt=flt,
        today=_today(),
        public_only=public_only,
        printing=request.args.get("print") == "1",
        masked=lambda e: queries.is_masked(user, e),
        **_filter_choices(),
    )


@bp.get("/")
@public
def index():
    """Show the agenda list, the accessible default view."""
    return _calendar_page("agenda", periods.agenda_period(request.args.get("from"), _today()))


@bp.get("/public")
@public
def public_agenda():
    """Send visitors of the old public agenda to the portal, keeping their filters."""
    query = request.query_string.decode()
    return redirect("/veranstaltungen" + (f"?{query}" if query else ""), 301)


@bp.get("/month")
def month():
    """Show the month grid."""
    return _calendar_page("month", periods.month_period(request.args.get("month"), _today()))


@bp.get("/week")
def week():
    """Show one week, a column per day."""
    return _calendar_page("week", periods.week_period(request.args.get("date"), _today()))


def _visible_or_404(event_id: int) -> Event:
    """Load an event the current user may see, else 404 (do not reveal that it exists)."""
    # Links load on access: a download or an anonymous view never needs them.
    options = [lazyload(Event.audiences), lazyload(Event.co_hosts)]
    return visible_event_or_404(event_id, current_user, options)


@bp.get("/events/<int:event_id>")
@public
def show(event_id: int):
    """Show one event; confidential ones only as reserved to outsiders."""
    event = _visible_or_404(event_id)
    return render_template(
        "events/show.html",
        event=event,
        masked=queries.is_masked(current_user, event),
        can_edit=policy.can_edit(current_user, event),
        confirm=ConfirmForm(),
        when=operations.describe_when(event),
        **hooks.page_extras(event, current_user),
    )


@bp.get("/events/<int:event_id>.ics")
@public
def download(event_id: int):
    """Return the event as an .ics file to add to a calendar."""
    event = _visible_or_404(event_id)
    url = current_app.config["BASE_URL"] + url_for("events.show", event_id=event.id)
    masked = queries.is_masked(current_user, event)
    organized_by = ics.organizer_for(
        event.department.name,
        event.department.email,
        current_app.config["MAIL_DEFAULT_SENDER"],
        masked=masked,
    )
    body = ics.single_event_ics(event, masked=masked, url=url, organized_by=organized_by)
    return current_app.response_class(
        body,
        mimetype="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="event-{event.id}.ics"'},
    )


@bp.route("/events/new", methods=["GET", "POST"], endpoint="new")
@bp.route("/events/<int:event_id>/edit", methods=["GET", "POST"], endpoint="edit")
def edit(event_id: int | None = None):
    """Create or edit an event through the form."""
    event, form = event_form(event_id, current_user)
    checked = None  # the input whose conflicts the page shows
    if request.method == "GET" and event is not None:
        form.fill_from(event)
        checked = EventInput.from_event(event)
    if form.validate_on_submit():
        status = (
            Status.PUBLISHED.value
            if form.publish.data
            else (event.status.value if event else Status.DRAFT.value)
        )
        data = form.to_input(status)
        was = (event.status, Snapshot.of(event)) if event is not None else None
        try:
            event = _save(event, data, notify=bool(form.notify.data))
        except ValidationError as error:
            db.session.rollback()  # the checks below compare the input with the stored event
            apply_errors(form, error, FIELD_ALIASES)
            checked = data
        else:
            flash(*_saved_message(event, was, notify=bool(form.notify.data)))
            return redirect(url_for("events.show", event_id=event.id))
    extras = hooks.form_extras(checked, event, current_user)
    guests = hooks.guests_to_inform(event) if event is not None else 0
    return render_template(
        "events/form.html", form=form, event=event, guests=guests, **extras
    ), 200 if not form.errors else 422


def _saved_message(event: Event, was: tuple | None, *, notify: bool) -> tuple[str, str]:
    """Return the flash message (and its category) that says what saving did."""
    status, seen = was if was is not None else (None, None)
    if event.status == Status.PUBLISHED and status != Status.PUBLISHED:
        return _("The event was published."), "success"
    if seen is None or status != Status.PUBLISHED:
        return _("The event was saved."), "success"
    changed = seen.differs(Snapshot.of(event))
    guests = hooks.guests_to_inform(event)
    if notify and changed and guests:
        return ngettext(
            "Saved. %(num)d guest will be informed about the change.",
            "Saved. %(num)d guests will be informed about the change.",
            guests,
        ), "success"
    if notify and not changed:
        return _("Saved. Time, place and title are unchanged, so no guest was informed."), "info"
    if changed and guests:
        return _("Saved. The guests were not informed about the change."), "warning"
    return _("The event was saved."), "success"


def _save(event: Event | None, data: EventInput, *, notify: bool = False) -> Event:
    """Create or update through the domain, turning a permission error into 403."""
    now = datetime.now(UTC)
    try:
        if event is None:
            return operations.create_event(
                data, actor=current_user, now=now, tz=current_app.config["TIMEZONE"]
            )
        return operations.update_event(event, data, actor=current_user, now=now, notify=notify)
    except PermissionDenied:
        abort(403)


@bp.post("/events/<int:event_id>/publish", endpoint="publish")
@bp.post("/events/<int:event_id>/cancel", endpoint="cancel")
def change_status(event_id: int):
    """Publish or cancel an event (POST with CSRF token; cancelling was confirmed on the page)."""
    event = editable_event_or_404(event_id, current_user)
    cancelling = request.endpoint == "events.cancel"
    form = CancelForm() if cancelling else ConfirmForm()
    if not form.validate_on_submit():
        if cancelling and "csrf_token" not in form.errors:
            return _confirm_cancel_page(event, form), 422
        abort(400)
    target = Status.CANCELLED if cancelling else Status.PUBLISHED
    reason = request.form.get("conflict_reason", "")[: operations.REASON_MAX + 1]
    message = (form.message.data or "") if cancelling else ""
    try:
        operations.set_status(
            event,
            target,
            actor=current_user,
            now=datetime.now(UTC),
            conflict_reason=reason,
            message=message,
        )
    except PermissionDenied:
        abort(403)
    except ValidationError as error:
        db.session.rollback()  # the redirect would commit what the failed call flushed
        flash(" ".join(m for ms in error.errors.values() for m in ms), "error")
        return redirect(url_for("events.show", event_id=event.id))
    flash(_status_message(event, target), "success")
    return redirect(url_for("events.show", event_id=event.id))


def _status_message(event: Event, target: Status) -> str:
    """Return what publishing or cancelling did, with the number of guests told."""
    if target != Status.CANCELLED:
        return _("The event was published.")
    guests = hooks.guests_to_inform(event)
    if not guests:
        return _("The event was cancelled.")
    return ngettext(
        "The event was cancelled. %(num)d guest will be informed.",
        "The event was cancelled. %(num)d guests will be informed.",
        guests,
    )


def _confirm_cancel_page(event: Event, form: CancelForm) -> str:
    """Render the cancellation page with the number of guests who will be told."""
    return render_template(
        "events/confirm_cancel.html",
        event=event,
        form=form,
        when=operations.describe_when(event),
        guests=hooks.guests_to_inform(event),
    )


@bp.get("/events/<int:event_id>/cancel")
def confirm_cancel(event_id: int):
    """Ask for confirmation before cancelling, with an optional message to the guests."""
    return _confirm_cancel_page(editable_event_or_404(event_id, current_user), CancelForm())
