"""Administration of the controlled vocabularies (audiences, categories, districts)."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, StringField, SubmitField
from wtforms.validators import InputRequired, Length, Optional

from app.accounts.access import admin_required
from app.departments.views import CODE_PATTERN
from app.extensions import db
from app.input_guard import OneLine
from app.vocabularies.models import VOCABULARIES

bp = Blueprint("vocabularies", __name__, url_prefix="/admin/vocabularies")
TITLES = {
    "audiences": _l("Audiences"),
    "categories": _l("Categories"),
    "districts": _l("Districts"),
}


class TermForm(FlaskForm):
    """Code and labels of a vocabulary term."""

    code = StringField(
        _l("Code"),
        validators=[InputRequired(), Length(max=40), CODE_PATTERN],
        description=_l("Stable identifier used by the API and feeds; do not change it later."),
    )
    name = StringField(
        _l("Name (German)"), validators=[InputRequired(), Length(max=120), OneLine()]
    )
    name_en = StringField(_l("Name (English)"), validators=[Optional(), Length(max=120), OneLine()])
    active = BooleanField(_l("Active"), default=True)
    submit = SubmitField(_l("Save"))


def _model(kind: str):
    """Return the model class of a vocabulary, 404 for unknown kinds."""
    model = VOCABULARIES.get(kind)
    if model is None:
        abort(404)
    return model


@bp.get("/<kind>")
@admin_required
def index(kind: str):
    """List the terms of one vocabulary."""
    model = _model(kind)
    rows = db.session.scalars(select(model).order_by(model.name)).all()
    return render_template(
        "vocabularies/index.html", kind=kind, terms=rows, titles=TITLES, title=TITLES[kind]
    )


@bp.route("/<kind>/new", methods=["GET", "POST"], endpoint="new")
@bp.route("/<kind>/<int:term_id>", methods=["GET", "POST"], endpoint="edit")
@admin_required
def edit(kind: str, term_id: int | None = None):
    """Create or edit a term."""
    model = _model(kind)
    term = db.get_or_404(model, term_id) if term_id else model()
    form = TermForm(obj=term)
    if form.validate_on_submit():
        clash = db.session.scalar(
            select(model.id).where(model.code == form.code.data, model.id != term.id)
        )
        if clash:
            form.code.errors.append(_("This code is taken."))
        else:
            form.populate_obj(term)
            db.session.add(term)
            flash(_("Saved."), "success")
            return redirect(url_for("vocabularies.index", kind=kind))
    back = url_for("vocabularies.index", kind=kind)
    return render_template("crud/form.html", form=form, title=TITLES[kind], back=back)
