"""Guest fatigue: one guest flooded with city invitations by several departments.

What counts: the guest's invitations that are not withdrawn, to events not cancelled that start
within ±GUEST_FATIGUE_DAYS of this event's start (edges included), and that another
department than the inviting one took part in (an invitation only by the inviting department
is that department's own business). A guest who would then hold more than GUEST_FATIGUE_MAX
such invitations (this one included) is warned about; a contact's stricter ``invitation_cap``
refuses staff at or over the cap and warns comms. Titles the viewer may not see stay unnamed
(``policy.details_clause``) and are counted as further invitations.

Queries are grouped per chunk of guests, so a bulk invitation of thousands stays cheap.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import case, exists, false, func, select
from sqlalchemy.orm import aliased

from app.contacts.models import Contact
from app.events import policy
from app.events.models import Event, Status
from app.extensions import db
from app.invitations.models import Invitation, InvitationDepartment

CHUNK = 1000
SHOWN_EVENTS = 5  # events named in one warning; the rest count as further invitations


@dataclass
class Check:
    """What the fatigue check found for one invite call."""

    warnings: list[dict] = field(default_factory=list)
    refused: set[int] = field(default_factory=set)  # contact ids staff may not invite


def settings() -> tuple[int, int]:
    """Return (GUEST_FATIGUE_MAX, GUEST_FATIGUE_DAYS) from the configuration."""
    config = current_app.config
    return int(config.get("GUEST_FATIGUE_MAX", 3)), int(config.get("GUEST_FATIGUE_DAYS", 14))


def _in_window(event: Event, days: int) -> list:
    """Return the conditions on Invitation joined with Event for the counting window."""
    return [
        Invitation.revoked.is_(False),
        Event.status != Status.CANCELLED,
        Event.starts_at >= event.starts_at - timedelta(days=days),
        Event.starts_at <= event.starts_at + timedelta(days=days),
    ]


def _by_others(department_id: int):
    """Return the condition: another department than this one took part in the invitation."""
    return exists(
        select(InvitationDepartment.invitation_id).where(
            InvitationDepartment.invitation_id == Invitation.id,
            InvitationDepartment.department_id != department_id,
        )
    )


def _chunks(items: list, size: int = CHUNK):
    """Yield slices of a list."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def counts(event: Event, contact_ids: list[int], department_id: int, days: int) -> dict[int, int]:
    """Return per guest the counted invitations to other events; guests invited here are left out.

    One grouped query per chunk of guests.
    """
    result: dict[int, int] = {}
    for chunk in _chunks(contact_ids):
        mine = aliased(Invitation)
        here = select(mine.contact_id).where(
            mine.event_id == event.id, mine.revoked.is_(False), mine.contact_id.in_(chunk)
        )
        stmt = (
            select(Invitation.contact_id, func.count())
            .join(Event, Event.id == Invitation.event_id)
            .where(
                Invitation.contact_id.in_(chunk),
                Invitation.contact_id.not_in(here),
                Invitation.event_id != event.id,
                _by_others(department_id),
                *_in_window(event, days),
            )
            .group_by(Invitation.contact_id)
        )
        result.update({cid: n for cid, n in db.session.execute(stmt)})
    return result


def _events(
    event: Event, contact_ids: list[int], department_id: int, days: int, viewer
) -> dict[int, list[tuple[int, str]]]:
    """Return per guest the counted events the viewer may see: (id, title), by start."""
    seen = case((policy.details_clause(viewer), True), else_=false())
    result: dict[int, list[tuple[int, str]]] = {cid: [] for cid in contact_ids}
    for chunk in _chunks(contact_ids):
        stmt = (
            select(Invitation.contact_id, Event.id, Event.title, seen.label("seen"))
            .join(Event, Event.id == Invitation.event_id)
            .where(
                Invitation.contact_id.in_(chunk),
                Invitation.event_id != event.id,
                _by_others(department_id),
                *_in_window(event, days),
            )
            .order_by(Event.starts_at, Event.id)
        )
        for cid, event_id, title, visible in db.session.execute(stmt):
            if visible:
                result[cid].append((event_id, title))
    return result


def _listing(events: list[tuple[int, str]], total: int) -> tuple[list[dict], int, str]:
    """Return the named events, the number of further invitations and both in words."""
    named = events[:SHOWN_EVENTS]
    others = total - len(named)
    parts = [_("“%(title)s”", title=title) for _id, title in named]  # the language's quotes
    if others:
        parts.append(ngettext("%(num)d other invitation", "%(num)d other invitations", others))
    return [{"id": i, "title": t} for i, t in named], others, ", ".join(parts)


def _capped(contact: Contact, counted: int) -> bool:
    """Return True when the guest is at or over their own cap."""
    return contact.invitation_cap is not None and counted >= contact.invitation_cap


def check(event: Event, contacts: list[Contact], department_id: int, *, viewer) -> Check:
    """Return the fatigue warnings of an invite call and the guests staff may not invite."""
    most, days = settings()
    result = Check()
    by_id = {contact.id: contact for contact in contacts}
    found = counts(event, list(by_id), department_id, days)
    flagged = [cid for cid, n in found.items() if n + 1 > most or _capped(by_id[cid], n)]
    if not flagged:
        return result
    titles = _events(event, flagged, department_id, days, viewer)
    for cid in flagged:
        contact, n = by_id[cid], found[cid]
        cap = contact.invitation_cap
        capped = _capped(contact, n)
        refused = capped and not getattr(viewer, "sees_everything", False)
        events, others, listing = _listing(titles[cid], n)
        name = contact.full_name or contact.email
        if refused:
            message = _(
                "%(name)s was not invited: at most %(cap)d invitations from other departments "
                "within ±%(days)d days (already %(count)d: %(events)s).",
                name=name,
                cap=cap,
                days=days,
                count=n,
                events=listing,
            )
            result.refused.add(cid)
        elif capped:
            message = _(
                "%(name)s has reached the cap of %(cap)d invitations from other departments "
                "within ±%(days)d days (already %(count)d: %(events)s); staff could not invite "
                "them.",
                name=name,
                cap=cap,
                days=days,
                count=n,
                events=listing,
            )
        else:
            message = _(
                "%(name)s would receive %(count)d city invitations within ±%(days)d days, "
                "from other departments: %(events)s.",
                name=name,
                count=n + 1,
                days=days,
                events=listing,
            )
        result.warnings.append(
            {
                "kind": "guest_fatigue",
                "contact_id": cid,
                "count": n + 1,
                "events": events,
                "others": others,
                "cap": cap,
                "refused": refused,
                "message": message,
            }
        )
    return result


def guest_counts(event: Event) -> dict[int, int]:
    """Return per guest of the event their city invitations in the window (this one included).

    All departments count here: the guest list shows what the guest receives. One query.
    """
    _most, days = settings()
    mine = aliased(Invitation)
    guests = select(mine.contact_id).where(mine.event_id == event.id, mine.contact_id.is_not(None))
    stmt = (
        select(Invitation.contact_id, func.count())
        .join(Event, Event.id == Invitation.event_id)
        .where(Invitation.contact_id.in_(guests), *_in_window(event, days))
        .group_by(Invitation.contact_id)
    )
    return {cid: n for cid, n in db.session.execute(stmt)}
