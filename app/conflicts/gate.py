"""Publishing is checked against conflicts: hard ones block, warnings need a reason.

Runs inside the transaction that publishes (``publish_check`` is registered in
``app.events.hooks`` at app start). On SQLite the check first takes the database's write lock,
so no other writer can book the venue between the check and the commit; on PostgreSQL the
exclusion constraint on (venue, occupied range) is the last line, and a race lost there is
reported as the same friendly error (``app.events.exclusion``). Venues are checked the same
way before they become exclusive (``venue_refusals``, registered in ``app.venues.hooks``).
"""

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select, update

from app.conflicts import notices
from app.conflicts.engine import Conflict, Proposal, check
from app.conflicts.models import PublishOverride, Severity
from app.errors import ValidationError
from app.events.hooks import AfterPublish
from app.events.models import CalendarVersion, Event, Status
from app.events.operations import REASON_MAX
from app.extensions import db
from app.notifications.service import department_staff, notify
from app.venues.models import Venue


def _lock_for_check() -> None:
    """On SQLite, take the write lock now so that check and write are one unit."""
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(
            update(CalendarVersion)
            .where(CalendarVersion.id == 1)
            .values(version=CalendarVersion.version)
        )


def clear_for_publishing(proposal: Proposal, reason: str, actor) -> list[Conflict]:
    """Return the warnings to record, or raise ValidationError for hard conflicts / no reason."""
    _lock_for_check()
    conflicts = check(proposal, actor)
    if proposal.earlier_title is not None:
        conflicts = _new_duplicates(proposal, conflicts, actor)
    hard = [c for c in conflicts if c.severity == Severity.HARD]
    if hard:
        raise ValidationError(
            {"venue_id": [_("Cannot publish: %(reason)s", reason=c.message) for c in hard]}
        )
    warnings = [c for c in conflicts if c.severity == Severity.WARNING]
    reason = (reason or "").strip()
    if len(reason) > REASON_MAX:
        raise ValidationError.single(
            "conflict_reason", _("At most %(n)d characters.", n=REASON_MAX)
        )
    if warnings and not reason:
        raise ValidationError.single(
            "conflict_reason",
            ngettext(
                "This event has %(num)d warning. Please give a reason for publishing it "
                "anyway; the communications team will see it.",
                "This event has %(num)d warnings. Please give a reason for publishing it "
                "anyway; the communications team will see it.",
                len(warnings),
            ),
        )
    return warnings


def _new_duplicates(proposal: Proposal, conflicts: list[Conflict], actor) -> list[Conflict]:
    """Return the duplicates of a renamed event that its earlier title did not have.

    A new title changes nothing else: the warnings it was published over stay answered, and
    only a title that now looks like another department's event needs a reason.
    """
    earlier = replace(proposal, title=proposal.earlier_title, earlier_title=None)
    had = {c.key for c in check(earlier, actor) if c.kind == "duplicate"}
    return [c for c in conflicts if c.kind == "duplicate" and c.key not in had]


def record_override(event: Event, warnings: list[Conflict], reason: str, actor, now) -> None:
    """Store the reason given for publishing despite warnings."""
    if not warnings:
        return
    db.session.add(
        PublishOverride(
            event=event,
            reason=reason.strip(),
            warnings="\n".join(c.message for c in warnings),
            created_at=now,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
    )


def publish_check(proposal: Proposal, reason: str, actor) -> AfterPublish | None:
    """The publishing gate of events: refuse or clear, and record the reason for warnings."""
    warnings = clear_for_publishing(proposal, reason, actor)
    if not warnings:
        return None

    def record(event: Event, now: datetime) -> None:
        record_override(event, warnings, reason, actor, now)
        published_over_warning(event, warnings, reason, actor, now)
        notices.notify_clashes(event, warnings, actor, now)  # the other departments concerned

    return record


def published_over_warning(event: Event, warnings: list[Conflict], reason: str, actor, now) -> None:
    """Tell the hosting departments that someone from elsewhere published over a warning."""
    hosts = event.host_department_ids
    if getattr(actor, "department_id", None) in hosts:
        return  # the department decided itself
    notify(
        department_staff(hosts),
        "published_over_warning",
        params={"event": event.title, "reason": reason.strip()},
        url=f"/events/{event.id}",
        cause=f"published_over_warning:{event.id}:{event.sequence}",
        now=now,
        actor=actor,
    )


def overrides_of(event_id: int) -> list[PublishOverride]:
    """Return the reasons given for publishing an event despite warnings, newest first."""
    return list(
        db.session.scalars(
            db.select(PublishOverride)
            .where(PublishOverride.event_id == event_id)
            .order_by(PublishOverride.created_at.desc(), PublishOverride.id.desc())
        )
    )


def exclusive_clashes(venue_id: int, setup: int, teardown: int, limit: int = 3) -> list:
    """Return up to `limit` pairs of published events that would overlap at an exclusive venue.

    Used before a venue becomes exclusive or its buffers grow (rare admin edits): one ordered
    query over the venue's published events and a sweep.
    """
    pad_before, pad_after = timedelta(minutes=setup), timedelta(minutes=teardown)
    rows = db.session.execute(
        select(Event.id, Event.title, Event.starts_at, Event.ends_at)
        .where(Event.venue_id == venue_id, Event.status == Status.PUBLISHED)
        .order_by(Event.starts_at, Event.id)
    ).all()
    clashes, latest = [], None
    for row in rows:
        start = row.starts_at - pad_before
        if latest is not None and start < latest[1]:
            clashes.append((latest[0], row))
            if len(clashes) >= limit:
                break
        end = row.ends_at + pad_after
        if latest is None or end > latest[1]:
            latest = (row, end)
    return clashes


def venue_refusals(venue: Venue, values: Mapping[str, Any]) -> list[str]:
    """Refuse exclusivity (or larger buffers) while published events there would overlap."""
    if venue.id is None or not values.get("exclusive"):
        return []
    clashes = exclusive_clashes(
        venue.id, values.get("setup_minutes") or 0, values.get("teardown_minutes") or 0
    )
    return [
        _(
            "“%(first)s” and “%(second)s” overlap here (setup and teardown included); move or "
            "cancel one of them before the venue becomes exclusive.",
            first=a.title,
            second=b.title,
        )
        for a, b in clashes
    ]
