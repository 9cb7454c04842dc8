"""Blocked ranges and school holidays: kept and imported by the communications team."""

from datetime import UTC, date, datetime, timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from app.accounts.access import comms_required
from app.accounts.forms import ConfirmForm
from app.conflicts import holiday_imports, imports
from app.conflicts.admin_forms import BlockedImportForm, BlockedRangeForm, HolidayImportForm
from app.conflicts.models import BlockedRange, SchoolHoliday, Severity
from app.dates import format_day
from app.errors import ValidationError
from app.events.walltime import utc_to_local
from app.extensions import db
from app.form_errors import apply_errors

bp = Blueprint("conflict_admin", __name__, url_prefix="/conflicts")
LIST_LIMIT = 1000


def _tz() -> str:
    """Return the city's time zone."""
    return current_app.config["TIMEZONE"]


def _now() -> datetime:
    """Return the current instant."""
    return datetime.now(UTC)


def describe(row: BlockedRange) -> str:
    """Describe when a range is, in the city's time: days when all-day, else dates and times."""
    if row.all_day:
        first = format_day(row.starts_at, "short_date")
        last = format_day(row.ends_at - timedelta(seconds=1), "short_date")
        return first if first == last else f"{first} – {last}"
    start, end = row.starts_at, row.ends_at
    same_day = utc_to_local(start, _tz()).date() == utc_to_local(end, _tz()).date()
    until = format_day(end, "time" if same_day else "short_date_time")
    return f"{format_day(start, 'short_date_time')} – {until}"


@bp.get("/blocked")
@comms_required
def blocked():
    """List blocked ranges, upcoming first; past ones only on request."""
    show_past, now = request.args.get("past") == "1", _now()
    upcoming = db.session.scalars(
        select(BlockedRange)
        .where(BlockedRange.ends_at > now)
        .order_by(BlockedRange.starts_at)
        .limit(LIST_LIMIT)
    ).all()
    is_past = BlockedRange.ends_at <= now
    past = None
    if show_past:
        query = select(BlockedRange).where(is_past).order_by(BlockedRange.starts_at.desc())
        past = db.session.scalars(query.limit(LIST_LIMIT)).all()
    return render_template(
        "conflicts/admin/blocked.html",
        upcoming=upcoming,
        past=past,
        past_count=db.session.scalar(select(func.count()).where(is_past)),
        describe=describe,
    )


@bp.route("/blocked/new", methods=["GET", "POST"], endpoint="blocked_new")
@bp.route("/blocked/<int:range_id>/edit", methods=["GET", "POST"], endpoint="blocked_edit")
@comms_required
def blocked_edit(range_id: int | None = None):
    """Create or edit a blocked range."""
    row = db.get_or_404(BlockedRange, range_id) if range_id else None
    form = BlockedRangeForm()
    form.load_choices()
    if request.method == "GET" and row is not None:
        form.fill_from(row, _tz())
    if form.validate_on_submit():
        try:
            starts_at, ends_at = form.bounds(_tz())
        except ValidationError as error:
            apply_errors(form, error)
        else:
            if row is None:
                row = BlockedRange(created_at=_now(), created_by_id=current_user.id)
                db.session.add(row)
            form.save_to(row, starts_at, ends_at)
            flash(_("The blocked range was saved."), "success")
            return redirect(url_for("conflict_admin.blocked"))
    page = render_template("conflicts/admin/blocked_form.html", form=form, row=row)
    return page, 422 if form.errors else 200


def _confirm_delete(row, *, title: str, detail: str, message: str, back: str):
    """Show a confirmation page; delete the row on a confirmed POST and go back."""
    form = ConfirmForm()
    if form.validate_on_submit():
        db.session.delete(row)
        flash(message, "success")
        return redirect(back)
    if request.method == "POST":
        abort(400)
    return render_template(
        "conflicts/admin/confirm_delete.html", form=form, title=title, detail=detail, back=back
    )


@bp.route("/blocked/<int:range_id>/delete", methods=["GET", "POST"])
@comms_required
def blocked_delete(range_id: int):
    """Ask for confirmation, then delete a blocked range."""
    row = db.get_or_404(BlockedRange, range_id)
    return _confirm_delete(
        row,
        title=row.title,
        detail=describe(row),
        message=_("The blocked range was deleted."),
        back=url_for("conflict_admin.blocked"),
    )


def _import_blocked(form: BlockedImportForm) -> imports.ImportResult:
    """Read the upload or fetch the address and import it with the chosen district and severity."""
    url = (form.url.data or "").strip()
    if form.file.data is None and not url:
        raise ValidationError.single("file", _("Choose a file or enter an address."))
    if form.file.data is not None and url:
        raise ValidationError.single("url", _("Choose either a file or an address, not both."))
    if url:
        data, source = imports.fetch_ics(url), url
    else:
        data = form.file.data.read(imports.MAX_BYTES + 1)
        source = form.file.data.filename or "upload.ics"
    return imports.import_blocked_ics(
        data,
        source=source,
        district=form.district(),
        severity=Severity(form.severity.data),
        actor=current_user,
        now=_now(),
        tz=_tz(),
    )


@bp.route("/blocked/import", methods=["GET", "POST"])
@comms_required
def blocked_import():
    """Import blocked ranges from an .ics file or address and show what happened."""
    form = BlockedImportForm()
    form.load_choices()
    result = None
    if form.validate_on_submit():
        try:
            result = _import_blocked(form)
        except ValidationError as error:
            apply_errors(form, error, {"file": "url"} if (form.url.data or "").strip() else None)
    page = render_template("conflicts/admin/blocked_import.html", form=form, result=result)
    return page, 422 if form.errors else 200


@bp.get("/school-holidays")
@comms_required
def holidays():
    """List school holidays from this year on; earlier ones only on request."""
    show_past = request.args.get("past") == "1"
    query = select(SchoolHoliday).order_by(SchoolHoliday.first_day, SchoolHoliday.region)
    if not show_past:
        query = query.where(SchoolHoliday.last_day >= date(_now().year, 1, 1))
    rows = db.session.scalars(query.limit(LIST_LIMIT)).all()
    return render_template("conflicts/admin/holidays.html", holidays=rows, show_past=show_past)


@bp.route("/school-holidays/import", methods=["GET", "POST"])
@comms_required
def holidays_import():
    """Import school holidays; a file with any wrong row changes nothing."""
    form = HolidayImportForm()
    if form.validate_on_submit():
        data = form.file.data.read(imports.MAX_BYTES + 1)
        try:
            result = holiday_imports.import_school_holidays(data, region=form.region.data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            message = _(
                "Import finished: %(created)d new, %(updated)d changed, %(unchanged)d unchanged.",
                created=result.created,
                updated=result.updated,
                unchanged=result.unchanged,
            )
            flash(message, "success")
            return redirect(url_for("conflict_admin.holidays"))
    page = render_template("conflicts/admin/holidays_import.html", form=form)
    return page, 422 if form.errors else 200


@bp.route("/school-holidays/<int:holiday_id>/delete", methods=["GET", "POST"])
@comms_required
def holiday_delete(holiday_id: int):
    """Ask for confirmation, then delete a school holiday."""
    row = db.get_or_404(SchoolHoliday, holiday_id)
    return _confirm_delete(
        row,
        title=f"{row.name} ({row.region})",
        detail=" – ".join(format_day(d, "short_date") for d in (row.first_day, row.last_day)),
        message=_("The school holiday was deleted."),
        back=url_for("conflict_admin.holidays"),
    )
