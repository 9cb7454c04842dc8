"""The weekly brief page ``/brief``: comms and admin see all, subscribers what they may see."""

from datetime import UTC, datetime

from flask import Blueprint, render_template
from flask_login import current_user

from app.brief.content import SEVERITIES, build, grouped_by_day
from app.subscriptions.service import reads_brief

bp = Blueprint("brief", __name__, url_prefix="/brief")


def may_read(user) -> bool:
    """Return True for comms and admin, and for users who subscribed to the brief."""
    return bool(getattr(user, "sees_everything", False)) or reads_brief(user)


@bp.get("/")
def index():
    """Show the weekly brief, or how to subscribe to it for those who did not."""
    if not may_read(current_user):
        return render_template("brief/index.html", brief=None)
    brief = build(current_user, datetime.now(UTC))
    return render_template(
        "brief/index.html",
        brief=brief,
        new_days=grouped_by_day(brief.new),
        changed_days=grouped_by_day(brief.changed),
        severities=SEVERITIES,
    )
