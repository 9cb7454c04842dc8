"""ICS subscription feeds (METHOD:PUBLISH, no ATTENDEE) with conditional requests."""

import hmac
from datetime import UTC, date, datetime, timedelta

from flask import Blueprint, abort, current_app, request
from sqlalchemy import not_, select

from app.accounts.access import public
from app.accounts.models import User
from app.departments.models import Department
from app.events import policy
from app.events.models import Event, Visibility
from app.events.queries import CalendarFilter, apply_filter
from app.events.walltime import day_bounds
from app.extensions import db
from app.feeds.conditional import conditional
from app.feeds.rendering import confidential_ids, feed_body, store_fragments
from app.input_guard import MAX_YEAR, MIN_YEAR, parse_day, parse_id
from app.venues.models import Venue
from app.vocabularies.models import Audience, District

bp = Blueprint("feeds", __name__)


class BadRange(Exception):
    """A ``from`` or ``to`` parameter that is not a date, or a range that ends before it starts."""


def _date_arg(name: str) -> date | None:
    """Return the date given as ?name=YYYY-MM-DD, None when absent; BadRange when malformed."""
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    day = parse_day(raw)
    if day is None:
        raise BadRange(
            f"{name}: expected a date as YYYY-MM-DD between {MIN_YEAR} and {MAX_YEAR}, "
            f"got {raw[:40]!r}."
        )
    return day


def _window():
    """Return the base query: events that ended at most FEED_PAST_DAYS ago, or in ?from=&to=.

    ``from`` and ``to`` are local days of the city (both inclusive), so a client can fetch one
    month; without them the feed spans FEED_PAST_DAYS back and everything ahead.
    """
    first, last = _date_arg("from"), _date_arg("to")
    if first and last and last < first:
        raise BadRange("to: the last day lies before the first day (from).")
    tz = current_app.config["TIMEZONE"]
    if first is None:
        days = current_app.config.get("FEED_PAST_DAYS", 365)
        query = select(Event).where(Event.ends_at > datetime.now(UTC) - timedelta(days=days))
    else:
        query = select(Event).where(Event.ends_at > day_bounds(first, tz)[0])
    if last is not None:
        query = query.where(Event.starts_at < day_bounds(last, tz)[1])
    return query


@bp.errorhandler(BadRange)
def _bad_range(error: BadRange):
    """Answer a malformed date range with 422 and a message naming the parameter."""
    return current_app.response_class(str(error), status=422, mimetype="text/plain")


def _respond(name: str, query, *, scope: str, masked_ids_fn=None):
    """Answer 304 when the client's copy is current, else the rendered feed."""

    def render(master: int):
        """Render the feed (serialisations kept for later requests)."""
        masked = masked_ids_fn() if masked_ids_fn else None
        body, fresh = feed_body(
            db.session,
            query,
            name=name,
            masked_ids=masked,
            master=master,
            base_url=current_app.config["BASE_URL"],
            sender=current_app.config["MAIL_DEFAULT_SENDER"],
        )
        if fresh:  # a cache write on GET: keep the serialisations for every later request
            store_fragments(db.session, fresh)
            db.session.commit()  # explicit: the request transaction commits no GET (app/web.py)
        response = current_app.response_class(body, mimetype="text/calendar")
        response.headers["Content-Disposition"] = 'inline; filename="calendar.ics"'
        return response

    visibility = "public" if scope == "public" else "private"
    return conditional(scope, render, cache_control=f"{visibility}, max-age=300")


def _public(query, name: str):
    """Serve a public feed: published (or cancelled after publishing) public events."""
    query = query.where(policy.public_clause())
    return _respond(name, query, scope="public")


@bp.get("/calendar.ics")
@public
def city():
    """Serve the public city calendar."""
    return _public(_window(), "Stadtkalender")


@bp.get("/calendar/departments/<code>.ics")
@public
def department(code: str):
    """Serve the public events a department owns or co-hosts."""
    dept = db.session.scalar(select(Department).filter_by(code=code)) or abort(404)
    return _public(_window().where(policy.hosted_by(dept.id)), dept.name)


@bp.get("/calendar/venues/<int:venue_id>.ics")
@public
def venue(venue_id: int):
    """Serve the public events at a venue."""
    place = db.get_or_404(Venue, venue_id)
    return _public(_window().where(Event.venue_id == place.id), place.name)


@bp.get("/calendar/districts/<code>.ics")
@public
def district(code: str):
    """Serve the public events at the venues of a Stadtbezirk."""
    area = db.session.scalar(select(District).filter_by(code=code)) or abort(404)
    venues = select(Venue.id).where(Venue.district_id == area.id)
    return _public(_window().where(Event.venue_id.in_(venues)), area.name)


@bp.get("/calendar/audiences/<code>.ics")
@public
def audience(code: str):
    """Serve the public events for an audience."""
    term = db.session.scalar(select(Audience).filter_by(code=code)) or abort(404)
    query = apply_filter(_window(), CalendarFilter(audience=term.code))
    return _public(query, term.name)


def _user_for_token(token: str) -> User:
    """Return the user whose private feed token this is, or 404."""
    user_id, _sep, _mac = token.partition("-")
    user_key = parse_id(user_id)
    user = db.session.get(User, user_key) if user_key else None
    if user is None or not user.active:
        abort(404)
    expected = user.feed_token(current_app.config["SECRET_KEY"])
    if not hmac.compare_digest(expected.encode(), token.encode()):
        abort(404)
    return user


@bp.get("/calendar/private/<token>.ics")
@public
def private(token: str):
    """Serve everything the token's user may see, confidential events masked for outsiders."""
    user = _user_for_token(token)
    query = apply_filter(
        _window().where(policy.visible_clause(user)),
        CalendarFilter.from_args(request.args, user),
        user,  # filters and search find a masked event only by what the user may read
    )

    def masked_ids() -> set[int]:
        """Return the confidential events this user sees only as reserved."""
        if user.sees_everything:
            return set()
        hidden = query.where(Event.visibility == Visibility.CONFIDENTIAL)
        if user.department_id:
            hidden = hidden.where(not_(policy.hosted_by(user.department_id)))
        return confidential_ids(db.session, hidden)

    scope = f"u{user.id}:{user.feed_nonce}:{user.role}:{user.department_id}"
    return _respond(f"Stadtkalender – {user.name}", query, scope=scope, masked_ids_fn=masked_ids)
