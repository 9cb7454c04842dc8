"""The "Abonnements" page: what the user follows, and the weekly brief."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField

from app.departments.models import Department
from app.events.forms import CheckboxListField
from app.extensions import db
from app.form_choices import as_choices
from app.subscriptions import service
from app.subscriptions.models import BRIEF, TARGET_KINDS
from app.venues.models import Venue
from app.vocabularies.models import Audience, District
from app.web import transactional

bp = Blueprint("subscriptions", __name__, url_prefix="/subscriptions")

LABELS = {
    "department": _l("Departments"),
    "venue": _l("Venues"),
    "audience": _l("Audiences"),
    "district": _l("Districts"),
}


def _options() -> dict[str, list[tuple[int, str]]]:
    """Return the (id, name) pairs a user may follow, per kind (active ones only)."""
    locale = str(get_locale() or "de")
    departments = db.session.scalars(select(Department).order_by(Department.name))
    venues = db.session.scalars(select(Venue).where(Venue.active).order_by(Venue.name))
    terms = {
        kind: db.session.scalars(select(model).where(model.active).order_by(model.name))
        for kind, model in (("audience", Audience), ("district", District))
    }
    return {
        "department": [(d.id, d.name) for d in departments],
        "venue": [(v.id, v.name) for v in venues],
        **{kind: [(t.id, t.label(locale)) for t in rows] for kind, rows in terms.items()},
    }


def _form(current: dict[str, set[int]]) -> FlaskForm:
    """Return the subscriptions form, preset with what the user follows."""

    class SubscriptionsForm(FlaskForm):
        """One checkbox list per kind, and the weekly brief."""

        brief = BooleanField(
            _l("Weekly brief"),
            default=0 in current[BRIEF],
            description=_l("A mail every Monday with the next four weeks."),
        )

    for kind, pairs in _options().items():
        field = CheckboxListField(
            LABELS[kind],
            choices=as_choices(pairs),
            coerce=int,
            default=sorted(current[kind]),
        )
        setattr(SubscriptionsForm, kind, field)
    return SubscriptionsForm()


@bp.route("/", methods=["GET", "POST"])
@transactional
def index():
    """Show and save what the user follows."""
    form = _form(service.targets_of(current_user))
    if form.validate_on_submit():
        chosen = {kind: set(form[kind].data or []) for kind in TARGET_KINDS}
        chosen[BRIEF] = {0} if form.brief.data else set()
        service.replace(current_user, chosen)
        flash(_("Your subscriptions are saved."), "success")
        return redirect(url_for("subscriptions.index"))
    status = 400 if request.method == "POST" else 200
    page = render_template("subscriptions/index.html", form=form, kinds=TARGET_KINDS)
    return page, status
