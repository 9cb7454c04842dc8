"""Duplicate: another department's event that is probably the same event (``warning``).

Another department's event that is not cancelled, on the same local day or the day before or
after, whose title is similar after normalisation (``app.events.titles``), or at the same
venue on the same day with a somewhat similar title. Events that share a hosting department
are one department's planning, not a duplicate.

The match is about the other event's title, so an event the viewer may not see in detail
(confidential, another department's) gives no duplicate conflict at all: a "Reserved" hint
would let anyone probe hidden titles by typing candidates. The communications team sees them.

Candidates come from one day-window query (a proposal) or from the window's events plus the
day on either side, grouped by day and by the first letters of each title word, so that only
titles sharing a word stem on neighbouring days are compared; each title is normalised once.
"""

from collections import Counter, defaultdict
from datetime import date, timedelta
from functools import lru_cache

from flask_babel import gettext as _
from sqlalchemy import Date, Integer, bindparam, or_, select

from app.conflicts import facts
from app.conflicts.conflict import Conflict, LazyText, pair_key, pair_of
from app.conflicts.describe import Describer
from app.conflicts.facts import EventFacts
from app.conflicts.models import Severity
from app.conflicts.overlap import day_overlap, is_postgresql, param
from app.conflicts.scope import Checked, Shape, Window
from app.events import titles
from app.events.models import Event, Status
from app.extensions import db

NAME = "duplicate"
KEY_PREFIXES = ("duplicate",)
ONE_DAY = timedelta(days=1)


def _near(a_first: date, a_last: date, b_first: date, b_last: date) -> bool:
    """Return True when two day ranges touch the same day or neighbouring days."""
    return a_first <= b_last + ONE_DAY and b_first <= a_last + ONE_DAY


def _same_day(a_first: date, a_last: date, b_first: date, b_last: date) -> bool:
    """Return True when two day ranges share a day."""
    return a_first <= b_last and b_first <= a_last


def _alike(a: EventFacts, b: EventFacts) -> bool:
    """Return True when two events of different departments are probably one event."""
    if a.host_department_ids & b.host_department_ids:
        return False
    venue_day = (
        a.venue_id is not None
        and a.venue_id == b.venue_id
        and _same_day(a.first_day, a.last_day, b.first_day, b.last_day)
    )
    return titles.similar(a.title, b.title, same_venue_and_day=venue_day)


def _basis(*titles_: str) -> str:
    """Return what a review depends on besides times and places: the normalised titles."""
    return "|".join(titles.normalise(t).text for t in titles_)


# --- wording -----------------------------------------------------------------------------------


def _department(event: EventFacts) -> str:
    """Return the department named in the messages."""
    return event.department_name


def duplicate_conflict(
    own_id: int | None, first_day: date, title: str, other: EventFacts, describe: Describer
) -> Conflict:
    """Describe the checked event as possibly the same as another department's event."""
    return Conflict(
        kind=NAME,
        severity=Severity.WARNING,
        message=_(
            "Possibly the same event as “%(title)s” (%(department)s)",
            title=other.title,
            department=_department(other),
        ),
        event_ids=[*([own_id] if own_id is not None else []), other.id],
        key=pair_key(NAME, own_id, other.id),
        day=max(first_day, other.first_day),
        details={"other": describe.details(other)},
        basis=_basis(title, other.title),
    )


def duplicate_pair_conflict(a: EventFacts, b: EventFacts, describe: Describer) -> Conflict:
    """Describe two events of different departments that are probably one event."""
    return Conflict(
        kind=NAME,
        severity=Severity.WARNING,
        message=LazyText(
            lambda: _(
                "Possibly the same event: “%(first)s” (%(first_department)s) and “%(second)s” "
                "(%(second_department)s)",
                first=a.title,
                first_department=_department(a),
                second=b.title,
                second_department=_department(b),
            )
        ),
        event_ids=[a.id, b.id],
        key=pair_key(NAME, a.id, b.id),
        day=max(a.first_day, b.first_day),
        details={"events": [describe.details(a), describe.details(b)]},
        basis=_basis(a.title, b.title),
    )


# --- one proposal ------------------------------------------------------------------------------


def part(shape: Shape):
    """Return None: the duplicate check compares titles in Python after its own day query."""
    return None


@lru_cache(maxsize=4)
def _candidate_statement(has_event: bool, postgresql: bool):
    """Return the day-window query of other departments' events (built once per shape)."""
    stmt = select(Event.id, Event.title, Event.venue_id, Event.first_day, Event.last_day).where(
        day_overlap(
            Event.first_day,
            Event.last_day,
            param("near_first", Date()),
            param("near_last", Date()),
            postgresql,
        ),
        Event.status != Status.CANCELLED,
        Event.department_id != bindparam("department_id", type_=Integer),
    )
    if has_event:
        stmt = stmt.where(Event.id != bindparam("event_id", type_=Integer))
    return stmt


