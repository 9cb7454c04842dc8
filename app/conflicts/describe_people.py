"""Wording and severity of person conflicts (shared guests) and audience conflicts (several
published events for one audience on one day)."""

from datetime import date

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext

from app.conflicts.conflict import Conflict, pair_key
from app.conflicts.describe import Describer, quoted, short_day
from app.conflicts.facts import EventFacts
from app.conflicts.models import Severity

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
