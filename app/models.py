"""Imports every model so that the metadata, Alembic and the shell know all tables."""

from app.accounts.models import ApiToken, Role, User
from app.departments.models import Department
from app.events.models import CalendarVersion, Event, Status, Visibility
from app.venues.models import Venue
from app.vocabularies.models import Audience, Category, District

__all__ = [
    "ApiToken",
    "Audience",
    "CalendarVersion",
    "Category",
    "Department",
    "District",
    "Event",
    "Role",
    "Status",
    "User",
    "Venue",
    "Visibility",
]
