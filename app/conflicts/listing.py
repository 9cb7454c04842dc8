"""Every conflict in a date range, for the communications team's view and the API.

Set-based: one query per kind over the window (range indexes on PostgreSQL), then grouping of
the hits. Conflicts are computed, never stored; reviews attach to them by key and go stale when
an involved event moved (its SEQUENCE rose) or another joined.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Integer, and_, func, or_, select
from sqlalchemy.orm import aliased

from app.conflicts import engine, facts
from app.conflicts.engine import Conflict, Describer, day_overlap, time_overlap
from app.conflicts.facts import EventFacts
from app.conflicts.models import BlockedRange, ConflictReview, ReviewStatus, SchoolHoliday, Severity
from app.contacts.models import Contact
from app.events import policy
from app.events.models import Event, Status, event_audiences
from app.events.walltime import range_bounds, utc_to_local
from app.extensions import db
from app.input_guard import parse_day
from app.invitations.models import Answer, Invitation
from app.venues.models import Venue
from app.vocabularies.models import Audience

_CHUNK = 500


@dataclass
class Listed:
    """A conflict in the list with its review state."""

    conflict: Conflict
    review: ConflictReview | None
    events: list[EventFacts]

    @property
    def state(self) -> str:
        """Return "open", "acknowledged" or "resolved" (a stale review counts as open)."""
        if self.review is None or self.stale:
            return "open"
        return self.review.status.value

    @property
    def stale(self) -> bool:
        """Return True when the conflict changed since it was reviewed."""
        return self.review is not None and self.review.fingerprint != self.conflict.fingerprint


def _in_window(first: date, last: date):
    return and_(
        day_overlap(Event.first_day, Event.last_day, first, last),
        Event.status != Status.CANCELLED,
    )


def _window_events(first: date, last: date) -> dict[int, EventFacts]:
    return facts.load_where(_in_window(first, last))


def _venue_pairs(first: date, last: date) -> set[tuple[int, int]]:
    mine, theirs = aliased(Event), aliased(Event)
    stmt = (
        select(mine.id, theirs.id)
        .join(
            theirs,
            and_(
                theirs.venue_id == mine.venue_id,
                theirs.id != mine.id,
                time_overlap(
                    theirs.occupied_from,
                    theirs.occupied_until,
                    mine.occupied_from,
                    mine.occupied_until,
                ),
            ),
        )
        .where(
            day_overlap(mine.first_day, mine.last_day, first, last),
            mine.venue_id.is_not(None),
            mine.status != Status.CANCELLED,
            theirs.status != Status.CANCELLED,
        )
    )
    return {tuple(sorted(row)) for row in db.session.execute(stmt)}


def _person_pairs(first: date, last: date) -> dict[tuple[int, int], dict[int, set[int]]]:
    """Return {(event a, event b): {contact id: ids of the events the guest accepted}}."""
    e1, e2 = aliased(Event), aliased(Event)
    i1, i2 = aliased(Invitation), aliased(Invitation)
    stmt = (
        select(
            e1.id,
            e2.id,
            i1.contact_id,
            (i1.status == Answer.ACCEPTED).cast(Integer),
            (i2.status == Answer.ACCEPTED).cast(Integer),
        )
        .select_from(e1)
        .join(i1, i1.event_id == e1.id)
        .join(i2, and_(i2.contact_id == i1.contact_id, i2.event_id != i1.event_id))
        .join(e2, e2.id == i2.event_id)
        .where(
            day_overlap(e1.first_day, e1.last_day, first, last),
            e1.status != Status.CANCELLED,
            e2.status != Status.CANCELLED,
            i1.status != Answer.DECLINED,
            i2.status != Answer.DECLINED,
            i1.revoked.is_(False),
            i2.revoked.is_(False),
            e2.first_day <= e1.last_day,
            e2.last_day >= e1.first_day,
        )
    )
    pairs: dict[tuple[int, int], dict[int, set[int]]] = defaultdict(lambda: defaultdict(set))
    for a, b, contact_id, a_accepted, b_accepted in db.session.execute(stmt):
        accepted = pairs[tuple(sorted((a, b)))][contact_id]
        if a_accepted:
            accepted.add(a)
        if b_accepted:
            accepted.add(b)
    return pairs


def _blocked_hits(start, end, first: date, last: date) -> dict[int, set[int]]:
    stmt = (
        select(BlockedRange.id, Event.id)
        .select_from(BlockedRange)
        .join(
            Event,
            and_(Event.starts_at < BlockedRange.ends_at, Event.ends_at > BlockedRange.starts_at),
        )
        .outerjoin(Venue, Venue.id == Event.venue_id)
        .where(
            BlockedRange.starts_at < end,
            BlockedRange.ends_at > start,
            _in_window(first, last),
            or_(BlockedRange.district_id.is_(None), BlockedRange.district_id == Venue.district_id),
        )
    )
    hits: dict[int, set[int]] = defaultdict(set)
    for blocked_id, event_id in db.session.execute(stmt):
        hits[blocked_id].add(event_id)
    return hits


def _accepted_people(first: date, last: date) -> dict[int, int]:
    """Return accepted guests plus companions per event in the window (one grouped query)."""
    stmt = (
        select(Invitation.event_id, func.sum(1 + Invitation.plus_ones))
        .join(Event, Event.id == Invitation.event_id)
        .where(_in_window(first, last), Invitation.status == Answer.ACCEPTED)
        .group_by(Invitation.event_id)
    )
    return {event_id: int(n) for event_id, n in db.session.execute(stmt)}


def _venue_conflict(a: EventFacts, b: EventFacts, describe: Describer) -> Conflict:
    both_published = a.status == Status.PUBLISHED and b.status == Status.PUBLISHED
    severity = Severity.HARD if a.venue_exclusive and both_published else Severity.WARNING
    message = _(
        "%(venue)s is double-booked (setup and teardown included): %(first)s, %(first_when)s, "
        "and %(second)s, %(second_when)s.",
        venue=a.venue_name,
        first=describe.holder(a),
        first_when=engine.when(a.occupied_from, a.occupied_until),
        second=describe.holder(b),
        second_when=engine.when(b.occupied_from, b.occupied_until),
    )
    if a.venue_exclusive:
        message += " " + _("The venue is exclusive: only one event at a time.")
    return Conflict(
        kind="venue",
        severity=severity,
        message=message,
        event_ids=[a.id, b.id],
        key=engine.pair_key("venue", a.id, b.id),
        day=max(a.first_day, b.first_day),
        details={
            "venue_id": a.venue_id,
            "exclusive": a.venue_exclusive,
            "events": [describe.details(a), describe.details(b)],
        },
    )


def _person_conflict(a, b, guests, vips, overlap, day, describe: Describer) -> Conflict:
    n = len(guests)
    accepted_both = sum(1 for ids in guests.values() if len(ids) == 2)
    severity = Severity.WARNING if overlap == "time" or vips else Severity.INFO
    basis = f"{overlap}|{sorted(guests)}|{accepted_both}|{len(vips)}"
    events = [describe.details(a), describe.details(b)]
    if overlap == "time":
        message = _(
            "%(n)d guest(s) are invited to both “%(first)s” and “%(second)s”, which overlap.",
            n=n,
            first=describe.title(a),
            second=describe.title(b),
        )
    else:
        message = _(
            "%(n)d guest(s) are invited to both “%(first)s” and “%(second)s” on the same evening.",
            n=n,
            first=describe.title(a),
            second=describe.title(b),
        )
    if accepted_both:
        message += " " + _("%(n)d accepted both.", n=accepted_both)
    if vips:
        message += " " + _("VIP: %(names)s.", names=", ".join(vips))
    details = {
        "overlap": overlap,
        "guests": n,
        "events": events,
        "contact_ids": sorted(guests),
        "accepted_both": accepted_both,
        "vip": bool(vips),
    }
    key = engine.pair_key("person", a.id, b.id)
    return Conflict("person", severity, message, [a.id, b.id], key, day, details, basis=basis)


def _shows_guests(viewer, a: EventFacts, b: EventFacts, describe: Describer) -> bool:
    """Return True if the viewer may see the guests a pair of events shares.

    Both guest lists must be open to the viewer in full (a hidden event gives no conflict, not
    even a count), and for staff one of the events must be their department's: the shared
    guests are then guests of their own event, never only of others' lists.
    """
    if describe.masked(a) or describe.masked(b):
        return False
    return engine.sees_all_guests(viewer) or policy.is_host(viewer, a) or policy.is_host(viewer, b)


def conflicts_between(
    viewer,
    first: date,
    last: date,
    *,
    kinds: set[str] | None = None,
    severities: set[str] | None = None,
    department_id: int | None = None,
) -> list[Listed]:
    """Return the conflicts of events between two local days (inclusive), with reviews."""
    tz = current_app.config["TIMEZONE"]
    start, end = range_bounds(first, last + timedelta(days=1), tz)
    window = _window_events(first, last)
    wanted = set(kinds or engine.KINDS)
    venue_pairs = _venue_pairs(first, last) if "venue" in wanted else set()
    person_pairs = _person_pairs(first, last) if "person" in wanted else {}
    blocked_hits = _blocked_hits(start, end, first, last) if "blocked" in wanted else {}
    extra = {i for pair in [*venue_pairs, *person_pairs] for i in pair} - set(window)
    extra |= {i for ids in blocked_hits.values() for i in ids} - set(window)
    events = {**window, **facts.load(extra)}
    describe = Describer(viewer, events)
    conflicts: list[Conflict] = []

    for a_id, b_id in sorted(venue_pairs):
        conflicts.append(_venue_conflict(events[a_id], events[b_id], describe))

    person_pairs = {
        pair: guests
        for pair, guests in person_pairs.items()
        if _shows_guests(viewer, events[pair[0]], events[pair[1]], describe)
    }
    if person_pairs:
        contact_ids = {c for guests in person_pairs.values() for c in guests}
        vip_names = {}
        ids = sorted(contact_ids)
        for chunk_start in range(0, len(ids), _CHUNK):
            chunk = ids[chunk_start : chunk_start + _CHUNK]
            vip_names.update(
                {
                    c.id: c.full_name
                    for c in db.session.scalars(
                        select(Contact).where(Contact.id.in_(chunk), Contact.vip.is_(True))
                    )
                }
            )
        for (a_id, b_id), guests in sorted(person_pairs.items()):
            a, b = events[a_id], events[b_id]
            if a.starts_at < b.ends_at and b.starts_at < a.ends_at:
                overlap, day = "time", max(a.first_day, b.first_day)
            else:
                day = engine.same_evening(a.starts_at, a.ends_at, b.starts_at, b.ends_at, tz)
                if day is None:
                    continue
                overlap = "evening"
            vips = sorted(vip_names[c] for c in guests if c in vip_names)
            conflicts.append(_person_conflict(a, b, guests, vips, overlap, day, describe))

    if "audience" in wanted:
        conflicts += _audience(window, first, last, describe)
    if "holiday" in wanted:
        conflicts += _holidays(window, first, last)
    if "blocked" in wanted and blocked_hits:
        ranges = db.session.scalars(
            select(BlockedRange).where(BlockedRange.id.in_(list(blocked_hits)))
        )
        for blocked in ranges:
            ids = sorted(blocked_hits[blocked.id])
            day = max(first, utc_to_local(blocked.starts_at, tz).date())
            conflicts.append(engine.blocked_conflict(blocked, day, ids))
    if "capacity" in wanted:
        accepted = _accepted_people(first, last)
        for event in sorted(window.values(), key=lambda e: (e.starts_at, e.id)):
            conflicts += engine.capacity_conflicts(
                event.id,
                event.first_day,
                event.capacity,
                event.venue_name,
                event.venue_capacity,
                accepted.get(event.id, 0),
            )

    return _finish(conflicts, events, viewer, severities, department_id, first, last)


def _audience(window: dict[int, EventFacts], first: date, last: date, describe) -> list[Conflict]:
    severity, ignored = engine.audience_setting()
    if severity is None:
        return []
    links = db.session.execute(
        select(event_audiences.c.event_id, event_audiences.c.audience_id)
        .join(Event, Event.id == event_audiences.c.event_id)
        .where(_in_window(first, last), Event.status == Status.PUBLISHED)
    )
    by_audience = {a.id: a for a in db.session.scalars(select(Audience))}
    grouped: dict[tuple[date, str], list[EventFacts]] = defaultdict(list)
    audiences = {}
    for event_id, audience_id in links:
        event, audience = window.get(event_id), by_audience[audience_id]
        if event is None or audience.code in ignored:
            continue
        audiences[audience.code] = audience
        day = max(first, event.first_day)
        while day <= min(last, event.last_day):
            grouped[(day, audience.code)].append(event)
            day += timedelta(days=1)
    result = []
    for (day, code), events in sorted(grouped.items()):
        if len(events) < 2:
            continue
        events.sort(key=lambda e: (e.starts_at, e.id))
        conflict = engine.audience_conflict(audiences[code], day, events, describe, [], severity)
        # The list shows the events below the message.
        conflict.message = _(
            "%(n)d published events for the audience “%(audience)s” on one day.",
            n=len(events),
            audience=audiences[code].name,
        )
        result.append(conflict)
    return result


def _holidays(window: dict[int, EventFacts], first: date, last: date) -> list[Conflict]:
    result = []
    for day, name in sorted(engine.public_holidays(first, last).items()):
        ids = sorted(e.id for e in window.values() if e.first_day <= day <= e.last_day)
        if ids:
            result.append(engine.public_holiday_conflict(day, name, ids))
    school = db.session.scalars(
        select(SchoolHoliday).where(
            SchoolHoliday.region == engine.SCHOOL_REGION,
            SchoolHoliday.first_day <= last,
            SchoolHoliday.last_day >= first,
        )
    )
    for holiday in school:
        ids = sorted(
            e.id
            for e in window.values()
            if e.first_day <= holiday.last_day and e.last_day >= holiday.first_day
        )
        if ids:
            day = max(first, holiday.first_day)
            result.append(engine.school_holiday_conflict(holiday, day, ids))
    return result


def _finish(conflicts, events, viewer, severities, department_id, first, last) -> list[Listed]:
    own_department = None if getattr(viewer, "sees_everything", False) else viewer.department_id

    def involves(conflict: Conflict, department: int) -> bool:
        return any(department in events[i].host_department_ids for i in conflict.event_ids)

    kept = []
    for conflict in conflicts:
        if severities and conflict.severity.value not in severities:
            continue
        if department_id is not None and not involves(conflict, department_id):
            continue
        if own_department is not None and not involves(conflict, own_department):
            continue
        if not first <= conflict.day <= last:
            conflict.day = min(max(conflict.day, first), last)
        involved = [events[i] for i in conflict.event_ids]
        counted = [] if conflict.range_only else involved
        basis = f"{conflict.kind}|{conflict.severity.value}|{conflict.basis}"
        conflict.fingerprint = engine.fingerprint(counted, basis)
        kept.append((conflict, involved))
    reviews = reviews_for([c.key for c, _ in kept])
    listed = [Listed(c, reviews.get(c.key), involved) for c, involved in kept]
    return sorted(
        listed,
        key=lambda item: (
            item.conflict.day,
            engine.SEVERITY_RANK[item.conflict.severity],
            engine.KINDS.index(item.conflict.kind),
            item.conflict.key,
        ),
    )


def reviews_for(keys: list[str]) -> dict[str, ConflictReview]:
    """Return the reviews recorded for conflict keys."""
    found = {}
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start : start + _CHUNK]
        found.update(
            {
                r.key: r
                for r in db.session.scalars(
                    select(ConflictReview).where(ConflictReview.key.in_(chunk))
                )
            }
        )
    return found


def review(listed: Listed, status: ReviewStatus, note: str, *, actor, now) -> ConflictReview:
    """Acknowledge or resolve a conflict with a note; flushes, never commits."""
    record = listed.review or ConflictReview(key=listed.conflict.key)
    record.status = status
    record.note = note.strip()
    record.fingerprint = listed.conflict.fingerprint
    record.reviewed_at = now
    record.reviewed_by = actor
    db.session.add(record)
    db.session.flush()
    listed.review = record
    return record


DEFAULT_WEEKS = 8
MAX_DAYS = 366


class ListFilter:
    """The filters of the conflict view and API, read from query arguments with safe defaults;
    unusable dates are reported in ``errors`` (field -> message)."""

    STATES = ("unresolved", "open", "acknowledged", "resolved", "all")

    def __init__(self, args):
        today = utc_to_local(datetime.now(UTC), current_app.config["TIMEZONE"]).date()
        self.errors: dict[str, str] = {}
        self.first = parse_day(args.get("from")) or today
        self.last = parse_day(args.get("to")) or self.first + timedelta(
            weeks=DEFAULT_WEEKS
        ) - timedelta(days=1)
        if args.get("from") and parse_day(args.get("from")) is None:
            self.errors["from"] = _("Enter a date as YYYY-MM-DD between 1900 and 2199.")
        if args.get("to") and parse_day(args.get("to")) is None:
            self.errors["to"] = _("Enter a date as YYYY-MM-DD between 1900 and 2199.")
        if self.last < self.first:
            self.errors["to"] = _("The end must not be before the start.")
            self.last = self.first
        if (self.last - self.first).days >= MAX_DAYS:
            self.errors["to"] = _("At most %(n)d days at once.", n=MAX_DAYS)
            self.last = self.first + timedelta(days=MAX_DAYS - 1)
        self.kinds = {k for k in args.getlist("kind") if k in engine.KINDS}
        self.severities = {s for s in args.getlist("severity") if s in {v.value for v in Severity}}
        self.department = args.get("department") or ""
        state = args.get("state") or "unresolved"
        self.state = state if state in self.STATES else "unresolved"

    def keeps(self, item: Listed) -> bool:
        """Return True if the item's review state passes the state filter."""
        if self.state == "all":
            return True
        if self.state == "unresolved":
            return item.state != "resolved"
        return item.state == self.state
