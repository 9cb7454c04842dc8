"""Wording and severity of venue and capacity conflicts: who holds the room when, and what the
venue holds."""

from datetime import date, datetime

from flask_babel import gettext as _
from flask_babel import ngettext

from app.conflicts.conflict import Conflict, LazyText, pair_key
from app.conflicts.describe import Describer, quoted, when
from app.conflicts.facts import EventFacts
from app.conflicts.models import Severity
from app.events.models import Status
from app.events.proposal import VenueInfo

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


# --- capacity --------------------------------------------------------------------------------


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
