"""Telling followers that a new event was published where they follow.

Runs in the transaction that saved the event (``app.events.hooks.saved``). Only published
public or internal events count (never a confidential one: its title is not for followers),
and each follower hears of an event once (cause ``subscription:<event id>``), however often it
is saved afterwards. Publishing stays fast: one prepared statement, no users loaded.
"""

from datetime import datetime
from functools import cache

from sqlalchemy import (
    JSON,
    Insert,
    Integer,
    String,
    and_,
    bindparam,
    cast,
    null,
    or_,
    select,
)

from app.accounts.models import User
from app.events.models import Event, Status, Visibility
from app.extensions import db
from app.notifications.service import insert_told, recipients_of, write
from app.subscriptions.models import Subscription
from app.venues.models import Venue


def _when(event: Event) -> str:
    """Return the event's local start as a short numeric date (and time)."""
    if event.all_day:
        return event.start_local.strftime("%d.%m.%Y")
    return event.start_local.strftime("%d.%m.%Y, %H:%M")


def notify_subscribers(event: Event, actor, now: datetime) -> None:
    """Notify the followers of a newly published public or internal event, once per event."""
    if event.status != Status.PUBLISHED or event.visibility == Visibility.CONFIDENTIAL:
        return
    facts = {"event": event.title, "when": _when(event), "department": event.department.name}
    write(
        _statement(db.session.get_bind().dialect.name),
        now=now,
        actor=actor,
        departments=sorted(event.host_department_ids),
        venue_id=event.venue_id,
        audiences=[a.id for a in event.audiences],
        facts=facts,
        url=f"/events/{event.id}",
        cause=f"subscription:{event.id}",
    )


@cache
def _statement(dialect: str) -> Insert:
    """Return the statement that tells an event's followers (built once per dialect).

    One INSERT … SELECT: publishing loads no users, and the venue's district is looked up in
    the same statement. Bind parameters: the hosting ``departments``, ``venue_id``, the
    ``audiences``, the ``facts``, ``url`` and ``cause``.
    """
    venue_id = bindparam("venue_id", type_=Integer)
    district = select(Venue.district_id).where(Venue.id == venue_id).scalar_subquery()
    target, kind = Subscription.target_id, Subscription.kind
    match = or_(
        and_(kind == "department", target.in_(bindparam("departments", expanding=True))),
        and_(kind == "venue", target == venue_id),
        and_(kind == "district", target == district),
        and_(kind == "audience", target.in_(bindparam("audiences", expanding=True))),
    )
    users = User.__table__
    joined, mode, allowed = recipients_of("subscription")
    source = (
        select(
            users.c.id.label("user_id"),
            bindparam("facts", type_=JSON).label("params"),
            bindparam("url", type_=String).label("url"),
            bindparam("cause", type_=String).label("cause"),
            cast(null(), Integer).label("contact_id"),
            mode.label("mode"),
        )
        .select_from(joined)
        .where(allowed, users.c.id.in_(select(Subscription.user_id).where(match)))
    )
    return insert_told("subscription", source, dialect)
