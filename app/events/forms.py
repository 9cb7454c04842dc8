"""The event form, loading it for a request, and its translation into domain input."""

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import abort
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from app.accounts.models import Role
from app.departments.models import Department
from app.events.loading import editable_event_or_404
from app.events.models import Event, Visibility
from app.events.validation import EventInput
from app.extensions import db
from app.form_choices import as_choices
from app.input_guard import MAX_COUNT, CleanText, OneLine
from app.venues.models import Venue
from app.vocabularies.models import Audience, Category

VISIBILITY_LABELS = {
    Visibility.PUBLIC: _l("Public – listed on the public city calendar"),
    Visibility.INTERNAL: _l("Internal – staff of the administration only"),
    Visibility.CONFIDENTIAL: _l("Confidential – others only see the venue as reserved"),
}
# Domain error names that differ from form field names.
FIELD_ALIASES = {
    "starts_at": "start_date",
    "ends_at": "end_date",
    "rsvp_deadline": "rsvp_deadline_date",
}


class CheckboxListField(SelectMultipleField):
    """A multiple choice shown as a list of checkboxes (accessible without JavaScript)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class EventForm(FlaskForm):
    """Create or edit an event."""

    title = StringField(
        _l("Title"), validators=[Length(max=200), OneLine()], render_kw={"required": True}
    )
    description = TextAreaField(_l("Description"), validators=[Length(max=10000), CleanText()])
    all_day = BooleanField(_l("All-day event"))
    start_date = DateField(_l("Start date"), validators=[Optional()], render_kw={"required": True})
    start_time = TimeField(_l("Start time"), validators=[Optional()])
    end_date = DateField(
        _l("End date"),
        validators=[Optional()],
        description=_l("Leave empty for an event on one day."),
    )
    end_time = TimeField(_l("End time"), validators=[Optional()])
    venue_id = SelectField(_l("Venue"), coerce=int, choices=[], validate_choice=False)
    location = StringField(
        _l("Other location"),
        validators=[Length(max=300), OneLine()],
        description=_l("Only when no venue from the register fits."),
    )
    department = SelectField(_l("Owning department"), choices=[], validate_choice=False)
    co_hosts = CheckboxListField(_l("Co-hosting departments"), choices=[])
    audiences = CheckboxListField(_l("Audiences"), choices=[])
    category = SelectField(_l("Category"), choices=[], validate_choice=False)
    visibility = RadioField(
        _l("Visibility"),
        choices=as_choices([(v.value, label) for v, label in VISIBILITY_LABELS.items()]),
        default=Visibility.INTERNAL.value,
    )
    capacity = IntegerField(
        _l("Capacity (guests)"), validators=[Optional(), NumberRange(min=0, max=MAX_COUNT)]
    )
    max_plus_ones = IntegerField(
        _l("Companions per guest"), default=0, validators=[Optional(), NumberRange(min=0, max=20)]
    )
    free = BooleanField(
        _l("Free of charge"), description=_l("Shown as free admission on the public portal.")
    )
    rsvp_deadline_date = DateField(_l("Reply by (date)"), validators=[Optional()])
    rsvp_deadline_time = TimeField(_l("Reply by (time)"), validators=[Optional()])
    conflict_reason = TextAreaField(
        _l("Reason for publishing despite warnings"),
        validators=[Length(max=2000), CleanText()],
        description=_l("Only needed when the conflict check shows warnings."),
    )
    save = SubmitField(_l("Save as draft"))
    publish = SubmitField(_l("Save and publish"))
    # Editing a published event: mail the guests only when asked to (time, place or title).
    notify = SubmitField(_l("Save and inform guests"))

    # The owning department's code: never offered as co-host. `owner_fixed` is False only on a
    # new event whose department the user picks, where the list follows that choice.
    owner_code: str | None = None
    owner_fixed: bool = True

    def validate_co_hosts(self, field) -> None:
        """Refuse the owning department as its own co-host."""
        if self.owner_code and self.owner_code in (field.data or []):
            raise ValidationError(_l("The owning department cannot also be a co-host."))

    def set_owner(self, event: Event | None, user) -> None:
        """Note the owning department (the event's, else the chosen or default one)."""
        codes = [c.value for c in self.department.choices]
        if event is not None:
            self.owner_code = event.department.code
            return
        if not self.department.data:
            mine = user.department.code if user.department is not None else None
            self.department.data = mine if mine in codes else (codes[0] if codes else None)
        self.owner_code = self.department.data
        self.owner_fixed = len(codes) <= 1

    def load_choices(self, user) -> None:
        """Fill the select choices from the registers."""
        venues = db.session.scalars(select(Venue).where(Venue.active).order_by(Venue.name)).all()
        self.venue_id.choices = as_choices([(0, "—")] + [(v.id, v.name) for v in venues])
        departments = db.session.scalars(
            select(Department).where(Department.active).order_by(Department.name)
        ).all()
        self.co_hosts.choices = as_choices([(d.code, d.name) for d in departments])
        if user.sees_everything:
            self.department.choices = as_choices([(d.code, d.name) for d in departments])
        elif user.department is not None:
            self.department.choices = as_choices([(user.department.code, user.department.name)])
        audiences = db.session.scalars(
            select(Audience).where(Audience.active).order_by(Audience.name)
        )
        self.audiences.choices = as_choices([(a.code, a.name) for a in audiences])
        categories = db.session.scalars(
            select(Category).where(Category.active).order_by(Category.name)
        )
        self.category.choices = as_choices([("", "—")] + [(c.code, c.name) for c in categories])

    def fill_from(self, event: Event) -> None:
        """Set the fields from an existing event (GET of the edit page)."""
        data = EventInput.from_event(event)
        self.process(obj=event)
        self.start_date.data = event.start_local.date()
        self.start_time.data = None if event.all_day else event.start_local.time()
        end = data.end if event.all_day else event.end_local
        self.end_date.data = end if event.all_day else end.date()
        self.end_time.data = None if event.all_day else end.time()
        self.venue_id.data = event.venue_id or 0
        self.department.data = event.department.code
        self.co_hosts.data = data.co_hosts
        self.audiences.data = data.audiences
        self.category.data = data.category or ""
        self.visibility.data = event.visibility.value
        if event.rsvp_deadline is not None:
            local = data.rsvp_deadline.astimezone(ZoneInfo(event.timezone))
            self.rsvp_deadline_date.data, self.rsvp_deadline_time.data = local.date(), local.time()

    def to_input(self, status: str) -> EventInput:
        """Return the domain input for the submitted values."""
        all_day = bool(self.all_day.data)
        start, end = self.start_date.data, self.end_date.data or self.start_date.data
        if not all_day:
            start = _combine(start, self.start_time.data)
            end = _combine(end, self.end_time.data)
        deadline = self.rsvp_deadline_date.data
        if deadline is not None and self.rsvp_deadline_time.data is not None:
            deadline = datetime.combine(deadline, self.rsvp_deadline_time.data)
        return EventInput(
            title=self.title.data or "",
            description=self.description.data or "",
            all_day=all_day,
            start=start,
            end=end,
            venue_id=self.venue_id.data or None,
            location=self.location.data or "",
            audiences=list(self.audiences.data or []),
            category=self.category.data or None,
            visibility=self.visibility.data,
            status=status,
            capacity=self.capacity.data,
            max_plus_ones=self.max_plus_ones.data or 0,
            free=bool(self.free.data),
            rsvp_deadline=deadline,
            co_hosts=list(self.co_hosts.data or []),
            department=self.department.data or None,
            conflict_reason=self.conflict_reason.data or "",
        )


class CancelForm(FlaskForm):
    """Confirm a cancellation, with an optional message that the cancellation mail carries."""

    message = TextAreaField(
        _l("Message to the guests"),
        validators=[Length(max=2000), CleanText()],
        description=_l("Included in the cancellation mail, for example a new date or a reason."),
    )


def _combine(day, clock):
    """Return a datetime, or None when the time is missing (the domain reports it)."""
    return datetime.combine(day, clock) if day is not None and clock is not None else None


def event_form(event_id: int | None, user) -> tuple[Event | None, EventForm]:
    """Return the event the user may edit (None: a new one) and its form, else 403/404."""
    event = editable_event_or_404(event_id, user) if event_id else None
    if event is None and not (user.sees_everything or user.department):
        abort(403)
    if event is None and user.role == Role.PRIVACY:
        abort(403)  # the privacy role reads the calendar, it does not manage events
    form = EventForm()
    form.load_choices(user)
    form.set_owner(event, user)
    return event, form
