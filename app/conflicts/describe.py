"""Wording, masking and severity of conflicts: what a viewer reads, and how bad it is.

The kinds (``app.conflicts.kinds``) find the clashes; every message, every rule about what a
viewer may see of another event or another department's guests, and every severity rule is
here, for one proposal ("this event ...") and for a window ("both ...").
"""

from datetime import date, datetime, timedelta
from functools import lru_cache

from babel import Locale
from flask import current_app
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _

from app.conflicts.conflict import Conflict, LazyText, pair_key
from app.conflicts.facts import EventFacts
from app.conflicts.models import BlockedRange, SchoolHoliday, Severity
from app.dates import format_day
from app.events import policy
from app.events.models import Status
from app.events.proposal import VenueInfo
from app.events.walltime import utc_to_local

# --- dates and names -------------------------------------------------------------------------


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


# --- masking ---------------------------------------------------------------------------------


class Describer:
    """Names other events as the viewer may see them ("reserved" when not)."""

    def __init__(self, viewer, events: dict[int, EventFacts]):
        self.viewer = viewer
        self.events = events
        self._masked: dict[int, bool] = {}
        self._details: dict[int, dict] = {}

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
        """Return what the API shows about another event (built once per event: a window
        names the same events in many conflicts; treat the result as read-only)."""
        found = self._details.get(event.id)
        if found is None:
            found = self._details[event.id] = self._build_details(event)
        return found

    def _build_details(self, event: EventFacts) -> dict:
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


def sees_all_guests(viewer) -> bool:
    """Return True for the communications team and administrators: every guest list is theirs."""
    return bool(getattr(viewer, "sees_everything", False))


def shows_guests(viewer, a: EventFacts, b: EventFacts, describe: Describer) -> bool:
    """Return True if the viewer may see the guests a pair of events shares.

    Both guest lists must be open to the viewer in full (a hidden event gives no conflict, not
    even a count), and for staff one of the events must be their department's: the shared
    guests are then guests of their own event, never only of others' lists.
    """
    if describe.masked(a) or describe.masked(b):
        return False
    return sees_all_guests(viewer) or policy.is_host(viewer, a) or policy.is_host(viewer, b)


# --- venue -----------------------------------------------------------------------------------


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


def _minutes(start: datetime, end: datetime) -> int:
    return round((end - start).total_seconds() / 60)


def _setup(minutes: int, title: str | None) -> str:
    if title is None:
        return ngettext(
            "%(num)d minute of setup for your event",
            "%(num)d minutes of setup for your event",
            minutes,
        )
    return ngettext(
        "%(num)d minute of setup for %(title)s",
        "%(num)d minutes of setup for %(title)s",
        minutes,
        title=quoted(title),
    )


def _teardown(minutes: int, title: str | None) -> str:
    if title is None:
        return ngettext(
            "%(num)d minute of teardown after your event",
            "%(num)d minutes of teardown after your event",
            minutes,
        )
    return ngettext(
        "%(num)d minute of teardown after %(title)s",
        "%(num)d minutes of teardown after %(title)s",
        minutes,
        title=quoted(title),
    )


def venue_cause(
    mine: EventFacts, other: EventFacts, mine_title: str | None = None, *, other_title: str
) -> str:
    """Return why two events clash at one venue: the same time, or only the buffers around
    them ("... only with 45 minutes of setup for your event"); ``mine_title`` None means the
    event being checked ("your event")."""
    if mine.starts_at < other.ends_at and other.starts_at < mine.ends_at:
        return _("Same venue at the same time.")
    if other.ends_at <= mine.starts_at:  # the other one comes first
        buffers = [
            (_minutes(mine.occupied_from, mine.starts_at), _setup, mine_title),
            (_minutes(other.ends_at, other.occupied_until), _teardown, other_title),
        ]
    else:
        buffers = [
            (_minutes(mine.ends_at, mine.occupied_until), _teardown, mine_title),
            (_minutes(other.occupied_from, other.starts_at), _setup, other_title),
        ]
    pieces = [text(n, title) for n, text, title in buffers if n > 0]
    if not pieces:
        return _("Same venue at the same time.")
    joined = (
        _("%(first)s and %(second)s", first=pieces[0], second=pieces[1])
        if len(pieces) == 2
        else pieces[0]
    )
    return _("Same venue: the times overlap only with %(buffers)s.", buffers=joined)


