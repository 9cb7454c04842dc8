"""What the weekly brief says, for one viewer: a handful of set-based queries.

The next four weeks (local days from ``now``): events new or changed in the last seven days,
open conflicts by severity (duplicates apart), pending co-hosting requests, events with VIP
guests, guests invited by three or more departments, and weekday evenings without a large event.
A viewer sees what they may see: events by ``details_clause``, conflicts as the conflict view
shows them, co-hosting requests their department made or may answer, and guests only when the
viewer's own department invited them too (comms and admin see all).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from flask import current_app
from sqlalchemy import and_, func, or_, select

from app.cohosting.models import CohostRequest, RequestState
from app.conflicts.listing import Listed, conflicts_between
from app.contacts.models import Contact
from app.events.models import Event, Status, event_cohosts
from app.events.policy import details_clause
from app.events.walltime import range_bounds, utc_to_local
from app.extensions import db
from app.invitations.models import Invitation, InvitationDepartment
from app.venues.models import Venue

WEEKS = 4
LARGE_CAPACITY = 200  # an event for this many people or more is "large"
EVENING = time(17, 0)
SEVERITIES = ("hard", "warning", "info")


@dataclass
class Guest:
    """A guest invited by several departments in the window."""

    contact_id: int
    name: str
    departments: int
    invitations: int


@dataclass
class Brief:
    """The sections of the weekly brief for one viewer."""

    first: date
    last: date
    since: datetime
    new: list[Event] = field(default_factory=list)
    changed: list[Event] = field(default_factory=list)
    conflicts: dict[str, list[Listed]] = field(default_factory=dict)
    duplicates: list[Listed] = field(default_factory=list)
    requests: list[CohostRequest] = field(default_factory=list)
    vip: list[tuple[Event, int]] = field(default_factory=list)
    guests: list[Guest] = field(default_factory=list)
    free_evenings: list[date] = field(default_factory=list)

    @property
    def has_news(self) -> bool:
        """Return True when anything but the free evenings is in the brief (worth a mail)."""
        return bool(
            self.new
            or self.changed
            or any(self.conflicts.values())
            or self.duplicates
            or self.requests
            or self.vip
            or self.guests
        )


def _window_events(first: date, last: date):
    """Return a select of events (not cancelled) overlapping the local days first..last."""
    start, end = range_bounds(first, last + timedelta(days=1), current_app.config["TIMEZONE"])
    return select(Event).where(
        Event.starts_at < end, Event.ends_at > start, Event.status != Status.CANCELLED
    )


def _new_and_changed(viewer, first: date, last: date, since: datetime):
    """Return the events (viewer may see) created, and those changed, since the date."""
    rows = db.session.scalars(
        _window_events(first, last)
        .where(details_clause(viewer), Event.updated_at >= since)
        .order_by(Event.starts_at, Event.id)
    ).unique()
    new, changed = [], []
    for event in rows:
        (new if event.created_at >= since else changed).append(event)
    return new, changed


def _conflicts(viewer, first: date, last: date) -> tuple[dict[str, list[Listed]], list[Listed]]:
    """Return the open conflicts by severity and, apart, the open possible duplicates."""
    by_severity: dict[str, list[Listed]] = {s: [] for s in SEVERITIES}
    duplicates: list[Listed] = []
    if not getattr(viewer, "sees_everything", False) and viewer.department_id is None:
        return by_severity, duplicates  # conflicts are a department's or the whole city's
    for item in conflicts_between(viewer, first, last):
        if item.state != "open":
            continue
        if item.conflict.kind == "duplicate":
            duplicates.append(item)
        else:
            by_severity[item.conflict.severity.value].append(item)
    return by_severity, duplicates


def _requests(viewer, now: datetime) -> list[CohostRequest]:
    """Return the pending co-hosting requests for events not yet over, oldest first.

    Comms and admin see all; others those their department made or whose event it hosts (and
    so may answer), for events they may see.
    """
    query = (
        select(CohostRequest)
        .join(Event, Event.id == CohostRequest.event_id)
        .where(
            CohostRequest.state == RequestState.PENDING,
            Event.status != Status.CANCELLED,
            Event.ends_at > now,
            details_clause(viewer),
        )
        .order_by(CohostRequest.created_at, CohostRequest.id)
    )
    if not getattr(viewer, "sees_everything", False):
        ours = viewer.department_id
        cohosted = select(event_cohosts.c.event_id).where(event_cohosts.c.department_id == ours)
        query = query.where(
            or_(
                CohostRequest.department_id == ours,
                Event.department_id == ours,
                Event.id.in_(cohosted),
            )
        )
    return list(db.session.scalars(query))


def _vip(viewer, first: date, last: date) -> list[tuple[Event, int]]:
    """Return the events (viewer may see) with invited VIP guests and how many, in one query."""
    vips = (
        select(Invitation.event_id, func.count(Invitation.id).label("vips"))
        .join(Contact, Contact.id == Invitation.contact_id)
        .where(Contact.vip.is_(True), Invitation.revoked.is_(False))
        .group_by(Invitation.event_id)
        .subquery()
    )
    rows = db.session.execute(
        _window_events(first, last)
        .add_columns(vips.c.vips)
        .join(vips, vips.c.event_id == Event.id)
        .where(details_clause(viewer))
        .order_by(Event.starts_at, Event.id)
    ).all()
    return [(event, vips) for event, vips in rows]


def _guests(viewer, first: date, last: date, minimum: int = 3) -> list[Guest]:
    """Return the guests invited by at least ``minimum`` departments in the window (one query)."""
    start, end = range_bounds(first, last + timedelta(days=1), current_app.config["TIMEZONE"])
    departments = func.count(InvitationDepartment.department_id.distinct())
    query = (
        select(
            Contact.id,
            Contact.first_name,
            Contact.last_name,
            departments,
            func.count(Invitation.id.distinct()),
        )
        .join(Invitation, Invitation.contact_id == Contact.id)
        .join(Event, Event.id == Invitation.event_id)
        .join(InvitationDepartment, InvitationDepartment.invitation_id == Invitation.id)
        .where(Event.starts_at < end, Event.ends_at > start, Event.status != Status.CANCELLED)
        .where(Invitation.revoked.is_(False))
        .group_by(Contact.id, Contact.first_name, Contact.last_name)
        .having(departments >= minimum)
        .order_by(departments.desc(), Contact.last_name, Contact.id)
    )
    if not getattr(viewer, "sees_everything", False):
        ours = (
            select(Invitation.contact_id)
            .join(InvitationDepartment, InvitationDepartment.invitation_id == Invitation.id)
            .where(InvitationDepartment.department_id == viewer.department_id)
        )
        query = query.where(Contact.id.in_(ours))
    return [
        Guest(cid, f"{first_name} {last_name}".strip(), depts, invitations)
        for cid, first_name, last_name, depts, invitations in db.session.execute(query)
    ]


def _free_evenings(first: date, last: date) -> list[date]:
    """Return the weekdays whose evening (from 17:00) has no published large event."""
    tz = current_app.config["TIMEZONE"]
    large = or_(Event.capacity >= LARGE_CAPACITY, Venue.exclusive.is_(True))
    rows = db.session.execute(
        _window_events(first, last)
        .with_only_columns(Event.starts_at, Event.ends_at)
        .outerjoin(Venue, Venue.id == Event.venue_id)
        .where(and_(Event.status == Status.PUBLISHED, Event.all_day.is_(False), large))
    ).all()
    busy: set[date] = set()
    for starts_at, ends_at in rows:
        start, end = utc_to_local(starts_at, tz), utc_to_local(ends_at, tz)
        day = start.date()
        while day <= end.date():
            if start < datetime.combine(day + timedelta(days=1), time()) and end > (
                datetime.combine(day, EVENING)
            ):
                busy.add(day)
            day += timedelta(days=1)
    days = (first + timedelta(days=n) for n in range((last - first).days + 1))
    return [d for d in days if d.weekday() < 5 and d not in busy]


def build(viewer, now: datetime) -> Brief:
    """Return the weekly brief for the viewer: the next four weeks from now's local day."""
    first = utc_to_local(now, current_app.config["TIMEZONE"]).date()
    last = first + timedelta(weeks=WEEKS, days=-1)
    brief = Brief(first=first, last=last, since=now - timedelta(days=7))
    brief.new, brief.changed = _new_and_changed(viewer, first, last, brief.since)
    brief.conflicts, brief.duplicates = _conflicts(viewer, first, last)
    brief.requests = _requests(viewer, now)
    brief.vip = _vip(viewer, first, last)
    brief.guests = _guests(viewer, first, last)
    brief.free_evenings = _free_evenings(first, last)
    return brief


def grouped_by_day(events: list[Event]) -> dict[date, list[Event]]:
    """Return the events grouped by their local first day (for display)."""
    days: dict[date, list[Event]] = defaultdict(list)
    for event in events:
        days[event.first_day].append(event)
    return dict(days)
