"""The conflict engine: every clash of one proposed or existing event, with severity and reason.

Kinds (rules from the product description):

* ``venue``: the venue is taken (setup and teardown buffers included) by another event that is
  not cancelled; touching ranges are fine. ``hard`` at an exclusive venue when the other event
  is published (hard conflicts block publishing), else ``warning``.
* ``person``: guests of this event are invited to (or accepted for) another event at the same
  time (``warning``) or on the same evening (``info``); a VIP raises ``info`` to ``warning``.
  Staff see them only for events they may see in full, and only for their own guests (see
  ``_own_guest``); the communications team and administrators see every guest list.
* ``audience``: another published event for the same audience on the same day (severity from
  ``CONFLICT_AUDIENCE_SEVERITY``, audiences in ``CONFLICT_AUDIENCE_IGNORE`` never clash).
* ``holiday``: NRW public holidays (``warning``) and school holidays (``info``).
* ``blocked``: ranges the communications team keeps free, city-wide or in the venue's district.
* ``capacity``: event capacity above the venue's; accepted guests plus plus-ones above capacity.

Every hit comes from one indexed query (a range index on PostgreSQL, composite indexes on
SQLite); the kinds that need the database run as one UNION ALL statement, so a check costs one
round trip plus one to describe the other events it found.
"""

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from types import SimpleNamespace

