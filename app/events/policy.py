"""Who may see and change which event; the single place for these rules."""

from sqlalchemy import and_, exists, false, or_, select, true
from sqlalchemy.sql.elements import ColumnElement

from app.accounts.models import Role, User
from app.departments.models import Department
from app.events.models import Event, Status, Visibility, event_cohosts


def _user(user) -> User | None:
    """Return the user if logged in, None for anonymous visitors."""
    return user if user is not None and getattr(user, "is_authenticated", False) else None


def is_host(user, event: Event) -> bool:
    """Return True if the user's department owns or co-hosts the event."""
    user = _user(user)
    return (
        user is not None
        and user.department_id is not None
        and user.department_id in event.host_department_ids
    )


def _ever_published(event: Event) -> bool:
    """Return True for published events and for cancelled ones that had been published."""
    return event.status == Status.PUBLISHED or (
        event.status == Status.CANCELLED and event.published_at is not None
    )


def can_view(user, event: Event) -> bool:
    """Return True if the user may see the event at all (perhaps only as "reserved")."""
    user = _user(user)
    if user is None:
        return event.visibility == Visibility.PUBLIC and _ever_published(event)
    return user.sees_everything or is_host(user, event) or _ever_published(event)


def can_see_details(user, event: Event) -> bool:
    """Return True if the user may see title, description and guests' view of the event."""
    if not can_view(user, event):
        return False
    if event.visibility != Visibility.CONFIDENTIAL:
        return True
    user = _user(user)
    return user is not None and (user.sees_everything or is_host(user, event))


def can_edit(user, event: Event) -> bool:
    """Return True if the user may edit, publish or cancel the event."""
    user = _user(user)
    if user is None:
        return False
    return user.sees_everything or (user.role == Role.STAFF and is_host(user, event))


def can_create_for(user, department: Department) -> bool:
    """Return True if the user may create events owned by the department (never privacy)."""
    user = _user(user)
    if user is None or user.role == Role.PRIVACY:
        return False
    return user.sees_everything or user.department_id == department.id


def hosted_by(department_id: int) -> ColumnElement[bool]:
    """SQL condition: the event is owned or co-hosted by the department."""
    cohosted = exists(
        select(1).where(
            event_cohosts.c.event_id == Event.id,
            event_cohosts.c.department_id == department_id,
        )
    )
    return or_(Event.department_id == department_id, cohosted)


def _ever_published_clause() -> ColumnElement[bool]:
    """SQL condition matching _ever_published."""
    return or_(
        Event.status == Status.PUBLISHED,
        and_(Event.status == Status.CANCELLED, Event.published_at.is_not(None)),
    )


def visible_clause(user) -> ColumnElement[bool]:
    """SQL condition selecting exactly the events can_view allows."""
    user = _user(user)
    if user is None:
        return and_(Event.visibility == Visibility.PUBLIC, _ever_published_clause())
    if user.sees_everything:
        return true()
    own = hosted_by(user.department_id) if user.department_id else false()
    return or_(_ever_published_clause(), own)


def details_clause(user) -> ColumnElement[bool]:
    """SQL condition selecting exactly the events can_see_details allows."""
    user = _user(user)
    if user is not None and user.sees_everything:
        return true()
    own = hosted_by(user.department_id) if user is not None and user.department_id else false()
    return and_(visible_clause(user), or_(Event.visibility != Visibility.CONFIDENTIAL, own))


def public_clause() -> ColumnElement[bool]:
    """SQL condition for events anyone may see, logged in or not."""
    return visible_clause(None)
