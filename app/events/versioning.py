"""A calendar-wide version counter that makes feed ETags one primary-key lookup."""

from datetime import UTC, datetime
from itertools import chain

from sqlalchemy import event, insert, select, update
from sqlalchemy.orm import Session

from app.departments.models import Department
from app.events.models import CalendarVersion, Event
from app.venues.models import Venue
from app.vocabularies.models import Audience, Category, District

# Anything that can change what a feed or a calendar page shows.
WATCHED = (Event, Venue, Department, Audience, Category, District)
_FLAG = "calendar_version_bumped"


@event.listens_for(Session, "before_flush")
def _bump_on_change(session: Session, _context, _instances) -> None:
    """Raise the version once per transaction in which a watched row changes."""
    for obj in session.dirty:
        if isinstance(obj, Event) and session.is_modified(obj):
            obj.revision = (obj.revision or 0) + 1
    changed = [
        o for o in chain(session.new, session.dirty, session.deleted) if isinstance(o, WATCHED)
    ]
    if not changed:
        return
    master = any(not isinstance(obj, Event) for obj in changed)
    if session.info.get(_FLAG) == "master" or (session.info.get(_FLAG) and not master):
        return
    now = datetime.now(UTC)
    values = {"version": CalendarVersion.version + 1, "changed_at": now}
    if master:
        values["master_version"] = CalendarVersion.master_version + 1
    result = session.execute(
        update(CalendarVersion).where(CalendarVersion.id == 1).values(**values)
    )
    if result.rowcount == 0:
        session.execute(
            insert(CalendarVersion).values(id=1, version=1, master_version=1, changed_at=now)
        )
    session.info[_FLAG] = "master" if master else "events"


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _reset(session: Session) -> None:
    """Allow the next transaction to bump again."""
    session.info.pop(_FLAG, None)


def current(session: Session) -> tuple[int, int, datetime | None]:
    """Return the version, the master-data version and the time of the last change."""
    row = session.execute(
        select(
            CalendarVersion.version, CalendarVersion.master_version, CalendarVersion.changed_at
        ).where(CalendarVersion.id == 1)
    ).first()
    return (row.version, row.master_version, row.changed_at) if row else (0, 0, None)
