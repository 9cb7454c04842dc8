"""Person: guests of one event are invited to (or accepted for) another at the same time
(``warning``) or on the same evening (``info``); a VIP raises ``info`` to ``warning``.

Staff see them only for events they may see in full, and only for their own guests (see
``_own_guest`` and ``describe.shows_guests``); the communications team and administrators see
every guest list.
"""

from collections import defaultdict
from datetime import date, datetime, time, timedelta

from sqlalchemy import Date, Integer, and_, bindparam, case, literal, null, or_, select
from sqlalchemy.orm import aliased

from app.conflicts import describe, describe_people
from app.conflicts.conflict import Conflict, pair_of
from app.conflicts.overlap import day_overlap, hit_row, param
from app.conflicts.scope import Checked, Shape, Window
from app.contacts.models import Contact
from app.events.models import Event, Status, event_cohosts
from app.events.walltime import utc_to_local
from app.extensions import db
from app.invitations.models import Answer, Invitation, InvitationDepartment

NAME = "person"
KEY_PREFIXES = ("person",)
EVENING = time(17, 0)  # an event touching 17:00-24:00 local takes place "in the evening"
_CHUNK = 500


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


def _overlap(a_start, a_end, b_start, b_end, time_day: date, tz: str):
    """Return ("time", time_day) or ("evening", day) for two events, None when neither applies."""
    if a_start < b_end and b_start < a_end:
        return "time", time_day
    day = same_evening(a_start, a_end, b_start, b_end, tz)
    return ("evening", day) if day is not None else None


def _shared(mine, theirs):
    """SQL: the two invitations are the same guest's, to different events, neither declined."""
    return and_(
        theirs.contact_id == mine.contact_id,
        theirs.event_id != mine.event_id,
        mine.status != Answer.DECLINED,
        theirs.status != Answer.DECLINED,
        mine.revoked.is_(False),
        theirs.revoked.is_(False),
    )


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


def part(shape: Shape):
    """Return the rows of the single check: each guest shared with another event that day."""
    if not shape.has_event:
        return None
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
    own = _own_guest(mine, theirs, this_event) if shape.own_guests_only else literal(True)
    accepted = (theirs.status == Answer.ACCEPTED).cast(Integer)
    vip = case((Contact.vip, vip_name), else_=null())
    return (
        select(*hit_row(NAME, Event.id, mine.contact_id, accepted, vip))
        .select_from(mine)
        .join(theirs, _shared(mine, theirs))
        .join(Event, Event.id == theirs.event_id)
        .join(Contact, Contact.id == mine.contact_id)
        .where(
            mine.event_id == this_event,
            Event.status != Status.CANCELLED,
            day_overlap(
                Event.first_day,
                Event.last_day,
                param("first", Date()),
                param("last", Date()),
                shape.postgresql,
            ),
            own,
        )
    )


def for_proposal(checked: Checked, rows) -> list[Conflict]:
    """Return a conflict per other event sharing guests with the checked one."""
    p, describer = checked.proposal, checked.describe
    shared: dict[int, dict[int, bool]] = {}
    vip_names: dict[int, str] = {}
    for _kind, other_id, contact_id, accepted, vip_name, _label2 in rows:
        guests = shared.setdefault(other_id, {})
        guests[contact_id] = guests.get(contact_id, False) or bool(accepted)
        if vip_name:
            vip_names[contact_id] = " ".join(vip_name.split())
    found = []
    for other_id, guests in shared.items():
        other = describer.events[other_id]
        if describer.masked(other):
            # Even a count would tell that the viewer's guest is on a guest list that is
            # closed to them (a confidential event, another department's draft).
            continue
        day = max(p.days[0], other.first_day)
        overlap = _overlap(p.starts_at, p.ends_at, other.starts_at, other.ends_at, day, checked.tz)
        if overlap is None:
            continue
        vips = sorted(vip_names[c] for c in guests if c in vip_names)
        found.append(
            describe_people.person_conflict(p.event_id, other, guests, *overlap, describer, vips)
        )
    return found


def _pairs(win: Window) -> dict[tuple[int, int], dict[int, set[int]]]:
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
        .join(i2, _shared(i1, i2))
        .join(e2, e2.id == i2.event_id)
        .where(
            win.condition(e1),
            e2.status != Status.CANCELLED,
            e2.first_day <= e1.last_day,
            e2.last_day >= e1.first_day,
            win.among(e2.id),
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


def _vip_names(contact_ids: set[int]) -> dict[int, str]:
    """Return the names of the VIPs among the contacts."""
    names = {}
    ids = sorted(contact_ids)
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        stmt = select(Contact).where(Contact.id.in_(chunk), Contact.vip.is_(True))
        names.update({c.id: c.full_name for c in db.session.scalars(stmt)})
    return names


def for_window(win: Window) -> list[Conflict]:
    """Return a conflict per pair of events sharing guests at the same time or evening."""
    pairs = _pairs(win)
    events = win.load(i for pair in pairs for i in pair)
    pairs = {
        pair: guests
        for pair, guests in pairs.items()
        if describe.shows_guests(win.viewer, events[pair[0]], events[pair[1]], win.describe)
    }
    if not pairs:
        return []
    vip_names = _vip_names({c for guests in pairs.values() for c in guests})
    found = []
    for (a_id, b_id), guests in sorted(pairs.items()):
        a, b = events[a_id], events[b_id]
        day = max(a.first_day, b.first_day)
        overlap = _overlap(a.starts_at, a.ends_at, b.starts_at, b.ends_at, day, win.tz)
        if overlap is None:
            continue
        vips = sorted(vip_names[c] for c in guests if c in vip_names)
        found.append(
            describe_people.person_pair_conflict(a, b, guests, vips, *overlap, win.describe)
        )
    return found


def narrow(win: Window, key: str) -> Window | None:
    """Return the window reduced to the two events of a key ("person:3:7")."""
    pair = pair_of(key)
    return win.narrowed(only=pair, key=key) if pair and len(pair) == 2 else None