import holidays as holidays_lib
from babel import Locale
from flask import current_app
from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from sqlalchemy import (
    Date,
    Integer,
    String,
    and_,
    any_,
    bindparam,
    case,
    func,
    literal,
    literal_column,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import aliased

from app.conflicts import facts
from app.conflicts.facts import EventFacts
from app.conflicts.models import BlockedRange, SchoolHoliday, Severity
from app.contacts.models import Contact
from app.events import policy
from app.events.models import Event, Status, event_audiences, event_cohosts
from app.events.occupancy import local_days, occupied_range
from app.events.walltime import utc_to_local
from app.extensions import db
from app.invitations.models import Answer, Invitation, InvitationDepartment
from app.sqltypes import UTCDateTime
from app.venues.models import Venue
from app.vocabularies.models import Audience

KINDS = ("venue", "person", "audience", "holiday", "blocked", "capacity")
SCHOOL_REGION = "NW"  # North Rhine-Westphalia: the school holidays that count
EVENING = time(17, 0)  # an event touching 17:00-24:00 local takes place "in the evening"
SEVERITY_RANK = {Severity.HARD: 0, Severity.WARNING: 1, Severity.INFO: 2}


@dataclass
class Conflict:
    """One clash: what kind, how bad, why, which events, and a stable key for reviews."""

    kind: str
    severity: Severity
    message: str
    event_ids: list[int]
    key: str
    day: date
    details: dict = field(default_factory=dict)
    fingerprint: str = ""
    # What, besides the events' SEQUENCE, a review depends on (the same for every viewer).
    basis: str = ""
    # True when the conflict is about a range (school holidays, a blocked range), not about
    # the events in the window viewed: its review must not depend on which events are shown.
    range_only: bool = False

    def as_json(self) -> dict:
        """Return the API representation."""
        return {
            "kind": self.kind,
            "severity": self.severity.value,
            "message": self.message,
            "event_ids": self.event_ids,
            "details": self.details,
        }


@dataclass(frozen=True)
class VenueInfo:
    """What the checks need of a venue, detached from any database session."""

    id: int
    name: str
    capacity: int | None
    setup_minutes: int
    teardown_minutes: int
    exclusive: bool
    district_id: int | None

    @classmethod
    def of(cls, venue: Venue | None) -> "VenueInfo | None":
        """Return the snapshot of a venue (None for None)."""
        if venue is None:
            return None
        return cls(
            venue.id,
            venue.name,
            venue.capacity,
            venue.setup_minutes or 0,
            venue.teardown_minutes or 0,
            bool(venue.exclusive),
            venue.district_id,
        )


@dataclass
class Proposal:
    """The facts of an event the engine needs; nothing is written."""

    starts_at: datetime
    ends_at: datetime
    start_local: datetime
    end_local: datetime
    all_day: bool
    venue_id: int | None
    audience_ids: list[int]
    capacity: int | None
    department_id: int
    event_id: int | None = None
    sequence: int = 0
    # The venue when the caller has it loaded (saves a lookup).
    venue: VenueInfo | None = None

    @classmethod
    def from_event(cls, event: Event) -> "Proposal":
        """Return the proposal describing an existing event as stored."""
        return cls(
            starts_at=event.starts_at,
            ends_at=event.ends_at,
            start_local=event.start_local,
            end_local=event.end_local,
            all_day=event.all_day,
            venue_id=event.venue_id,
            audience_ids=[a.id for a in event.audiences],
            capacity=event.capacity,
            department_id=event.department_id,
            event_id=event.id,
            sequence=event.sequence,
            venue=VenueInfo.of(event.venue),
        )

    @property
    def days(self) -> tuple[date, date]:
        """Return the first and last local day the event touches."""
        return local_days(self.start_local, self.end_local)


# --- shared pieces ---------------------------------------------------------------------------


def _is_postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def time_overlap(start_col, end_col, start, end, postgresql: bool | None = None):
    """SQL: the half-open range of two columns overlaps [start, end) (range index on PG)."""
    if _is_postgresql() if postgresql is None else postgresql:
        return func.tstzrange(start_col, end_col, literal_column("'[)'")).op("&&")(
            func.tstzrange(start, end, literal_column("'[)'"))
        )
    return and_(start_col < end, end_col > start)


def day_overlap(first_col, last_col, first, last, postgresql: bool | None = None):
    """SQL: the inclusive day range of two columns shares a day with first..last."""
    if _is_postgresql() if postgresql is None else postgresql:
        return func.daterange(first_col, last_col, literal_column("'[]'")).op("&&")(
            func.daterange(first, last, literal_column("'[]'"))
        )
    return and_(first_col <= last, last_col >= first)


def fingerprint(events: list, extra: str = "") -> str:
    """Return a digest of the events involved and their SEQUENCE (reviews go stale on change)."""
    parts = sorted(f"{e.id}:{e.sequence}" for e in events)
    return hashlib.sha256((",".join(parts) + "|" + extra).encode()).hexdigest()


def pair_key(kind: str, first: int | None, second: int) -> str:
    """Return the key of a conflict between two events (order does not matter)."""
    if first is None:
        return f"{kind}:new:{second}"
    low, high = sorted((first, second))
    return f"{kind}:{low}:{high}"


@lru_cache(maxsize=64)
def _public_holidays(year: int, language: str) -> dict[date, str]:
    return dict(
        holidays_lib.country_holidays("DE", subdiv="NW", years=year, language=language).items()
    )


def public_holidays(first: date, last: date) -> dict[date, str]:
    """Return the NRW public holidays between two days, named in the current language."""
    language = "de" if str(get_locale() or "de").startswith("de") else "en_US"
    found = {}
    for year in range(first.year, last.year + 1):
        for day, name in _public_holidays(year, language).items():
            if first <= day <= last:
                found[day] = name
    return found


def audience_setting() -> tuple[Severity | None, set[str]]:
    """Return the configured audience-clash severity (None: off) and the ignored codes."""
    value = str(current_app.config.get("CONFLICT_AUDIENCE_SEVERITY", "info")).lower()
    severity = None if value == "off" else Severity(value)
    ignored = {c.strip() for c in current_app.config.get("CONFLICT_AUDIENCE_IGNORE", "").split(",")}
    return severity, ignored - {""}


@lru_cache(maxsize=8)
def _names(language: str):
    locale = Locale.parse(language)
    return locale.days["format"]["abbreviated"], locale.months["format"]["abbreviated"]


def short_day(day: date) -> str:
    """Return e.g. "Mi. 3. Feb. 2027" / "Wed 3 Feb 2027" (fast: the list formats hundreds)."""
    language = "de" if str(get_locale() or "de").startswith("de") else "en"
    days, months = _names(language)
    if language == "de":
        return f"{days[day.weekday()]} {day.day}. {months[day.month]} {day.year}"
    return f"{days[day.weekday()]} {day.day} {months[day.month]} {day.year}"


def when(start: datetime, end: datetime, all_day: bool = False) -> str:
    """Return a short local description of a UTC range."""
    tz = current_app.config["TIMEZONE"]
    local_start, local_end = utc_to_local(start, tz), utc_to_local(end, tz)
    if all_day:
        last = (local_end - timedelta(seconds=1)).date()
        first = short_day(local_start.date())
        return first if last == local_start.date() else f"{first} – {short_day(last)}"
    text = f"{short_day(local_start.date())}, {local_start:%H:%M} – "
    if local_end.date() == local_start.date():
        return text + f"{local_end:%H:%M}"
    return text + f"{short_day(local_end.date())}, {local_end:%H:%M}"


def quoted(title: str) -> str:
    """Return a title in the quotation marks of the current language."""
    return _("“%(title)s”", title=title)


class Describer:
    """Names other events as the viewer may see them ("reserved" when not)."""

    def __init__(self, viewer, events: dict[int, EventFacts]):
        self.viewer = viewer
        self.events = events
        self._masked: dict[int, bool] = {}

    def masked(self, event: EventFacts) -> bool:
        """Return True when the viewer may not see the event's details."""
        if event.id not in self._masked:
            self._masked[event.id] = not policy.can_see_details(self.viewer, event)
        return self._masked[event.id]

    def title(self, event: EventFacts) -> str:
        """Return the title, or "Reserved"."""
        return _("Reserved") if self.masked(event) else event.title

    def contact(self, event: EventFacts) -> dict:
        """Return who to ask about the event: its creator, else its department."""
        if event.holder_email:
            return {"name": event.holder_name, "email": event.holder_email}
        return {"name": event.department_name, "email": event.department_email}

    def details(self, event: EventFacts) -> dict:
        """Return what the API shows about another event."""
        if self.masked(event):
            return {"id": event.id, "title": _("Reserved"), "masked": True}
        return {
            "id": event.id,
            "title": event.title,
            "department": event.department_name,
            "department_code": event.department_code,
            "contact": self.contact(event),
            "status": event.status.value,
            "starts_at": event.starts_at.isoformat(),
            "ends_at": event.ends_at.isoformat(),
        }

    def holder(self, event: EventFacts) -> str:
        """Return "title (department, contact)" for the room holder."""
        if self.masked(event):
            return _("Reserved")
        who = self.contact(event)
        return _(
            "“%(title)s” (%(department)s, contact: %(contact)s)",
            title=event.title,
            department=event.department_name,
            contact=f"{who['name']} <{who['email']}>" if who["email"] else who["name"],
        )


# --- the one-event check ---------------------------------------------------------------------


def _row(kind: str, event_id, ref_id, n=None, label=None, label2=None):
    """Return the uniform columns of one part of the hits statement."""
    return (
        literal(kind).label("kind"),
        (event_id if event_id is not None else null().cast(Integer)).label("event_id"),
        (ref_id if ref_id is not None else null().cast(Integer)).label("ref_id"),
        (n if n is not None else null().cast(Integer)).label("n"),
        (label if label is not None else null().cast(String)).label("label"),
        (label2 if label2 is not None else null().cast(String)).label("label2"),
    )


def _param(name: str, type_):
    return bindparam(name, type_=type_)


def _own_guest(mine, theirs, this_event):
    """SQL: the shared guest is the viewer's own (bound ``viewer_department``).

    That is: the viewer's department hosts the event under check, or it invited the guest to
    either event. Only such guests may show in a staff view; the rest of another event's guest
    list is not theirs to see.
    """
    department = bindparam("viewer_department", type_=Integer)
    checked = aliased(Event)
    return or_(
        select(1).where(checked.id == this_event, checked.department_id == department).exists(),
        select(1)
        .where(event_cohosts.c.event_id == this_event, event_cohosts.c.department_id == department)
        .exists(),
        select(1)
        .where(
            InvitationDepartment.invitation_id.in_([mine.id, theirs.id]),
            InvitationDepartment.department_id == department,
        )
        .exists(),
    )


@lru_cache(maxsize=64)
def _hits_statement(
    has_venue: bool,
    has_audiences: bool,
    has_event: bool,
    has_district: bool,
    postgresql: bool,
    own_guests_only: bool = False,
):
    """Return one statement with every database hit and the facts of the events involved.

    Each part yields (kind, event_id, ref_id, n, label, label2); the other events' facts are
    joined on, so a check is one round trip (plus one for rare school holiday and blocked hits).
    The statement depends only on the proposal's shape (and on whether the viewer sees only
    their own guests) and is built once per shape; values travel as bound parameters (see
    ``_hits``).
    """
    first, last = _param("first", Date()), _param("last", Date())
    other = Event.id != bindparam("event_id") if has_event else literal(True)
    parts = []
    if has_venue:
        parts.append(
            select(*_row("venue", Event.id, None)).where(
                Event.venue_id == bindparam("venue_id"),
                other,
                Event.status != Status.CANCELLED,
                time_overlap(
                    Event.occupied_from,
                    Event.occupied_until,
                    _param("occ_from", UTCDateTime()),
                    _param("occ_until", UTCDateTime()),
                    postgresql,
                ),
            )
        )
    if has_audiences:
        audience_in = (
            event_audiences.c.audience_id == any_(_param("audience_ids", ARRAY(Integer)))
            if postgresql
            else event_audiences.c.audience_id.in_(bindparam("audience_ids", expanding=True))
        )
        parts.append(
            select(*_row("audience", Event.id, Audience.id, None, Audience.code, Audience.name))
            .join(event_audiences, event_audiences.c.event_id == Event.id)
            .join(Audience, Audience.id == event_audiences.c.audience_id)
            .where(
                day_overlap(Event.first_day, Event.last_day, first, last, postgresql),
                other,
                Event.status == Status.PUBLISHED,
                audience_in,
            )
        )
    starts, ends = _param("starts_at", UTCDateTime()), _param("ends_at", UTCDateTime())
    parts.append(
        select(*_row("blocked", None, BlockedRange.id)).where(
            BlockedRange.starts_at < ends,
            BlockedRange.ends_at > starts,
            or_(
                BlockedRange.district_id.is_(None),
                BlockedRange.district_id == bindparam("district_id"),
            )
            if has_district
            else BlockedRange.district_id.is_(None),
        )
    )
    parts.append(
        select(*_row("school", None, SchoolHoliday.id)).where(
            SchoolHoliday.region == SCHOOL_REGION,
            SchoolHoliday.first_day <= last,
            SchoolHoliday.last_day >= first,
        )
    )
    if has_event:
        mine, theirs = aliased(Invitation), aliased(Invitation)
        vip_name = (
            Contact.title
            + " "
            + Contact.first_name
            + " "
            + Contact.name_particle
            + " "
            + Contact.last_name
        )
        this_event = bindparam("event_id")
        own = _own_guest(mine, theirs, this_event) if own_guests_only else literal(True)
        parts.append(
            select(
                *_row(
                    "person",
                    Event.id,
                    mine.contact_id,
                    (theirs.status == Answer.ACCEPTED).cast(Integer),
                    case((Contact.vip, vip_name), else_=null()),
                )
            )
            .select_from(mine)
            .join(theirs, and_(theirs.contact_id == mine.contact_id, theirs.event_id != this_event))
            .join(Event, Event.id == theirs.event_id)
            .join(Contact, Contact.id == mine.contact_id)
            .where(
                mine.event_id == this_event,
                mine.status != Answer.DECLINED,
                theirs.status != Answer.DECLINED,
                mine.revoked.is_(False),
                theirs.revoked.is_(False),
                Event.status != Status.CANCELLED,
                day_overlap(Event.first_day, Event.last_day, first, last, postgresql),
                own,
            )
        )
        parts.append(
            select(
                *_row(
                    "guests",
                    None,
                    None,
                    func.coalesce(func.sum(1 + Invitation.plus_ones), 0).cast(Integer),
                )
            ).where(Invitation.event_id == this_event, Invitation.status == Answer.ACCEPTED)
        )
    hits = union_all(*parts).subquery("hits")
    return facts.joined(
        select(hits.c.kind, hits.c.event_id, hits.c.ref_id, hits.c.n, hits.c.label, hits.c.label2)
        .select_from(hits)
        .outerjoin(Event, Event.id == hits.c.event_id)
    )


def _hits(p: Proposal, venue: VenueInfo | None, viewer):
    """Execute the hits statement for a proposal as the viewer may see it."""
    first, last = p.days
    params = {"first": first, "last": last, "starts_at": p.starts_at, "ends_at": p.ends_at}
    own_guests_only = p.event_id is not None and not sees_all_guests(viewer)
    if p.event_id is not None:
        params["event_id"] = p.event_id
    if own_guests_only:
        params["viewer_department"] = getattr(viewer, "department_id", None)
    if venue is not None:
        params["venue_id"] = venue.id
        params["occ_from"], params["occ_until"] = occupied_range(p.starts_at, p.ends_at, venue)
        if venue.district_id is not None:
            params["district_id"] = venue.district_id
    if p.audience_ids:
        params["audience_ids"] = list(p.audience_ids)
    stmt = _hits_statement(
        venue is not None,
        bool(p.audience_ids),
        p.event_id is not None,
        venue is not None and venue.district_id is not None,
        _is_postgresql(),
        own_guests_only,
    )
    return db.session.execute(stmt, params)


def _touches_evening(start: datetime, end: datetime, day: date, tz: str) -> bool:
    """Return True if the UTC range touches 17:00-24:00 local of the day."""
    local_start, local_end = utc_to_local(start, tz), utc_to_local(end, tz)
    evening_start = datetime.combine(day, EVENING)
    evening_end = datetime.combine(day + timedelta(days=1), time())
    return local_start < evening_end and local_end > evening_start


def same_evening(a_start, a_end, b_start, b_end, tz: str) -> date | None:
    """Return the local day on whose evening both ranges take place, if any."""
    a_first, a_last = utc_to_local(a_start, tz).date(), utc_to_local(a_end, tz).date()
    b_first, b_last = utc_to_local(b_start, tz).date(), utc_to_local(b_end, tz).date()
    day = max(a_first, b_first)
    while day <= min(a_last, b_last):
        if _touches_evening(a_start, a_end, day, tz) and _touches_evening(b_start, b_end, day, tz):
            return day
        day += timedelta(days=1)
    return None


def check(p: Proposal, viewer) -> list[Conflict]:
    """Return every conflict of the proposal, most severe first."""
    tz = current_app.config["TIMEZONE"]
    venue = p.venue if p.venue is not None and p.venue.id == p.venue_id else None
    if venue is None and p.venue_id:
        venue = VenueInfo.of(db.session.get(Venue, p.venue_id))
    by_kind: dict[str, list] = {}
    others: dict[int, EventFacts] = {}
    for row in _hits(p, venue, viewer):
        by_kind.setdefault(row[0], []).append(row[:6])
        if row[1] is not None and row[1] not in others:
            others[row[1]] = facts.build(row[6:])
    if others and not getattr(viewer, "sees_everything", False):
        facts.add_cohosts(others)
    describe = Describer(viewer, others)
    conflicts: list[Conflict] = []
    conflicts += _venue_conflicts(p, venue, by_kind.get("venue", []), describe)
    conflicts += _person_conflicts(p, by_kind.get("person", []), describe, tz)
    conflicts += _audience_conflicts(p, by_kind.get("audience", []), describe)
    conflicts += _holiday_conflicts(p, [r[2] for r in by_kind.get("school", [])])
    conflicts += _blocked_conflicts(p, [r[2] for r in by_kind.get("blocked", [])])
    guests = by_kind.get("guests", [(None, None, None, 0)])[0][3] or 0
    conflicts += _capacity_conflicts(p, venue, guests)
    return sort(conflicts)


def sort(conflicts: list[Conflict]) -> list[Conflict]:
    """Order by severity, then day, then kind."""
    return sorted(
        conflicts, key=lambda c: (SEVERITY_RANK[c.severity], c.day, KINDS.index(c.kind), c.key)
    )


def sees_all_guests(viewer) -> bool:
    """Return True for the communications team and administrators: every guest list is theirs."""
    return bool(getattr(viewer, "sees_everything", False))


def _self(p: Proposal) -> list[int]:
    return [p.event_id] if p.event_id is not None else []


def venue_severity(venue: VenueInfo, other: EventFacts) -> Severity:
    """Hard at an exclusive venue held by a published event; otherwise a warning."""
    if venue.exclusive and other.status == Status.PUBLISHED:
        return Severity.HARD
    return Severity.WARNING


def venue_message(venue: VenueInfo, other: EventFacts, describe: Describer) -> str:
    """Explain who holds the room when."""
    occ_from, occ_until = other.occupied_from, other.occupied_until
    if other.status == Status.DRAFT:
        template = _(
            "%(venue)s is provisionally booked %(when)s (draft, setup and teardown included) by "
            "%(holder)s."
        )
    else:
        template = _("%(venue)s is taken %(when)s (setup and teardown included) by %(holder)s.")
    return template % {
        "venue": venue.name,
        "when": when(occ_from, occ_until),
        "holder": describe.holder(other),
    }


def _venue_conflicts(p: Proposal, venue, rows, describe: Describer) -> list[Conflict]:
    result = []
    for row in rows:
        other = describe.events[row[1]]
        severity = venue_severity(venue, other)
        message = venue_message(venue, other, describe)
        if severity == Severity.HARD:
            message += " " + _("The venue is exclusive: only one event at a time.")
        result.append(
            Conflict(
                kind="venue",
                severity=severity,
                message=message,
                event_ids=[*_self(p), other.id],
                key=pair_key("venue", p.event_id, other.id),
                day=max(p.days[0], other.first_day),
                details={
                    "venue_id": venue.id,
                    "exclusive": venue.exclusive,
                    "other": describe.details(other),
                },
            )
        )
    return result


def person_conflict(
    this_id,
    other: EventFacts,
    guests: dict[int, bool],
    overlap: str,
    day: date,
    describe: Describer,
    vip_names: list[str],
) -> Conflict:
    """Describe guests shared with another event (overlap: "time" or "evening").

    Only for events the viewer may see in full: a hidden event's guest list gives no
    conflict at all (see ``_person_conflicts``).
    """
    n = len(guests)
    accepted = sum(1 for a in guests.values() if a)
    severity = Severity.WARNING if overlap == "time" or vip_names else Severity.INFO
    basis = f"{overlap}|{sorted(guests)}|{accepted}|{len(vip_names)}"
    ids = [this_id, other.id] if this_id is not None else [other.id]
    key = pair_key("person", this_id, other.id)
    title = describe.title(other)
    if overlap == "time":
        message = _(
            "%(n)d guest(s) of this event are also invited to “%(title)s” at the same time "
            "(%(accepted)d accepted there).",
            n=n,
            title=title,
            accepted=accepted,
        )
    else:
        message = _(
            "%(n)d guest(s) of this event are also invited to “%(title)s” on the same evening "
            "(%(accepted)d accepted there).",
            n=n,
            title=title,
            accepted=accepted,
        )
    if vip_names:
        message += " " + _("VIP: %(names)s.", names=", ".join(vip_names))
    details = {
        "overlap": overlap,
        "guests": n,
        "contact_ids": sorted(guests),
        "accepted": accepted,
        "vip": bool(vip_names),
        "other": describe.details(other),
    }
    return Conflict("person", severity, message, ids, key, day, details, basis=basis)


def _person_conflicts(p: Proposal, rows, describe: Describer, tz: str) -> list[Conflict]:
    shared: dict[int, dict[int, bool]] = {}
    vip_names: dict[int, str] = {}
    for _kind, other_id, contact_id, accepted, vip_name, _label2 in rows:
        guests = shared.setdefault(other_id, {})
        guests[contact_id] = guests.get(contact_id, False) or bool(accepted)
        if vip_name:
            vip_names[contact_id] = " ".join(vip_name.split())
    result = []
    for other_id, guests in shared.items():
        other = describe.events[other_id]
        if describe.masked(other):
            # Even a count would tell that the viewer's guest is on a guest list that is
            # closed to them (a confidential event, another department's draft).
            continue
        if other.starts_at < p.ends_at and other.ends_at > p.starts_at:
            overlap, day = "time", max(p.days[0], other.first_day)
        else:
            day = same_evening(p.starts_at, p.ends_at, other.starts_at, other.ends_at, tz)
            if day is None:
                continue
            overlap = "evening"
        vips = sorted(vip_names[c] for c in guests if c in vip_names)
        result.append(person_conflict(p.event_id, other, guests, overlap, day, describe, vips))
    return result


def _audience_conflicts(p: Proposal, rows, describe: Describer) -> list[Conflict]:
    severity, ignored = audience_setting()
    if severity is None or not rows:
        return []
    first, last = p.days
    names: dict[str, str] = {}
    grouped: dict[tuple[str, date], list[EventFacts]] = {}
    for _kind, other_id, _audience_id, _n, code, name in rows:
        if code in ignored:
            continue
        names[code] = name
        other = describe.events[other_id]
        day = max(first, other.first_day)
        while day <= min(last, other.last_day):
            grouped.setdefault((code, day), []).append(other)
            day += timedelta(days=1)
    result = []
    for (code, day), others in sorted(grouped.items(), key=lambda i: (i[0][1], i[0][0])):
        audience = SimpleNamespace(code=code, name=names[code])
        result.append(audience_conflict(audience, day, others, describe, _self(p), severity))
    return result


def audience_conflict(audience, day, others, describe, own_ids, severity) -> Conflict:
    """Describe several published events for one audience on one day."""
    titles = ", ".join(quoted(describe.title(e)) for e in others[:5])
    if len(others) > 5:
        titles += " " + _("and %(n)d more", n=len(others) - 5)
    return Conflict(
        kind="audience",
        severity=severity,
        message=_(
            "%(n)d other published event(s) for the audience “%(audience)s” on %(day)s: "
            "%(titles)s.",
            n=len(others),
            audience=audience.name,
            day=short_day(day),
            titles=titles,
        ),
        event_ids=[*own_ids, *(e.id for e in others)],
        key=f"audience:{audience.code}:{day.isoformat()}",
        day=day,
        details={
            "audience": audience.code,
            "date": day.isoformat(),
            "others": [describe.details(e) for e in others],
        },
    )


def public_holiday_conflict(day: date, name: str, event_ids: list[int]) -> Conflict:
    """Describe events on an NRW public holiday."""
    return Conflict(
        kind="holiday",
        severity=Severity.WARNING,
        message=_(
            "%(day)s is a public holiday in North Rhine-Westphalia (%(name)s).",
            day=short_day(day),
            name=name,
        ),
        event_ids=event_ids,
        key=f"holiday:{day.isoformat()}",
        day=day,
        details={"holiday": name, "date": day.isoformat(), "school": False},
    )


def school_holiday_conflict(holiday: SchoolHoliday, day: date, event_ids: list[int]) -> Conflict:
    """Describe events during school holidays."""
    return Conflict(
        kind="holiday",
        severity=Severity.INFO,
        message=_(
            "School holidays in North Rhine-Westphalia: %(name)s (%(first)s – %(last)s).",
            name=holiday.name,
            first=format_date(holiday.first_day, "d. MMM y"),
            last=format_date(holiday.last_day, "d. MMM y"),
        ),
        event_ids=event_ids,
        key=f"school:{holiday.id}",
        day=day,
        basis=f"{holiday.first_day}|{holiday.last_day}|{holiday.name}",
        range_only=True,
        details={
            "holiday": holiday.name,
            "first_day": holiday.first_day.isoformat(),
            "last_day": holiday.last_day.isoformat(),
            "school": True,
        },
    )


def _holiday_conflicts(p: Proposal, school_ids: list[int]) -> list[Conflict]:
    first, last = p.days
    result = [
        public_holiday_conflict(day, name, _self(p))
        for day, name in sorted(public_holidays(first, last).items())
    ]
    if school_ids:
        for holiday in db.session.scalars(
            select(SchoolHoliday).where(SchoolHoliday.id.in_(school_ids))
        ):
            day = max(first, holiday.first_day)
            result.append(school_holiday_conflict(holiday, day, _self(p)))
    return result


def blocked_conflict(blocked: BlockedRange, day: date, event_ids: list[int]) -> Conflict:
    """Describe events in a blocked range."""
    where = blocked.district.name if blocked.district is not None else _("the whole city")
    message = _(
        "Blocked for %(where)s: “%(title)s” (%(when)s).",
        where=where,
        title=blocked.title,
        when=when(blocked.starts_at, blocked.ends_at, blocked.all_day),
    )
    if blocked.note:
        message += " " + blocked.note
    return Conflict(
        kind="blocked",
        severity=Severity(blocked.severity),
        message=message,
        event_ids=event_ids,
        key=f"blocked:{blocked.id}",
        day=day,
        basis=f"{blocked.starts_at}|{blocked.ends_at}|{blocked.district_id}|{blocked.severity}",
        range_only=True,
        details={
            "blocked_id": blocked.id,
            "title": blocked.title,
            "district": blocked.district.code if blocked.district is not None else None,
            "starts_at": blocked.starts_at.isoformat(),
            "ends_at": blocked.ends_at.isoformat(),
        },
    )


def _blocked_conflicts(p: Proposal, ids: list[int]) -> list[Conflict]:
    if not ids:
        return []
    tz = current_app.config["TIMEZONE"]
    result = []
    for blocked in db.session.scalars(select(BlockedRange).where(BlockedRange.id.in_(ids))):
        day = utc_to_local(max(p.starts_at, blocked.starts_at), tz).date()
        result.append(blocked_conflict(blocked, day, _self(p)))
    return result


def capacity_conflicts(
    event_id,
    first_day: date,
    capacity: int | None,
    venue_name: str | None,
    venue_capacity: int | None,
    guests: int,
) -> list[Conflict]:
    """Event capacity above the venue's; accepted guests above the capacity."""
    result = []
    own = [event_id] if event_id is not None else []
    if capacity is not None and venue_capacity is not None and capacity > venue_capacity:
        result.append(
            Conflict(
                kind="capacity",
                severity=Severity.WARNING,
                message=_(
                    "The event plans for %(n)d people, but %(venue)s holds %(max)d.",
                    n=capacity,
                    venue=venue_name,
                    max=venue_capacity,
                ),
                event_ids=own,
                key=f"capacity:{event_id or 'new'}:venue",
                day=first_day,
                details={"capacity": capacity, "venue_capacity": venue_capacity},
                basis=f"{capacity}|{venue_capacity}",
            )
        )
    limit = capacity if capacity is not None else venue_capacity
    if limit is not None and guests > limit:
        result.append(
            Conflict(
                kind="capacity",
                severity=Severity.WARNING,
                message=_(
                    "%(n)d people have accepted (plus-ones included), more than the capacity "
                    "of %(max)d.",
                    n=guests,
                    max=limit,
                ),
                event_ids=own,
                key=f"capacity:{event_id or 'new'}:guests",
                day=first_day,
                basis=f"{guests}|{limit}",
                details={"accepted_people": guests, "capacity": limit},
            )
        )
    return result


def _capacity_conflicts(p: Proposal, venue, guests: int) -> list[Conflict]:
    return capacity_conflicts(
        p.event_id,
        p.days[0],
        p.capacity,
        venue.name if venue is not None else None,
        venue.capacity if venue is not None else None,
        guests,
    )