def _exclusive_note() -> str:
    return _("The venue is exclusive: only one event at a time.")


def venue_conflict(
    own_id: int | None,
    first_day: date,
    venue: VenueInfo,
    other: EventFacts,
    describe: Describer,
    mine=None,
) -> Conflict:
    """Describe the checked event's venue being taken by another event (``mine``: the checked
    event's times and occupied range, to name the cause)."""
    severity = venue_severity(venue, other)
    message = venue_message(venue, other, describe)
    if mine is not None:
        message = venue_cause(mine, other, other_title=describe.title(other)) + " " + message
    if severity == Severity.HARD:
        message += " " + _exclusive_note()
    return Conflict(
        kind="venue",
        severity=severity,
        message=message,
        event_ids=[*([own_id] if own_id is not None else []), other.id],
        key=pair_key("venue", own_id, other.id),
        day=max(first_day, other.first_day),
        details={
            "venue_id": venue.id,
            "exclusive": venue.exclusive,
            "other": describe.details(other),
        },
    )


def _venue_pair_message(a: EventFacts, b: EventFacts, describe: Describer) -> str:
    message = _(
        "%(venue)s is double-booked (setup and teardown included): %(first)s, %(first_when)s, "
        "and %(second)s, %(second_when)s.",
        venue=a.venue_name,
        first=describe.holder(a),
        first_when=when(a.occupied_from, a.occupied_until),
        second=describe.holder(b),
        second_when=when(b.occupied_from, b.occupied_until),
    )
    cause = venue_cause(a, b, describe.title(a), other_title=describe.title(b))
    message = cause + " " + message
    if a.venue_exclusive:
        message += " " + _exclusive_note()
    return message


def venue_pair_conflict(a: EventFacts, b: EventFacts, describe: Describer) -> Conflict:
    """Describe two events holding one venue at once (hard when exclusive and both published)."""
    both_published = a.status == Status.PUBLISHED and b.status == Status.PUBLISHED
    severity = Severity.HARD if a.venue_exclusive and both_published else Severity.WARNING
    return Conflict(
        kind="venue",
        severity=severity,
        message=LazyText(lambda: _venue_pair_message(a, b, describe)),
        event_ids=[a.id, b.id],
        key=pair_key("venue", a.id, b.id),
        day=max(a.first_day, b.first_day),
        details={
            "venue_id": a.venue_id,
            "exclusive": a.venue_exclusive,
            "events": [describe.details(a), describe.details(b)],
        },
    )


