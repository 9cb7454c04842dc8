"""Development-only pages for administrators: the mails caught by `flask mail catcher`."""

from flask import Blueprint, Response, abort, current_app, render_template
from flask_login import current_user

from app.accounts.access import public
from app.extensions import login
from app.mail.catcher import catcher_dir, list_caught, load_caught, raw_bytes

bp = Blueprint("mail", __name__, url_prefix="/dev/mail")

# The mail's HTML is untrusted: no scripts, no requests, no forms, only its own inline styles.
HTML_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; "
    "form-action 'none'; base-uri 'none'; frame-ancestors 'self'; sandbox"
)


@bp.before_request
def development_admins_only():
    """Answer 404 outside development and admit only administrators: mails carry RSVP links."""
    # The views are marked public so that this 404 comes before the login wall's redirect,
    # which would tell that the pages exist.
    if current_app.config.get("ENV_NAME") != "development":
        abort(404)
    if not current_user.is_authenticated:
        return login.unauthorized()
    if not current_user.is_admin:
        abort(403)
    return None


@bp.get("/")
@public
def index():
    """List the caught mails, newest first."""
    directory = catcher_dir(current_app)
    return render_template("mail/index.html", mails=list_caught(directory), directory=directory)


@bp.get("/<name>")
@public
def show(name: str):
    """Show one caught mail: headers, text, HTML and calendar parts."""
    mail = load_caught(catcher_dir(current_app), name) or abort(404)
    return render_template("mail/show.html", mail=mail)


@bp.get("/<name>/html")
@public
def html(name: str):
    """Serve a mail's HTML body for the sandboxed frame on the detail page."""
    mail = load_caught(catcher_dir(current_app), name) or abort(404)
    body = mail.body("html")
    if body is None:
        abort(404)
    response = Response(body, mimetype="text/html")
    response.headers["Content-Security-Policy"] = HTML_CSP
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


@bp.get("/<name>/invite.ics")
@public
def calendar(name: str):
    """Download a mail's iCalendar part."""
    mail = load_caught(catcher_dir(current_app), name) or abort(404)
    content = mail.calendar_bytes
    if content is None:
        abort(404)
    return _download(content, "text/calendar", "invite.ics")


@bp.get("/<name>/raw")
@public
def raw(name: str):
    """Download a mail exactly as it was received."""
    content = raw_bytes(catcher_dir(current_app), name)
    if content is None:
        abort(404)
    return _download(content, "message/rfc822", name)


def _download(content: bytes, mimetype: str, filename: str) -> Response:
    """Return content as a file download."""
    response = Response(content, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
