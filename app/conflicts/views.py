"""The communications team's conflict view and the live check of the event form."""

import re
from collections import Counter
from datetime import UTC, datetime
from itertools import groupby
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

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
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from wtforms import HiddenField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length

from app.accounts.access import comms_required
from app.conflicts import density as density_mod
from app.conflicts import export, listing, live
from app.conflicts.conflict import KINDS
from app.conflicts.density_svg import heatmap_svg
from app.conflicts.models import PublishOverride, ReviewStatus
from app.departments.models import Department
from app.events.forms import event_form
from app.events.models import Status
from app.extensions import db
from app.input_guard import CleanText, parse_day

bp = Blueprint("conflicts", __name__, url_prefix="/conflicts")
PER_PAGE = 25
PER_ROW = 10  # events linked per conflict; the rest are counted


class ReviewForm(FlaskForm):
    """Acknowledge or resolve one conflict with a note."""

    key = HiddenField(validators=[InputRequired(), Length(max=200)])
    day = HiddenField(validators=[InputRequired(), Length(max=10)])
    note = TextAreaField(_l("Note"), validators=[Length(max=2000), CleanText()])
    acknowledge = SubmitField(_l("Acknowledge"))
    resolve = SubmitField(_l("Resolved"))


def _department_id(code: str) -> int | None:
    if not code:
        return None
    return db.session.scalar(select(Department.id).filter_by(code=code)) or -1


def list_conflicts(viewer, flt: listing.ListFilter, shown: str = "") -> list[listing.Listed]:
    """Return the listed conflicts for a filter (shared by the page and the API); ``shown``
    keeps the conflict just reviewed in the list, so that the page does not shift under it."""
    items = listing.conflicts_between(
        viewer,
        flt.first,
        flt.last,
        kinds=flt.kinds or None,
        severities=flt.severities or None,
        department_id=_department_id(flt.department),
    )
    return [item for item in items if flt.keeps(item) or item.conflict.key == shown]


def anchor(key: str) -> str:
    """Return the HTML id of a conflict's row in the list ("conflict-venue-3-7")."""
    return "conflict-" + re.sub(r"[^A-Za-z0-9_-]", "-", key)


def _overrides(items: list[listing.Listed]) -> dict[int, list[PublishOverride]]:
    """Return the publishing overrides of the events involved, newest first."""
    event_ids = sorted({e.id for item in items for e in item.events[:PER_ROW]})
    found: dict[int, list[PublishOverride]] = {}
    for start in range(0, len(event_ids), 500):
        for record in db.session.scalars(
            select(PublishOverride)
            .options(joinedload(PublishOverride.created_by))
            .where(PublishOverride.event_id.in_(event_ids[start : start + 500]))
            .order_by(PublishOverride.created_at.desc())
        ):
            found.setdefault(record.event_id, []).append(record)
    return found