# --- person ----------------------------------------------------------------------------------


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
    conflict at all (see ``kinds.person``).
    """
    n = len(guests)
    accepted = sum(1 for a in guests.values() if a)
    severity = Severity.WARNING if overlap == "time" or vip_names else Severity.INFO
    basis = f"{overlap}|{sorted(guests)}|{accepted}|{len(vip_names)}"
    ids = [this_id, other.id] if this_id is not None else [other.id]
    key = pair_key("person", this_id, other.id)
    title = describe.title(other)
    if overlap == "time":
        message = ngettext(
            "Same guest: %(num)d guest of this event is also invited to %(title)s at the same "
            "time (%(accepted)d accepted there).",
            "Same guests: %(num)d guests of this event are also invited to %(title)s at the "
            "same time (%(accepted)d accepted there).",
            n,
            title=quoted(title),
            accepted=accepted,
        )
    else:
        message = ngettext(
            "Same guest: %(num)d guest of this event is also invited to %(title)s on the same "
            "evening (%(accepted)d accepted there).",
            "Same guests: %(num)d guests of this event are also invited to %(title)s on the "
            "same evening (%(accepted)d accepted there).",
            n,
            title=quoted(title),
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


def person_pair_conflict(a, b, guests, vips, overlap, day, describe: Describer) -> Conflict:
    """Describe guests invited to both of two events (guests: contact -> events accepted)."""
    n = len(guests)
    accepted_both = sum(1 for ids in guests.values() if len(ids) == 2)
    severity = Severity.WARNING if overlap == "time" or vips else Severity.INFO
    basis = f"{overlap}|{sorted(guests)}|{accepted_both}|{len(vips)}"
    events = [describe.details(a), describe.details(b)]
    if overlap == "time":
        message = ngettext(
            "Same guest: %(num)d guest is invited to both %(first)s and %(second)s, which overlap.",
            "Same guests: %(num)d guests are invited to both %(first)s and %(second)s, which "
            "overlap.",
            n,
            first=quoted(describe.title(a)),
            second=quoted(describe.title(b)),
        )
    else:
        message = ngettext(
            "Same guest: %(num)d guest is invited to both %(first)s and %(second)s on the same "
            "evening.",
            "Same guests: %(num)d guests are invited to both %(first)s and %(second)s on the "
            "same evening.",
            n,
            first=quoted(describe.title(a)),
            second=quoted(describe.title(b)),
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
    key = pair_key("person", a.id, b.id)
    return Conflict("person", severity, message, [a.id, b.id], key, day, details, basis=basis)


# --- audience --------------------------------------------------------------------------------


def audience_setting() -> tuple[Severity | None, set[str]]:
    """Return the configured audience-clash severity (None: off) and the ignored codes."""
    value = str(current_app.config.get("CONFLICT_AUDIENCE_SEVERITY", "info")).lower()
    severity = None if value == "off" else Severity(value)
    ignored = {c.strip() for c in current_app.config.get("CONFLICT_AUDIENCE_IGNORE", "").split(",")}
    return severity, ignored - {""}


def audience_conflict(audience, day, others, describe, own_ids, severity) -> Conflict:
    """Describe several published events for one audience on one day."""
    titles = ", ".join(quoted(describe.title(e)) for e in others[:5])
    if len(others) > 5:
        titles += " " + _("and %(n)d more", n=len(others) - 5)
    return Conflict(
        kind="audience",
        severity=severity,
        message=ngettext(
            "%(num)d other published event for the audience “%(audience)s” on %(day)s: %(titles)s.",
            "%(num)d other published events for the audience “%(audience)s” on %(day)s: "
            "%(titles)s.",
            len(others),
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


def audience_day_conflict(code: str, name: str, day, events, describe, severity) -> Conflict:
    """Describe the published events of one audience on one day (the list shows them below)."""
    return Conflict(
        kind="audience",
        severity=severity,
        message=_(
            "%(n)d published events for the audience “%(audience)s” on one day.",
            n=len(events),
            audience=name,
        ),
        event_ids=[e.id for e in events],
        key=f"audience:{code}:{day.isoformat()}",
        day=day,
        details={
            "audience": code,
            "date": day.isoformat(),
            "others": [describe.details(e) for e in events],
        },
    )


# --- holiday, blocked, capacity --------------------------------------------------------------


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
            first=format_day(holiday.first_day, "short_date"),
            last=format_day(holiday.last_day, "short_date"),
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
                message=ngettext(
                    "The event plans for %(num)d person, but %(venue)s holds %(max)d.",
                    "The event plans for %(num)d people, but %(venue)s holds %(max)d.",
                    capacity,
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
                message=ngettext(
                    "%(num)d person has accepted (plus-ones included), more than the capacity "
                    "of %(max)d.",
                    "%(num)d people have accepted (plus-ones included), more than the capacity "
                    "of %(max)d.",
                    guests,
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
