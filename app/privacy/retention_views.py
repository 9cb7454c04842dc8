"""The "Aufbewahrung" page: the retention dry run for the privacy role and administrators."""

from datetime import UTC, datetime

from flask import Blueprint, current_app, render_template

from app.accounts.access import roles_required
from app.accounts.models import Role
from app.privacy.retention import run
from app.privacy.retention_classes import contacts_for_review

bp = Blueprint("retention", __name__, url_prefix="/privacy")
REVIEW_LIMIT = 200


@bp.get("/retention")
@roles_required(Role.PRIVACY, Role.ADMIN)
def report():
    """Show per data class its period and what the next purge would delete (read-only)."""
    config = current_app.config
    now = datetime.now(UTC)
    review = config["RETENTION_CONTACTS_MODE"] == "review"
    result = run(now=now, config=config, dry_run=True)  # counts only, then rolls back
    contacts = contacts_for_review(now, config, REVIEW_LIMIT) if review else []
    return render_template(
        "privacy/retention.html",
        report=result,
        review=review,
        contacts=contacts,
        review_limit=REVIEW_LIMIT,
    )
