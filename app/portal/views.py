"""Portal pages for citizens: start page with search, event, department, venue and district pages.

Anonymous visitors get cacheable answers (``Cache-Control: public, max-age=60``, an ETag from the
calendar's change counter, 304 without rendering) and never a cookie: the language travels in the
URL (``?lang=en``) instead of the session, and no page of the portal has a form that needs a CSRF
token. Logged-in staff see the same pages, privately cached.
"""

from collections import defaultdict
from datetime import UTC, datetime
from html import escape
from urllib.parse import urlencode

from flask import Blueprint, abort, current_app, make_response, redirect, render_template, request
from flask import url_for as flask_url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.accounts.access import public
from app.departments.models import Department, find_department
from app.events import operations, policy
from app.events.models import Event
from app.events.walltime import utc_to_local
from app.extensions import db
from app.feeds.conditional import conditional
from app.portal import jsonld, pagecache, queries
from app.venues.models import Venue
from app.vocabularies.models import Audience, Category, District

bp = Blueprint("portal", __name__)

PUBLIC_CACHE = "public, max-age=60"
LANGS = ("de", "en")


def url_for(endpoint: str, **values) -> str:
    """Return a URL that keeps the visitor's ?lang= (the portal has no session to keep it)."""
    lang = request.args.get("lang")
    if lang in LANGS and "lang" not in values:
        values["lang"] = lang
    return flask_url_for(endpoint, **values)


@bp.app_template_global("portal_url")
def portal_url(endpoint: str, **values) -> str:
    """Template helper: url_for that keeps ?lang=."""
    return url_for(endpoint, **values)


@bp.app_template_global("portal_query")
def portal_query(**changes) -> str:
    """Return the current query string with some parameters replaced (?lang= stays)."""
    args = request.args.to_dict(flat=False)
    for key, value in changes.items():
        args[key] = [str(value)]
    return urlencode(args, doseq=True)


@bp.context_processor
def _portal_globals() -> dict:
    """Give the portal's templates the accessibility labels and the slug function."""
    return {
        "access_flags": queries.ACCESS_FLAGS,
        "access_labels": {
            "step_free": _("step-free access"),
            "accessible_toilet": _("accessible toilet"),
            "induction_loop": _("induction loop"),
            "sign_language_on_request": _("sign language on request"),
        },
        "slug": jsonld.slug,
    }


def today():
    """Return today's local date in the city's time zone."""
    return utc_to_local(datetime.now(UTC), current_app.config["TIMEZONE"]).date()


def cached(render) -> "object":
    """Answer a portal page: shared-cacheable and conditional for anonymous visitors.

    ``render()`` returns the page (text or a response); it is not called for a 304.
    """
    if current_user.is_authenticated:
        response = make_response(render())
        response.headers["Cache-Control"] = "private, no-cache"
        return response
    # The local day too: the lists start today, and the city's midnight is not UTC's.
    scope = f"portal|{get_locale()}|{today()}"
    cache = shared_cache()
    response = conditional(
        scope,
        lambda _master: make_response(render()),
        cache_control=PUBLIC_CACHE,
        cache=cache,
        current=cache.current if cache else None,
    )
    response.vary.add("Cookie")
    return response


def shared_cache() -> pagecache.PageCache | None:
    """Return the page cache for this anonymous request, or None when it carries a session.

    A session may hold flashed messages meant for this visitor only: such a page is neither
    taken from nor kept in the cache.
    """
    if current_app.config["SESSION_COOKIE_NAME"] in request.cookies:
        return None
    return pagecache.for_app()


def _dialect() -> str:
    """Return the database dialect's name (the search differs per database)."""
    return db.engine.dialect.name


def _by_day(events: list[Event]) -> dict:
    """Group events by their local first day, in order."""
    days: dict = defaultdict(list)
    for event in events:
        days[event.start_local.date()].append(event)
    return days


def _choices() -> dict:
    """Return the vocabularies the filter form offers (active terms only)."""
    return {
        name: db.session.scalars(select(model).filter_by(active=True).order_by(model.name)).all()
        for name, model in (
            ("districts", District),
            ("categories", Category),
            ("audiences", Audience),
        )
    }


