"""Every conflict in a date range, for the communications team's view and the API.

Set-based: each kind runs its own queries over the window (range indexes on PostgreSQL) and
groups the hits. Conflicts are computed, never stored; reviews attach to them by key and go
stale when an involved event moved (its SEQUENCE rose) or another joined. ``find`` computes
one conflict by its key, asking only its kind about only the events or range the key names.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from app.conflicts.conflict import KINDS, SEVERITY_RANK, Conflict, fingerprint
from app.conflicts.facts import EventFacts
from app.conflicts.kinds import ALL, BY_PREFIX
from app.conflicts.models import ConflictReview, ReviewStatus, Severity
from app.conflicts.scope import Window
from app.events.walltime import utc_to_local
from app.extensions import db
from app.input_guard import parse_day

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
    win = Window(viewer, first, last, current_app.config["TIMEZONE"])
    win.events()  # one query for the window; the kinds load only the others they find
    wanted = set(kinds or KINDS)
    found = [c for kind in ALL if kind.NAME in wanted for c in kind.for_window(win)]
    return _finish(found, win, severities, department_id)


def find(viewer, key: str, first: date, last: date) -> Listed | None:
    """Return the conflict with this key among the events between two days, if it exists."""
    kind = BY_PREFIX.get(key.partition(":")[0])
    base = Window(viewer, first, last, current_app.config["TIMEZONE"])
    win = kind.narrow(base, key) if kind is not None else None
    if win is None:
        return None
    found = [c for c in kind.for_window(win) if c.key == key]
    listed = _finish(found, win, None, None)
    return listed[0] if listed else None


def _finish(conflicts: list[Conflict], win: Window, severities, department_id) -> list[Listed]:
    """Filter by severity and department, fingerprint, attach reviews and sort."""
    viewer = win.viewer
    own_department = None if getattr(viewer, "sees_everything", False) else viewer.department_id
    events = win.load(i for c in conflicts for i in c.event_ids)

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
        conflict.day = min(max(conflict.day, win.first), win.last)
        involved = [events[i] for i in conflict.event_ids]
        counted = [] if conflict.range_only else involved
        basis = f"{conflict.kind}|{conflict.severity.value}|{conflict.basis}"
        conflict.fingerprint = fingerprint(counted, basis)
        kept.append((conflict, involved))
    reviews = reviews_for([c.key for c, _ in kept])
    listed = [Listed(c, reviews.get(c.key), involved) for c, involved in kept]
    return sorted(
        listed,
        key=lambda item: (
            item.conflict.day,
            SEVERITY_RANK[item.conflict.severity],
            KINDS.index(item.conflict.kind),
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
        # What was typed, so that a refused period is shown as entered, not silently swapped.
        self.entered = {
            "from": args.get("from") or self.first.isoformat(),
            "to": args.get("to") or self.last.isoformat(),
        }
        if args.get("from") and parse_day(args.get("from")) is None:
            self.errors["from"] = _("Enter a date as YYYY-MM-DD between 1900 and 2199.")
        if args.get("to") and parse_day(args.get("to")) is None:
            self.errors["to"] = _("Enter a date as YYYY-MM-DD between 1900 and 2199.")
        if self.last < self.first:
            self.errors["to"] = _("The end date is before the start.")
            self.last = self.first
        if (self.last - self.first).days >= MAX_DAYS:
            self.errors["to"] = _("At most %(n)d days at once.", n=MAX_DAYS)
            self.last = self.first + timedelta(days=MAX_DAYS - 1)
        self.kinds = {k for k in args.getlist("kind") if k in KINDS}
        self.severities = {s for s in args.getlist("severity") if s in {v.value for v in Severity}}
        self.department = args.get("department") or ""
        state = args.get("state") or "unresolved"
        self.state = state if state in self.STATES else "unresolved"
        page = args.get("page") or ""
        self.page = min(int(page), 100_000) if page.isdigit() and int(page) > 0 else 1

    def keeps(self, item: Listed) -> bool:
        """Return True if the item's review state passes the state filter."""
        if self.state == "all":
            return True
        if self.state == "unresolved":
            return item.state != "resolved"
        return item.state == self.state
