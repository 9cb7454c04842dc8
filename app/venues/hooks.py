"""Checks higher packages add to saving a venue, filled at app start; venues imports none of them.

``app.conflicts.register`` adds the exclusive-venue overlap check and the guarded flush.
"""

from collections.abc import Callable, Mapping
from typing import Any

from app.extensions import db
from app.venues.models import Venue

# Gets the venue as stored and the submitted values; returns messages that refuse the change.
SaveCheck = Callable[[Venue, Mapping[str, Any]], list[str]]

save_checks: list[SaveCheck] = []
# Each flushes and raises ValidationError (on "venue_id") when the change lost a race.
flush_guards: list[Callable[[], None]] = []


def add(registry: list, hook: Callable) -> None:
    """Register a hook once."""
    if hook not in registry:
        registry.append(hook)


def refusals(venue: Venue, values: Mapping[str, Any]) -> list[str]:
    """Return the reasons the registered checks give against saving the values."""
    return [message for check in save_checks for message in check(venue, values)]


def flush() -> None:
    """Flush a venue change through the registered guards (a plain flush without any)."""
    for guard in flush_guards:
        guard()
    db.session.flush()
