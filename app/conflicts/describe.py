"""Wording basics and masking of conflicts: dates and titles as a viewer reads them, and what a
viewer may see of another event or another department's guests.

The kinds (``app.conflicts.kinds``) find the clashes; the wording and severity rule of each kind
is in ``describe_venue`` (venue and capacity), ``describe_people`` (person and audience) and
``describe_days`` (holiday and blocked); they all name other events through the ``Describer``
here, for one proposal ("this event ...") and for a window ("both ...").
"""

from datetime import date, datetime, timedelta
from functools import lru_cache

from babel import Locale
from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _

from app.conflicts.facts import EventFacts
from app.events import policy
from app.events.walltime import utc_to_local

# --- dates and names -------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _names(language: str):
    locale = Locale.parse(language)
    return locale.days["format"]["abbreviated"], locale.months["format"]["abbreviated"]


def short_day(day: date) -> str:
    """Return e.g. "Mi. 3. Feb. 2027" / "Wed 3 Feb 2027" (fast: the list formats hundreds)."""
    language = "de" if str(get_locale() or "de").startswith("de") else "en"
    days, months = _names(language)
    if language == "de":
        return f"{days[day.weekday()]} {day.day}. {months[day.month]} {day.year}"
    return f"{days[day.weekday()]} {day.day} {months[day.month]} {day.year}"


def when(start: datetime, end: datetime, all_day: bool = False) -> str:
    """Return a short local description of a UTC range."""
    tz = current_app.config["TIMEZONE"]
    local_start, local_end = utc_to_local(start, tz), utc_to_local(end, tz)
    if all_day:
        last = (local_end - timedelta(seconds=1)).date()
        first = short_day(local_start.date())
        return first if last == local_start.date() else f"{first} – {short_day(last)}"
    text = f"{short_day(local_start.date())}, {local_start:%H:%M} – "
    if local_end.date() == local_start.date():
        return text + f"{local_end:%H:%M}"
    return text + f"{short_day(local_end.date())}, {local_end:%H:%M}"


def quoted(title: str) -> str:
    """Return a title in the quotation marks of the current language."""
    return _("“%(title)s”", title=title)


# --- masking ---------------------------------------------------------------------------------


class Describer:
    """Names other events as the viewer may see them ("reserved" when not)."""

    def __init__(self, viewer, events: dict[int, EventFacts]):
        self.viewer = viewer
        self.events = events
        self._masked: dict[int, bool] = {}
        self._details: dict[int, dict] = {}

    def masked(self, event: EventFacts) -> bool:
        """Return True when the viewer may not see the event's details."""
        if event.id not in self._masked:
            self._masked[event.id] = not policy.can_see_details(self.viewer, event)
        return self._masked[event.id]

    def title(self, event: EventFacts) -> str:
        """Return the title, or "Reserved"."""
        return _("Reserved") if self.masked(event) else event.title

    def contact(self, event: EventFacts) -> dict:
        """Return who to ask about the event: its creator, else its department."""
        if event.holder_email:
            return {"name": event.holder_name, "email": event.holder_email}
        return {"name": event.department_name, "email": event.department_email}

    def details(self, event: EventFacts) -> dict:
        """Return what the API shows about another event (built once per event: a window
        names the same events in many conflicts; treat the result as read-only)."""
        found = self._details.get(event.id)
        if found is None:
            found = self._details[event.id] = self._build_details(event)
        return found

    def _build_details(self, event: EventFacts) -> dict:
        if self.masked(event):
            return {"id": event.id, "title": _("Reserved"), "masked": True}
        return {
            "id": event.id,
            "title": event.title,
            "department": event.department_name,
            "department_code": event.department_code,
            "contact": self.contact(event),
            "status": event.status.value,
            "starts_at": event.starts_at.isoformat(),
            "ends_at": event.ends_at.isoformat(),
        }

    def holder(self, event: EventFacts) -> str:
        """Return "title (department, contact)" for the room holder."""
        if self.masked(event):
            return _("Reserved")
        who = self.contact(event)
        return _(
            "“%(title)s” (%(department)s, contact: %(contact)s)",
            title=event.title,
            department=event.department_name,
            contact=f"{who['name']} <{who['email']}>" if who["email"] else who["name"],
        )


def sees_all_guests(viewer) -> bool:
    """Return True for the communications team and administrators: every guest list is theirs."""
    return bool(getattr(viewer, "sees_everything", False))


def shows_guests(viewer, a: EventFacts, b: EventFacts, describe: Describer) -> bool:
    """Return True if the viewer may see the guests a pair of events shares.

    Both guest lists must be open to the viewer in full (a hidden event gives no conflict, not
    even a count), and for staff one of the events must be their department's: the shared
    guests are then guests of their own event, never only of others' lists.
    """
    if describe.masked(a) or describe.masked(b):
        return False
    return sees_all_guests(viewer) or policy.is_host(viewer, a) or policy.is_host(viewer, b)
