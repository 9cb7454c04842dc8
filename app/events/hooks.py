"""Where higher packages plug into events, filled at app start; events imports none of them.

``app.conflicts.register`` adds the publishing gate and the conflict panels of the event page
and the event form. Registration is idempotent (tests create many apps in one process).
"""

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.events.models import Event
    from app.events.proposal import Proposal
    from app.events.validation import EventInput

# Records what a check wants kept once the published event exists (e.g. the reason given).
AfterPublish = Callable[["Event", datetime], None]
# Raises ValidationError to refuse publishing; may return an AfterPublish.
PublishCheck = Callable[["Proposal", str, Any], AfterPublish | None]
# Extra template context of the event page (event, viewer) and of the event form (the input
# to check or None, the event or None, viewer).
PageContext = Callable[["Event", Any], dict]
FormContext = Callable[["EventInput | None", "Event | None", Any], dict]

publish_checks: list[PublishCheck] = []
page_context: list[PageContext] = []
form_context: list[FormContext] = []
# Called once an event was created, changed or its status set (flushed, in the transaction):
# (event, actor, now). The conflicts package notifies other departments of new clashes.
Saved = Callable[["Event", Any, datetime], None]
saved: list[Saved] = []
# How many guests a change or cancellation of the event would be mailed to (invitations).
guest_counters: list[Callable[["Event"], int]] = []


def add(registry: list, hook: Callable) -> None:
    """Register a hook once."""
    if hook not in registry:
        registry.append(hook)


def clear_for_publishing(proposal: "Proposal", reason: str, actor) -> list[AfterPublish]:
    """Run the publish checks (they raise to refuse) and return what to record afterwards."""
    results = (check(proposal, reason, actor) for check in publish_checks)
    return [after for after in results if after is not None]


def page_extras(event: "Event", viewer) -> dict:
    """Return the extra template context of the event page."""
    extras: dict = {}
    for provide in page_context:
        extras |= provide(event, viewer)
    return extras


def form_extras(data: "EventInput | None", event: "Event | None", viewer) -> dict:
    """Return the extra template context of the event form."""
    extras: dict = {}
    for provide in form_context:
        extras |= provide(data, event, viewer)
    return extras


def after_save(event: "Event", actor, now: datetime) -> None:
    """Run the hooks that follow a saved event."""
    for hook in saved:
        hook(event, actor, now)


def guests_to_inform(event: "Event") -> int:
    """Return how many guests would be told of a change or the cancellation of the event."""
    return sum(count(event) for count in guest_counters)
