"""The "Protokoll" page: the filtered audit log for administrators and the privacy role, as CSV."""

import csv
import io
import json
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, render_template, request
from flask_login import current_user
from sqlalchemy import select

from app.accounts.access import roles_required
from app.accounts.models import Role
from app.audit import labels
from app.audit.log import record_read
from app.audit.models import AuditEntry
from app.audit.personal import MASK, masked
from app.audit.queries import AuditFilter, filtered, page_of
from app.errors import ValidationError
from app.extensions import db
from app.input_guard import parse_id

bp = Blueprint("audit", __name__, url_prefix="/audit")
readers_only = roles_required(Role.ADMIN, Role.PRIVACY)
CSV_LIMIT = 100_000
CSV_HEADER = [
    "at",
    "actor",
    "action",
    "action_label",
    "object_type",
    "object_id",
    "changes",
]  # entries per download; narrow the filter for more


def reveals_personal(user) -> bool:
    """Return True if the user sees personal values in the log (the privacy role only)."""
    return getattr(user, "role", None) == Role.PRIVACY


def changes_for(entry: AuditEntry, user=None) -> dict:
    """Return the entry's changes as the user may see them."""
    return masked(entry.changes, reveal=reveals_personal(user or current_user))


@bp.app_template_global()
def audit_changes(entry: AuditEntry) -> list[tuple[str, object, object, bool]]:
    """Return (field, old, new, masked) rows of an entry for the current user."""
    rows = []
    for name, value in changes_for(entry).items():
        old, new = value if isinstance(value, list) and len(value) == 2 else (None, value)
        rows.append((name, old, new, MASK in (old, new)))
    return rows


bp.add_app_template_global(labels.action_label, "audit_action_label")
bp.add_app_template_global(labels.actor_label, "audit_actor_label")


def _seen_actions() -> list[str]:
    """Return the action codes present in the log (for the filter's choices)."""
    return list(db.session.scalars(select(AuditEntry.action).distinct()))


@bp.get("/")
@readers_only
def index():
    """Show the filtered log, newest first, 50 entries a page."""
    errors = {}
    try:
        flt = AuditFilter.from_args(request.args)
    except ValidationError as error:
        flt, errors = AuditFilter(), error.errors
    page = min(parse_id(request.args.get("page")) or 1, 100_000)
    result = page_of(filtered(flt, current_app.config["TIMEZONE"]), page)
    html = render_template(
        "audit/index.html",
        result=result,
        args=request.args,
        errors=errors,
        actions=labels.action_choices(_seen_actions()),
        reveal=reveals_personal(current_user),
    )
    return html, 422 if errors else 200


def _cell(value) -> object:
    """Keep a spreadsheet from running a cell as a formula."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def to_csv(entries: list[AuditEntry], tz: str, user) -> bytes:
    """Return the entries as CSV (UTF-8 with BOM, semicolons, as German spreadsheets expect)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    zone = ZoneInfo(tz)
    writer.writerow(CSV_HEADER)
    for e in entries:
        changes = json.dumps(changes_for(e, user), ensure_ascii=False, default=str)
        row = [e.at.astimezone(zone).isoformat(timespec="seconds"), labels.actor_label(e)]
        row += [e.action, labels.action_label(e.action), e.object_type, e.object_id, changes]
        writer.writerow([_cell(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode()


@bp.get("/export.csv")
@readers_only
def export():
    """Download the filtered log as CSV; the download itself is recorded."""
    try:
        flt = AuditFilter.from_args(request.args)
    except ValidationError:
        return index()  # the page names the faulty filter (422), never the whole log
    tz = current_app.config["TIMEZONE"]
    entries = list(db.session.scalars(filtered(flt, tz).limit(CSV_LIMIT)))
    body = to_csv(entries, tz, current_user)
    record_read("audit.exported", "audit", None, {"rows": len(entries)})
    return current_app.response_class(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="protokoll.csv"'},
    )
