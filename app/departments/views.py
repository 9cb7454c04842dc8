"""Administration of departments."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, EmailField, StringField, SubmitField
from wtforms.validators import Email, InputRequired, Length, Optional, Regexp

from app.accounts.access import admin_required
from app.departments.models import CODE_RE, Department, find_department, normalise_code
from app.extensions import db
from app.input_guard import OneLine

bp = Blueprint("departments", __name__, url_prefix="/admin/departments")
CODE_PATTERN = Regexp(f"^{CODE_RE.pattern}$", message=_l("Lower-case letters, digits and -."))


class DepartmentForm(FlaskForm):
    """Code, name and mailbox of a department."""

    code = StringField(
        _l("Code"),
        filters=[lambda value: normalise_code(value) if value else value],
        validators=[InputRequired(), Length(max=32), CODE_PATTERN],
    )
    name = StringField(_l("Name"), validators=[InputRequired(), Length(max=200), OneLine()])
    email = EmailField(_l("Mailbox for replies"), validators=[Optional(), Email()])
    active = BooleanField(_l("Active"), default=True)
    submit = SubmitField(_l("Save"))


@bp.get("/")
@admin_required
def index():
    """List departments."""
    rows = db.session.scalars(select(Department).order_by(Department.name)).all()
    return render_template("departments/index.html", departments=rows)


@bp.route("/new", methods=["GET", "POST"], endpoint="new")
@bp.route("/<int:department_id>", methods=["GET", "POST"], endpoint="edit")
@admin_required
def edit(department_id: int | None = None):
    """Create or edit a department."""
    department = db.get_or_404(Department, department_id) if department_id else Department()
    form = DepartmentForm(obj=department)
    if form.validate_on_submit():
        clash = find_department(form.code.data)
        if clash is not None and clash.id != department.id:
            form.code.errors.append(_("This code is taken."))
        else:
            form.populate_obj(department)
            db.session.add(department)
            flash(_("Department saved."), "success")
            return redirect(url_for("departments.index"))
    return render_template(
        "crud/form.html", form=form, title=_("Department"), back=url_for("departments.index")
    )
