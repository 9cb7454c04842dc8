"""The conflict record, its key and its order; shared by both entry points and every kind."""

import hashlib
from dataclasses import dataclass, field
from datetime import date

from app.conflicts.models import Severity

# The kinds in display order (see ``app.conflicts.kinds.ALL`` for their implementations).
KINDS = ("venue", "person", "audience", "holiday", "blocked", "capacity", "duplicate")
SEVERITY_RANK = {Severity.HARD: 0, Severity.WARNING: 1, Severity.INFO: 2}


class LazyText:
    """A message composed when first read: a window has hundreds of conflicts, a page shows 25.

    Reads like a string (``str``, ``in``, ``==``, ``+``); it has no ``__html__``, so templates
    escape it like any text.
    """

    __slots__ = ("_build", "_text")

    def __init__(self, build):
        self._build = build
        self._text: str | None = None

    def __str__(self) -> str:
        if self._text is None:
            self._text = str(self._build())
            self._build = None
        return self._text

    def __repr__(self) -> str:
        return repr(str(self))

    def __contains__(self, item: str) -> bool:
        return item in str(self)

    def __eq__(self, other) -> bool:
        return str(self) == (str(other) if isinstance(other, LazyText) else other)

    def __hash__(self) -> int:
        return hash(str(self))

    def __add__(self, other: str) -> str:
        return str(self) + other

    def __radd__(self, other: str) -> str:
        return other + str(self)


@dataclass
class Conflict:
    """One clash: what kind, how bad, why, which events, and a stable key for reviews."""

    kind: str
    severity: Severity
    message: str | LazyText
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
            "message": str(self.message),
            "event_ids": self.event_ids,
            "details": self.details,
        }


def fingerprint(events: list, extra: str = "") -> str:
    """Return a digest of the events involved, where and when (reviews go stale when one moves).

    Not SEQUENCE: that also rises for a new title, which leaves a clash as it was reviewed.
    """
    parts = sorted(
        f"{e.id}:{e.venue_id}:{e.occupied_from.isoformat()}:{e.occupied_until.isoformat()}:"
        f"{e.status}"
        for e in events
    )
    return hashlib.sha256((",".join(parts) + "|" + extra).encode()).hexdigest()


def pair_key(kind: str, first: int | None, second: int) -> str:
    """Return the key of a conflict between two events (order does not matter)."""
    if first is None:
        return f"{kind}:new:{second}"
    low, high = sorted((first, second))
    return f"{kind}:{low}:{high}"


def pair_of(key: str) -> frozenset[int] | None:
    """Return the two event ids of a pair key ("venue:3:7"), None when it is not one."""
    parts = key.split(":")
    if len(parts) != 3 or not (parts[1].isdigit() and parts[2].isdigit()):
        return None
    return frozenset((int(parts[1]), int(parts[2])))


def sort(conflicts: list[Conflict]) -> list[Conflict]:
    """Order by severity, then day, then kind."""
    return sorted(
        conflicts, key=lambda c: (SEVERITY_RANK[c.severity], c.day, KINDS.index(c.kind), c.key)
    )
