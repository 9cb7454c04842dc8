"""What events tell their departments: a cancellation by someone outside the department."""

from datetime import datetime

from app.events.models import Event
from app.notifications.service import department_staff, notify


def cancelled_by_outsider(event: Event, actor, now: datetime) -> None:
    """Notify the hosting departments' staff when someone from elsewhere cancelled the event."""
    hosts = event.host_department_ids
    if getattr(actor, "department_id", None) in hosts:
        return  # the department cancelled its own event: its people know
    who = getattr(actor, "name", "") or "—"
    if getattr(actor, "department", None) is not None:
        who = f"{who} ({actor.department.name})"
    notify(
        department_staff(hosts),
        "cancelled",
        params={"event": event.title, "actor": who},
        url=f"/events/{event.id}",
        cause=f"cancelled:{event.id}",
        now=now,
        actor=actor,
    )
