"""The venues register: everyone logged in reads it, administrators maintain it."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from app.accounts.access import admin_required
from app.errors import ValidationError
from app.extensions import db
from app.form_choices import as_choices
from app.input_guard import MAX_COUNT, OneLine
from app.venues import hooks
from app.venues.models import Venue
from app.vocabularies.models import District

bp = Blueprint("venues", __name__, url_prefix="/venues")


class VenueForm(FlaskForm):
    """All attributes of a venue."""

    name = StringField(_l("Name"), validators=[InputRequired(), Length(max=200), OneLine()])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=300), OneLine()])
    district_id = SelectField(_l("District"), coerce=int, choices=[])
    capacity = IntegerField(
        _l("Capacity (people)"), validators=[Optional(), NumberRange(min=0, max=MAX_COUNT)]
    )
    setup_minutes = IntegerField(
        _l("Setup buffer (minutes)"), default=0, validators=[InputRequired(), NumberRange(0, 1440)]
    )
    teardown_minutes = IntegerField(
        _l("Teardown buffer (minutes)"),
        default=0,
        validators=[InputRequired(), NumberRange(0, 1440)],
    )
    exclusive = BooleanField(
        _l("Exclusive"), description=_l("Only one event at a time; overlaps are blocked.")
    )
    step_free = BooleanField(_l("Step-free access"))
    accessible_toilet = BooleanField(_l("Accessible toilet"))
    induction_loop = BooleanField(_l("Induction loop"))
    sign_language_on_request = BooleanField(_l("Sign language interpreting on request"))
    accessibility_notes = TextAreaField(_l("Accessibility"), validators=[Length(max=2000)])
    transit_hint = StringField(
        _l("Public transport"),
        validators=[Optional(), Length(max=300), OneLine()],
        description=_l("How to get there by bus and train, shown on the public portal."),
    )
    active = BooleanField(_l("In use"), default=True)
    submit = SubmitField(_l("Save"))


def _clashes_block(venue: Venue, form: VenueForm) -> bool:
    """Refuse the change when a registered check objects (e.g. overlaps at an exclusive venue)."""
    refusals = hooks.refusals(venue, form.data)
    if refusals:
        form.exclusive.errors = refusals
    return bool(refusals)


@bp.get("/")
def index():
    """List all venues with their capacity and accessibility notes."""
    rows = db.session.scalars(select(Venue).order_by(Venue.name)).all()
    return render_template("venues/index.html", venues=rows)


@bp.route("/new", methods=["GET", "POST"], endpoint="new")
@bp.route("/<int:venue_id>/edit", methods=["GET", "POST"], endpoint="edit")
@admin_required
def edit(venue_id: int | None = None):
    """Create or edit a venue."""
    venue = db.get_or_404(Venue, venue_id) if venue_id else Venue(setup_minutes=0)
    form = VenueForm(obj=venue)
    districts = db.session.scalars(select(District).order_by(District.name)).all()
    form.district_id.choices = as_choices(
        [(0, _("— none —"))] + [(d.id, d.name) for d in districts]
    )
    if form.validate_on_submit() and not _clashes_block(venue, form):
        form.populate_obj(venue)
        venue.district_id = form.district_id.data or None
        db.session.add(venue)
        try:
            hooks.flush()
        except ValidationError as error:  # a booking made meanwhile
            form.exclusive.errors = list(error.errors["venue_id"])
        else:
            flash(_("Venue saved."), "success")
            return redirect(url_for("venues.index"))
    return render_template(
        "crud/form.html", form=form, title=_("Venue"), back=url_for("venues.index")
    ), (422 if form.errors else 200)
