"""The portal for machines and other sites: sitemap.xml, the Atom feed and the widget."""

from datetime import UTC, datetime, timedelta

from flask import current_app, make_response, render_template, request
from flask import url_for as flask_url_for
from flask_babel import get_locale
from sqlalchemy import select
from sqlalchemy.orm import lazyload

from app.accounts.access import public
from app.departments.models import Department
from app.events import operations, policy
from app.events.models import Event
from app.extensions import db
from app.feeds.conditional import conditional
from app.input_guard import parse_id
from app.portal import jsonld, queries
from app.portal.views import PUBLIC_CACHE, bp, canonical_url, shared_cache, today
from app.venues.models import Venue
from app.vocabularies.models import District

SITEMAP_MAX = 50000  # URLs in one sitemap file (sitemaps.org)
ATOM_ENTRIES = 50
WIDGET_MAX = 20


def _xml(template: str, mimetype: str, context):
    """Return a conditional, publicly cacheable XML answer; ``context()`` runs only to render."""

    def render(_master: int):
        """Render the document."""
        response = make_response(render_template(template, **context()))
        response.mimetype = mimetype
        return response

    cache = shared_cache()
    return conditional(
        f"portal-xml|{get_locale()}",
        render,
        cache_control=PUBLIC_CACHE,
        cache=cache,
        current=cache.current if cache else None,
    )


@bp.get("/sitemap.xml")
@public
def sitemap():
    """List the portal's pages: start page, public events of the last year and ahead, registers."""
    base = current_app.config["BASE_URL"]

    def urls():
        """Yield (absolute URL, last modification) of every page worth indexing."""
        yield base + flask_url_for("portal.index"), None
        since = datetime.now(UTC) - timedelta(days=365)
        rows = db.session.execute(
            select(Event.id, Event.title, Event.updated_at)
            .where(policy.public_clause(), Event.ends_at > since)
            .order_by(Event.starts_at, Event.id)
            .limit(SITEMAP_MAX - 1000)
        )
        for event_id, title, updated in rows:
            path = flask_url_for("portal.event", event_id=event_id, slug=jsonld.slug(title))
            yield base + path, updated
        for code in db.session.scalars(select(Department.code).filter_by(active=True)):
            yield base + flask_url_for("portal.department", code=code), None
        for venue_id in db.session.scalars(select(Venue.id).filter_by(active=True)):
            yield base + flask_url_for("portal.venue", venue_id=venue_id), None
        for code in db.session.scalars(select(District.code).filter_by(active=True)):
            yield base + flask_url_for("portal.district", code=code), None

    return _xml("portal/sitemap.xml", "application/xml", lambda: {"urls": urls})


@bp.get("/veranstaltungen/atom.xml")
@public
def atom():
    """Serve an Atom feed of the public events published or changed most recently."""

    def entries():
        """Return (event, URL, description of its time) for the newest changes."""
        rows = db.session.scalars(
            select(Event)
            .options(lazyload(Event.audiences), lazyload(Event.co_hosts))
            .where(policy.public_clause())
            .order_by(Event.updated_at.desc(), Event.id.desc())
            .limit(ATOM_ENTRIES)
        ).unique()
        return [(e, canonical_url(e), operations.describe_when(e)) for e in rows]

    def context() -> dict:
        """Return the entries and the feed's own update time."""
        items = entries()
        updated = max((e.updated_at for e, _u, _w in items), default=datetime.now(UTC))
        return {"items": items, "updated": updated, "base": current_app.config["BASE_URL"]}

    return _xml("portal/atom.xml", "application/atom+xml", context)


def _widget_filter() -> queries.PortalFilter:
    """Read the widget's parameters: department (code), venue (id), audience, district."""
    flt = queries.PortalFilter()
    code = (request.args.get("department") or "").strip()
    if code:
        found = db.session.scalar(select(Department.id).filter_by(code=code))
        flt.department_id = found or -1  # an unknown department shows nothing
    flt.venue_id = parse_id(request.args.get("venue"))
    flt.audience = request.args.get("audience") or None
    flt.district = request.args.get("district") or None
    return flt


@bp.get("/widget")
@public
def widget():
    """Serve the embeddable list of upcoming public events (no cookies, framable)."""
    limit = min(parse_id(request.args.get("limit")) or 5, WIDGET_MAX)
    flt = _widget_filter()

    def render(_master: int):
        """Render the list."""
        query = queries.public_events(
            flt, today(), current_app.config["TIMEZONE"], db.engine.dialect.name
        )
        events = queries.upcoming_for(db.session, query, limit)
        return make_response(
            render_template(
                "portal/widget.html",
                events=[(e, canonical_url(e), operations.describe_when(e)) for e in events],
                more=current_app.config["BASE_URL"] + flask_url_for("portal.index"),
            )
        )

    cache = shared_cache()
    response = conditional(
        f"portal-widget|{get_locale()}|{today()}",
        render,
        cache_control=PUBLIC_CACHE,
        cache=cache,
        current=cache.current if cache else None,
    )
    ancestors = current_app.config.get("WIDGET_FRAME_ANCESTORS", "*")
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'self'; img-src 'self'; script-src 'self'; base-uri 'none'; "
        f"form-action 'none'; frame-ancestors {ancestors}"
    )
    response.headers["Cross-Origin-Opener-Policy"] = "unsafe-none"
    return response