def _candidates(checked: Checked) -> list[tuple[int, str, int | None, date, date]]:
    """Return other departments' events near the proposal's days (id, title, venue, days)."""
    p = checked.proposal
    first, last = p.days
    params = {
        "near_first": first - ONE_DAY,
        "near_last": last + ONE_DAY,
        "department_id": p.department_id,
    }
    if p.event_id is not None:
        params["event_id"] = p.event_id
    stmt = _candidate_statement(p.event_id is not None, is_postgresql())
    return db.session.connection().execute(stmt, params).all()


def for_proposal(checked: Checked, rows) -> list[Conflict]:
    """Return a conflict per other department's event that is probably the same event."""
    p = checked.proposal
    if not titles.normalise(p.title or "").words:
        return []
    first, last = p.days
    matched = []
    for other_id, title, venue_id, other_first, other_last in _candidates(checked):
        venue_day = (
            p.venue_id is not None
            and venue_id == p.venue_id
            and _same_day(first, last, other_first, other_last)
        )
        if titles.similar(p.title, title, same_venue_and_day=venue_day):
            matched.append(other_id)
    if not matched:
        return []
    describe = checked.describe
    missing = [i for i in matched if i not in describe.events]
    describe.events.update(facts.load(missing))
    found = []
    for other_id in matched:
        other = describe.events[other_id]
        if p.department_id in other.host_department_ids or describe.masked(other):
            continue
        found.append(duplicate_conflict(p.event_id, first, p.title, other, describe))
    return found


# --- a window ----------------------------------------------------------------------------------


def _with_neighbour_days(win: Window) -> dict[int, EventFacts]:
    """Return the window's events and those of the day before and after it."""
    events = dict(win.events())
    edges = facts.load_where(
        (Event.status != Status.CANCELLED)
        & win.among(Event.id)
        & or_(
            day_overlap(Event.first_day, Event.last_day, win.first - ONE_DAY, win.first - ONE_DAY),
            day_overlap(Event.first_day, Event.last_day, win.last + ONE_DAY, win.last + ONE_DAY),
        )
    )
    win.facts.update({i: e for i, e in edges.items() if i not in win.facts})
    for event_id in edges:
        events.setdefault(event_id, win.facts[event_id])
    return events


def _pairs(win: Window, events: dict[int, EventFacts]) -> set[tuple[int, int]]:
    """Return the candidate pairs: events on the same or neighbouring days where one title's
    word stems are all among the other's (``titles.related``).

    Every event is indexed by each of its stems and day; each event then looks up only its
    rarest stem on its days and the days beside them, so a common word ("Sitzung") does not
    pair every meeting of the week with every other.
    """
    index: dict[tuple[str, int], list[int]] = defaultdict(list)
    low, high = (win.first - ONE_DAY).toordinal(), (win.last + ONE_DAY).toordinal()
    frequency: Counter[str] = Counter()
    spans: dict[int, range] = {}
    for event in events.values():
        stems = titles.normalise(event.title).stems
        frequency.update(stems)
        days = range(
            max(event.first_day.toordinal(), low), min(event.last_day.toordinal(), high) + 1
        )
        spans[event.id] = days
        for day in days:
            for stem in stems:
                index[(stem, day)].append(event.id)
    pairs = set()
    for event in events.values():
        stems = titles.normalise(event.title).stems
        if not stems:
            continue
        rarest = min(stems, key=lambda s: (frequency[s], s))
        days = spans[event.id]
        for day in range(days.start - 1, days.stop + 1):
            for other in index.get((rarest, day), ()):
                if other != event.id:
                    pairs.add((event.id, other) if event.id < other else (other, event.id))
    return pairs


def for_window(win: Window) -> list[Conflict]:
    """Return a conflict per pair of events of different departments that are probably one."""
    inside = set(win.events())
    events = _with_neighbour_days(win)
    found = []
    for a_id, b_id in sorted(_pairs(win, events)):
        if a_id not in inside and b_id not in inside:
            continue
        a, b = events[a_id], events[b_id]
        if not _near(a.first_day, a.last_day, b.first_day, b.last_day) or not _alike(a, b):
            continue
        if win.describe.masked(a) or win.describe.masked(b):
            continue
        found.append(duplicate_pair_conflict(a, b, win.describe))
    return found


def narrow(win: Window, key: str) -> Window | None:
    """Return the window reduced to the two events of a key ("duplicate:3:7")."""
    pair = pair_of(key)
    return win.narrowed(only=pair, key=key) if pair and len(pair) == 2 else None