def _listing(template: str, flt: queries.PortalFilter, **context) -> str:
    """Render a page of public events for a filter."""
    query = queries.public_events(flt, today(), current_app.config["TIMEZONE"], _dialect())
    page = queries.paginate(db.session, query, flt.page)
    return render_template(
        template,
        flt=flt,
        page=page,
        days=_by_day(page.events),
        today=today(),
        quick=queries.quick_ranges(today()),
        **context,
    )


@bp.get("/veranstaltungen")
@public
def index():
    """Show the start page: shortcuts, search, filters and one page of upcoming public events."""
    flt = queries.PortalFilter.from_args(request.args)
    return cached(lambda: _listing("portal/index.html", flt, **_choices()))


def canonical_url(event: Event) -> str:
    """Return the canonical absolute URL of an event's portal page."""
    path = flask_url_for("portal.event", event_id=event.id, slug=jsonld.slug(event.title))
    return current_app.config["BASE_URL"] + path


@bp.get("/veranstaltungen/<int:event_id>")
@bp.get("/veranstaltungen/<int:event_id>-<slug>")
@public
def event(event_id: int, slug: str | None = None):
    """Show one public event; a missing or wrong slug redirects to the canonical address."""

    def render():
        """Load the event (404 unless public) and render its page."""
        item = db.session.scalar(select(Event).where(Event.id == event_id, policy.public_clause()))
        if item is None:
            abort(404)
        wanted = jsonld.slug(item.title)
        if slug != wanted:
            return redirect(url_for("portal.event", event_id=item.id, slug=wanted), 301)
        url = canonical_url(item)
        before = jsonld.previous_start(db.session, item)
        return render_template(
            "portal/event.html",
            event=item,
            when=operations.describe_when(item),
            before=before,
            url=url,
            structured=jsonld.script_json(jsonld.event_data(item, url=url, before=before)),
            google=jsonld.google_link(item, url=url),
            outlook=jsonld.outlook_link(item, url=url),
            osm=jsonld.osm_link(item.venue.address) if item.venue and item.venue.address else "",
        )

    return cached(render)


@bp.get("/veranstaltungen/aemter/<code>")
@public
def department(code: str):
    """Show the public events a department owns or co-hosts, with its feed."""
    found = find_department(code)
    if found is None or not found.active:
        abort(404)
    flt = queries.PortalFilter.from_args(request.args)
    flt.department_id = found.id
    feed = flask_url_for("feeds.department", code=found.code)
    return cached(
        lambda: _listing(
            "portal/listing.html",
            flt,
            heading=found.name,
            owner=found,
            feed=feed,
            snippet=widget_snippet(found),
        )
    )


def widget_snippet(owner: Department) -> str:
    """Return the HTML a department pastes into its site to show its next events (no script)."""
    src = current_app.config["BASE_URL"] + flask_url_for(
        "portal.widget", department=owner.code, limit=5
    )
    title = _("Events of %(name)s", name=owner.name)
    return (
        f'<iframe src="{escape(src)}" title="{escape(title)}" width="100%" height="400" '
        'loading="lazy" style="border:0"></iframe>'
    )


@bp.get("/veranstaltungen/orte/<int:venue_id>")
@public
def venue(venue_id: int):
    """Show the public events at a venue, its address and accessibility, with its feed."""
    place = db.session.get(Venue, venue_id)
    if place is None or not place.active:
        abort(404)
    flt = queries.PortalFilter.from_args(request.args)
    flt.venue_id = place.id
    feed = flask_url_for("feeds.venue", venue_id=place.id)
    return cached(
        lambda: _listing("portal/listing.html", flt, heading=place.name, place=place, feed=feed)
    )


@bp.get("/veranstaltungen/bezirke/<code>")
@public
def district(code: str):
    """Show the public events in a Stadtbezirk, with its feed."""
    area = db.session.scalar(select(District).filter_by(code=code, active=True))
    if area is None:
        abort(404)
    flt = queries.PortalFilter.from_args(request.args)
    flt.district = area.code
    feed = flask_url_for("feeds.district", code=area.code)
    return cached(
        lambda: _listing(
            "portal/listing.html", flt, heading=area.label(str(get_locale())), feed=feed
        )
    )


@bp.get("/veranstaltungen/aemter")
@public
def departments():
    """List the departments with public events ahead, linking their pages."""

    def render():
        """Render the list."""
        rows = db.session.scalars(
            select(Department).filter_by(active=True).order_by(Department.name)
        ).all()
        return render_template("portal/departments.html", departments=rows)

    return cached(render)
