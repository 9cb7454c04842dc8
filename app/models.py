"""Imports every model so that the metadata, Alembic and the shell know all tables."""

from app.accounts.models import ApiToken, Role, User
from app.audit.models import AuditEntry
from app.cohosting.models import CohostRequest
from app.conflicts.models import BlockedRange, ConflictReview, PublishOverride, SchoolHoliday
from app.contacts.models import Contact, ContactImport, ContactMerge, NotDuplicate, Tag
from app.departments.models import Department
from app.events.changes import EventChange
from app.events.models import CalendarVersion, Event, Status, Visibility
from app.invitations.models import Answer, Invitation, InvitationDepartment
from app.mail.models import MailStatus, OutboxMessage
from app.notifications.models import Notification, NotificationSetting
from app.privacy.models import PrivacyNotice
from app.privacy.suppression import Suppression
from app.subscriptions.models import Subscription
from app.venues.models import Venue
from app.vocabularies.models import Audience, Category, District

__all__ = [
    "CohostRequest",
    "BlockedRange",
    "ConflictReview",
    "PublishOverride",
    "SchoolHoliday",
    "Answer",
    "Contact",
    "ContactImport",
    "ContactMerge",
    "NotDuplicate",
    "Invitation",
    "InvitationDepartment",
    "MailStatus",
    "Notification",
    "NotificationSetting",
    "OutboxMessage",
    "PrivacyNotice",
    "Suppression",
    "Tag",
    "ApiToken",
    "AuditEntry",
    "Audience",
    "CalendarVersion",
    "Category",
    "Department",
    "District",
    "Event",
    "EventChange",
    "Role",
    "Status",
    "Subscription",
    "User",
    "Venue",
    "Visibility",
]