@bp.get("/")
@comms_required
def index():
    """Show one page of the conflicts in a date range, with the density overview first."""
    flt = listing.ListFilter(request.args)
    shown = request.args.get("shown", "")[:200]
    items = [] if flt.errors else list_conflicts(current_user, flt, shown)
    pages = max(1, -(-len(items) // PER_PAGE))
    page = min(flt.page, pages)
    on_page = items[(page - 1) * PER_PAGE : page * PER_PAGE]
    args = request.args.to_dict(flat=False)
    args.pop("page", None)
    args.pop("shown", None)
    return render_template(
        "conflicts/index.html",
        flt=flt,
        days=[(day, list(group)) for day, group in groupby(on_page, lambda i: i.conflict.day)],
        page=page,
        pages=pages,
        total=len(items),
        counts=Counter(item.conflict.severity.value for item in items),
        overrides=_overrides(on_page),
        departments=db.session.scalars(select(Department).order_by(Department.name)).all(),
        kinds=KINDS,
        grid=None
        if flt.errors
        else density_mod.density(flt.first, flt.last, department_id=_department_id(flt.department)),
        svg_url=url_for("conflicts.density_svg", **args),
        csv_url=url_for("conflicts.export_csv", **args),
        page_url=lambda n: url_for("conflicts.index", **args, page=n),
        review_form=ReviewForm,
        anchor=anchor,
        shown=shown,
        per_row=PER_ROW,
    ), (422 if flt.errors else 200)


@bp.get("/export.csv")
@comms_required
def export_csv():
    """Download every conflict of the filtered list (all pages) as CSV."""
    flt = listing.ListFilter(request.args)
    if flt.errors:
        abort(422)
    body = export.to_csv(
        list_conflicts(current_user, flt), current_user, current_app.config["TIMEZONE"]
    )
    name = f"konflikte-{flt.first.isoformat()}-{flt.last.isoformat()}.csv"
    return current_app.response_class(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.get("/density.svg")
@comms_required
def density_svg():
    """Return the heatmap picture of the density overview."""
    flt = listing.ListFilter(request.args)
    grid = density_mod.density(flt.first, flt.last, department_id=_department_id(flt.department))
    return current_app.response_class(
        heatmap_svg(grid),
        mimetype="image/svg+xml",
        headers={"Cache-Control": "private, max-age=60"},
    )


def _safe_next(value: str | None) -> str:
    """Return a local path to go back to (never another site)."""
    if value and value.startswith("/conflicts") and "//" not in value and "\\" not in value:
        return value
    return url_for("conflicts.index")


def _back_to(value: str | None, key: str) -> str:
    """Return the list page to go back to, keeping the conflict in view (``#conflict-...``)."""
    parts = urlsplit(_safe_next(value))
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "shown"]
    if key:
        query.append(("shown", key))
    return urlunsplit(("", "", parts.path, urlencode(query), anchor(key) if key else ""))


@bp.post("/review")
@comms_required
def review():
    """Acknowledge or resolve a conflict with a note, then return to the same place."""
    form = ReviewForm()
    back = _back_to(request.form.get("next"), (form.key.data or "")[:200])
    day = parse_day(form.day.data)
    if not form.validate_on_submit() or day is None:
        flash(_("The review could not be saved: the form was incomplete."), "error")
        return redirect(back)
    # Look in the window the list showed, so that the review matches what was seen.
    first = parse_day(request.form.get("from")) or day
    last = parse_day(request.form.get("to")) or day
    if not first <= day <= last or (last - first).days >= listing.MAX_DAYS:
        first = last = day
    found = listing.find(current_user, form.key.data, first, last)
    if found is None:
        flash(_("This conflict no longer exists."), "info")
        return redirect(back)
    status = ReviewStatus.RESOLVED if form.resolve.data else ReviewStatus.ACKNOWLEDGED
    if status == ReviewStatus.RESOLVED and not (form.note.data or "").strip():
        flash(_("Please add a note saying how the conflict was resolved."), "error")
        return redirect(back)
    try:
        listing.review(
            found, status, form.note.data or "", actor=current_user, now=datetime.now(UTC)
        )
    except IntegrityError:  # a colleague reviewed the same conflict at the same moment
        db.session.rollback()  # the failed flush; the redirect then commits nothing
        flash(_("A colleague has just reviewed this conflict; please check it again."), "info")
        return redirect(back)
    flash(
        _("The conflict was marked as resolved.")
        if status == ReviewStatus.RESOLVED
        else _("The conflict was acknowledged."),
        "success",
    )
    return redirect(back)


@bp.post("/check", endpoint="check_form")
@bp.post("/check/<int:event_id>", endpoint="check_form")
def check_form(event_id: int | None = None):
    """Return the conflict panel for the event form's current values (htmx)."""
    event, form = event_form(event_id, current_user)
    conflicts = None
    if form.validate_on_submit():
        status = event.status.value if event is not None else Status.DRAFT.value
        conflicts = live.live_conflicts(form.to_input(status), event, current_user)
    return render_template(
        "conflicts/_panel.html", conflicts=conflicts, own_id=event.id if event else None
    )
