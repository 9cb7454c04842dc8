"""Telling followers that a new event was published where they follow.

Runs in the transaction that saved the event (``app.events.hooks.saved``). Only published
public or internal events count (never a confidential one: its title is not for followers),
and each follower hears of an event once (cause ``subscription:<event id>``), however often it
is saved afterwards.
"""

from datetime import datetime

from sqlalchemy import and_, or_, select

from app.accounts.models import User
from app.events.models import Event, Status, Visibility
from app.extensions import db
from app.notifications.service import notify
from app.subscriptions.models import Subscription


def _when(event: Event) -> str:
    """Return the event's local start as a short numeric date (and time)."""
    if event.all_day:
        return event.start_local.strftime("%d.%m.%Y")
    return event.start_local.strftime("%d.%m.%Y, %H:%M")


def followers(event: Event) -> list[User]:
    """Return the active users who follow a department, venue, audience or district of it."""
    wanted = [("department", i) for i in event.host_department_ids]
    if event.venue_id is not None:
        wanted.append(("venue", event.venue_id))
        if event.venue is not None and event.venue.district_id is not None:
            wanted.append(("district", event.venue.district_id))
    wanted += [("audience", a.id) for a in event.audiences]
    match = or_(*(and_(Subscription.kind == k, Subscription.target_id == t) for k, t in wanted))
    return list(
        db.session.scalars(
            select(User)
            .where(
                User.active.is_(True),
                User.id.in_(select(Subscription.user_id).where(match)),
            )
            .order_by(User.id)
        )
    )


def notify_subscribers(event: Event, actor, now: datetime) -> None:
    """Notify the followers of a newly published public or internal event, once per event."""
    if event.status != Status.PUBLISHED or event.visibility == Visibility.CONFIDENTIAL:
        return
    users = followers(event)
    if not users:
        return
    notify(
        users,
        "subscription",
        params={"event": event.title, "when": _when(event), "department": event.department.name},
        url=f"/events/{event.id}",
        cause=f"subscription:{event.id}",
        now=now,
        actor=actor,
    )
