"""Co-hosting requests: a department asks to join another department's event.

Sits above events and invitations (accepting may cancel the requester's duplicate and carry its
guests over); the API (app/api/cohosting.py) and the event page (a page hook) use it.
"""

from flask import Flask


def register(app: Flask) -> None:
    """Add the request and answer pages and the co-hosting panel of the event page."""
    from app.cohosting.views import bp, page_context
    from app.events import hooks

    app.register_blueprint(bp)
    hooks.add(hooks.page_context, page_context)
    app.jinja_env.globals["cohost_ask_url"] = ask_url  # the duplicate conflict's button


def ask_url(other: dict) -> str | None:
    """Return the request form's URL for a duplicate's other event, if the viewer may ask.

    A template global, so that the conflict macros (imported without context) can use it.
    """
    from flask import url_for
    from flask_login import current_user

    from app.cohosting.operations import may_ask

    if not isinstance(other, dict) or other.get("masked") or not may_ask(current_user):
        return None
    own = current_user.department.code if current_user.department_id else None
    if not current_user.sees_everything and other.get("department_code") == own:
        return None
    return url_for("cohosting.ask", event_id=other["id"])
