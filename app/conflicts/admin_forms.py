"""Forms of the blocked ranges and school holidays kept by the communications team."""

from datetime import datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select
from wtforms import (
    BooleanField,
    DateField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from app.conflicts.models import BlockedRange, Severity
from app.errors import ValidationError
from app.events.walltime import AmbiguousWallTime, local_to_utc, range_bounds, utc_to_local
from app.extensions import db
from app.form_choices import as_choices
from app.input_guard import MAX_YEAR, MIN_YEAR, CleanText, OneLine, in_years
from app.vocabularies.models import District

SEVERITY_CHOICES = as_choices(
    [
        (Severity.WARNING.value, _l("Warning: staff confirm before publishing")),
        (Severity.INFO.value, _l("Information only")),
    ]
)


class _RangeChoices(FlaskForm):
    """District and severity of a blocked range, shared by the form and the import."""

    district_id = SelectField(_l("District"), coerce=int, choices=[])
    severity = RadioField(_l("Severity"), choices=SEVERITY_CHOICES, default="warning")

    def load_choices(self) -> None:
        """Offer the whole city and every district."""
        districts = db.session.scalars(select(District).order_by(District.name)).all()
        self.district_id.choices = as_choices(
            [(0, _("Whole city"))] + [(d.id, d.name) for d in districts]
        )

    def district(self) -> District | None:
        """Return the chosen district, None for the whole city."""
        return db.session.get(District, self.district_id.data) if self.district_id.data else None


class BlockedRangeForm(_RangeChoices):
    """Create or edit a blocked range."""

    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200), OneLine()])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=10_000), CleanText()])
    all_day = BooleanField(
        _l("All day"), description=_l("Only the dates count; times are ignored.")
    )
    start_date = DateField(_l("Start date"), validators=[InputRequired()])
    start_time = TimeField(_l("Start time"), validators=[Optional()])
    end_date = DateField(
        _l("End date"),
        validators=[Optional()],
        description=_l("All day: the last day. Leave empty for one day."),
    )
    end_time = TimeField(_l("End time"), validators=[Optional()])
    submit = SubmitField(_l("Save"))

    def fill_from(self, row: BlockedRange, tz: str) -> None:
        """Set the fields from a stored range, in the city's wall time."""
        start, end = utc_to_local(row.starts_at, tz), utc_to_local(row.ends_at, tz)
        self.process(obj=row)
        self.district_id.data, self.severity.data = row.district_id or 0, row.severity.value
        self.start_date.data = start.date()
        if row.all_day:
            self.end_date.data = (end - timedelta(days=1)).date()
        else:
            self.start_time.data, self.end_date.data, self.end_time.data = (
                start.time(),
                end.date(),
                end.time(),
            )

    def bounds(self, tz: str) -> tuple[datetime, datetime]:
        """Return the UTC start and end entered; a ValidationError names the wrong field."""
        first, last = self.start_date.data, self.end_date.data or self.start_date.data
        far = {
            name: [_("Enter a date between %(a)d and %(b)d.", a=MIN_YEAR, b=MAX_YEAR)]
            for name, day in (("start_date", first), ("end_date", last))
            if not in_years(day)
        }
        if far:  # the arithmetic below overflows near year 9999
            raise ValidationError(far)
        if self.all_day.data:
            if last < first:
                message = _("The last day must not be before the first day.")
                raise ValidationError.single("end_date", message)
            return range_bounds(first, last + timedelta(days=1), tz)
        instants, errors = [], {}
        for name, day in (("start_time", first), ("end_time", last)):
            clock = getattr(self, name).data
            if clock is None:
                errors[name] = [_("Enter a time, or choose all day.")]
                continue
            try:
                instants.append(local_to_utc(datetime.combine(day, clock), tz))
            except AmbiguousWallTime:
                errors[name] = [_("This time falls into the daylight saving time change.")]
        if errors:
            raise ValidationError(errors)
        if instants[1] <= instants[0]:
            raise ValidationError.single("end_time", _("The end must be after the start."))
        return instants[0], instants[1]

    def save_to(self, row: BlockedRange, starts_at: datetime, ends_at: datetime) -> None:
        """Copy the checked values into the range."""
        row.title, row.note = self.title.data.strip(), (self.note.data or "").strip()
        row.starts_at, row.ends_at, row.all_day = starts_at, ends_at, bool(self.all_day.data)
        row.district_id = self.district_id.data or None
        row.severity = Severity(self.severity.data)


class BlockedImportForm(_RangeChoices):
    """Import blocked ranges from an uploaded file or a calendar address."""

    file = FileField(_l("iCalendar file (.ics)"))
    url = StringField(
        _l("Or the address of a calendar"),
        validators=[Optional(), Length(max=500)],
        description=_l("http:// or https://; importing again updates the ranges."),
    )
    submit = SubmitField(_l("Import"))


class HolidayImportForm(FlaskForm):
    """Import school holidays from an .ics or .csv file."""

    file = FileField(
        _l("File (.ics or .csv)"),
        validators=[FileRequired(_l("Please choose a file."))],
        description=_l(
            "CSV columns: Name;Beginn;Ende, dates as DD.MM.YYYY or YYYY-MM-DD, Ende being the "
            "last day. UTF-8 or Windows-1252."
        ),
    )
    region = StringField(
        _l("Region"),
        default="NW",
        validators=[InputRequired(), Length(max=8)],
        description=_l("Code of the federal state, e.g. NW for North Rhine-Westphalia."),
    )
    submit = SubmitField(_l("Import"))
