"""User administration: the list of accounts and the account form with its department.

The routes belong to the ``auth`` blueprint (endpoints ``auth.users``, ``auth.new_user``,
``auth.edit_user``) but live here, one level above accounts, because assigning a department
needs the departments. app/web.py imports this module before it registers the blueprint.
"""

from datetime import UTC, datetime

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from app.accounts.access import admin_required
from app.accounts.forms import ROLE_LABELS, UserForm
from app.accounts.models import User
from app.accounts.views import bp
from app.departments import staff
from app.departments.models import Department
from app.errors import ValidationError
from app.extensions import db
from app.form_choices import as_choices
from app.form_errors import apply_errors


def _department_choices() -> list[tuple[str, str]]:
    """Return the departments as select choices, with an empty first choice."""
    rows = db.session.scalars(select(Department).order_by(Department.name)).all()
    return [("", _("— none —"))] + [(d.code, d.name) for d in rows]


@bp.get("/admin/users")
@admin_required
def users():
    """List all accounts."""
    rows = db.session.scalars(select(User).order_by(User.name)).all()
    return render_template("auth/users.html", users=rows, role_labels=ROLE_LABELS)


@bp.route("/admin/users/new", methods=["GET", "POST"], endpoint="new_user")
@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"], endpoint="edit_user")
@admin_required
def edit_user(user_id: int | None = None):
    """Create or edit an account."""
    user = db.get_or_404(User, user_id) if user_id else None
    form = UserForm(obj=user)
    form.department.choices = as_choices(_department_choices())
    if user is None:  # a new account needs a password: neither optional nor "keep the current one"
        form.password.flags.required = True
        form.password.description = _("At least 12 characters.")
    if request.method == "GET" and user is not None:
        form.department.data = user.department.code if user.department else ""
        form.role.data = user.role.value
    if form.validate_on_submit():
        try:
            staff.save_user(user, form.data, now=datetime.now(UTC))
        except ValidationError as error:
            apply_errors(form, error)
        else:
            flash(_("Account saved."), "success")
            return redirect(url_for("auth.users"))
    return render_template(
        "auth/user_form.html", form=form, user=user, title=_("Account"), back=url_for("auth.users")
    )
