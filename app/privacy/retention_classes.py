"""The retention classes that need nothing but the existing tables.

RSVP comments and needs after the event, sent mail bodies (headers kept), contacts with no
invitation and no change, audit entries, the bytes of inbound mail (``app.inbound.inbox``) and
notifications.
Every purge writes at most ``limit`` rows, chosen by primary key in one statement
(``… WHERE id IN (SELECT id … LIMIT n)``), so a batch is short whatever the table's size.
"""

from collections.abc import Mapping
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import Select, bindparam, delete, exists, func, select, text, update
from sqlalchemy.orm import aliased

from app.audit.models import AuditEntry
from app.contacts.models import Contact, ContactMerge
from app.events.models import Event
from app.extensions import db
from app.inbound.inbox import purge as purge_inbound
from app.inbound.models import InboundMessage, State
from app.invitations.models import NOTES_PREDICATE, Invitation
from app.mail.models import BODY_KEPT_PREDICATE, MailStatus, OutboxMessage
from app.notifications.models import Notification
from app.privacy.retention import RetentionClass, days_before, months_before

CONTACT_MODES = ("delete", "review")


def _count(query: Select) -> int:
    """Return the number of rows a select of ids yields."""
    return db.session.scalar(select(func.count()).select_from(query.subquery())) or 0


def _days(n: int) -> str:
    """Return "n days" in the current language."""
    return ngettext("%(num)d day", "%(num)d days", n)


def _months(n: int) -> str:
    """Return "n months" in the current language."""
    return ngettext("%(num)d month", "%(num)d months", n)


# RSVP comments and needs (dietary, accessibility: Art. 9 data) after the event ended.


def _rsvp_text_due(now: datetime, config: Mapping) -> Select:
    """Select invitations with a comment or needs whose event ended before the period."""
    cutoff = days_before(now, config["RETENTION_RSVP_TEXT_DAYS"])
    return (
        select(Invitation.id)
        .join(Event, Event.id == Invitation.event_id)
        # Spelled as the partial index ix_invitations_notes, so that the planner uses it.
        .where(Event.ends_at < cutoff, text(f"({NOTES_PREDICATE})"))
    )


def _rsvp_text_purge(now: datetime, config: Mapping, limit: int) -> int:
    """Empty comment and needs of a batch of invitations."""
    batch = _rsvp_text_due(now, config).limit(limit).scalar_subquery()
    return db.session.execute(
        update(Invitation)
        .where(Invitation.id.in_(batch))
        .values(comment="", needs="")
        .execution_options(synchronize_session=False)
    ).rowcount


RSVP_TEXT = RetentionClass(
    name="rsvp_text",
    label=_l("RSVP comments and needs"),
    period=lambda c: _(
        "%(period)s after the event ends", period=_days(c["RETENTION_RSVP_TEXT_DAYS"])
    ),
    count=lambda now, c: _count(_rsvp_text_due(now, c)),
    purge=_rsvp_text_purge,
    tables=("invitations",),
)


# Sent mail: the body goes, the headers (date, recipient, subject, Message-ID) stay.


def _mail_due(now: datetime, config: Mapping) -> Select:
    """Select sent outbox rows whose body is still stored after the period."""
    cutoff = days_before(now, config["RETENTION_MAIL_BODY_DAYS"])
    return select(OutboxMessage.id).where(
        OutboxMessage.status == MailStatus.SENT,
        OutboxMessage.sent_at < cutoff,
        text(BODY_KEPT_PREDICATE),  # as the partial index ix_outbox_body_kept
    )


def headers_only(message: bytes) -> bytes:
    """Return the header block of an RFC 5322 message, ending with the empty line."""
    for separator in (b"\r\n\r\n", b"\n\n"):
        head, found, _body = message.partition(separator)
        if found:
            return head + separator
    return message


def _mail_purge(now: datetime, config: Mapping, limit: int) -> int:
    """Replace a batch of sent messages by their headers."""
    ids = db.session.scalars(_mail_due(now, config).limit(limit)).all()
    if not ids:
        return 0
    rows = db.session.execute(
        select(OutboxMessage.id, OutboxMessage.message).where(OutboxMessage.id.in_(ids))
    ).all()
    db.session.execute(
        update(OutboxMessage.__table__)
        .where(OutboxMessage.__table__.c.id == bindparam("row_id"))
        .values(message=bindparam("head"), body_dropped_at=now),
        [{"row_id": row.id, "head": headers_only(row.message)} for row in rows],
    )
    return len(ids)


MAIL_BODIES = RetentionClass(
    name="mail_bodies",
    label=_l("Bodies of sent mails"),
    period=lambda c: _("%(period)s after delivery", period=_days(c["RETENTION_MAIL_BODY_DAYS"])),
    count=lambda now, c: _count(_mail_due(now, c)),
    purge=_mail_purge,
    tables=("outbox",),
)


# Contacts with no invitation and no change. Kept: merged records and the survivors they point
# to (the merge log needs both), and people who asked for no more invitations (the flag is
# what keeps a later import from inviting them again).


def contacts_due(now: datetime, config: Mapping) -> Select:
    """Select contacts unchanged for the period that no invitation or merge refers to."""
    cutoff = months_before(now, config["RETENTION_CONTACTS_MONTHS"])
    merged = aliased(Contact)
    return select(Contact.id).where(
        Contact.updated_at < cutoff,
        Contact.created_at < cutoff,
        Contact.merged_into_id.is_(None),
        Contact.do_not_invite.is_(False),
        ~exists().where(Invitation.contact_id == Contact.id),
        ~exists().where(merged.merged_into_id == Contact.id),
        ~exists().where(ContactMerge.survivor_id == Contact.id),
        ~exists().where(ContactMerge.merged_id == Contact.id),
    )


def contacts_for_review(now: datetime, config: Mapping, limit: int = 200) -> list[Contact]:
    """Return the first contacts due (by id), for the review list of the retention page."""
    ids = contacts_due(now, config).order_by(Contact.id).limit(limit)
    return list(db.session.scalars(select(Contact).where(Contact.id.in_(ids)).order_by(Contact.id)))


def _contacts_purge(now: datetime, config: Mapping, limit: int) -> int:
    """Delete a batch of contacts (tags, further addresses, decisions go with them)."""
    batch = contacts_due(now, config).limit(limit).scalar_subquery()
    return db.session.execute(
        delete(Contact).where(Contact.id.in_(batch)).execution_options(synchronize_session=False)
    ).rowcount


CONTACTS = RetentionClass(
    name="contacts",
    label=_l("Contacts with no invitation and no change"),
    period=lambda c: _months(c["RETENTION_CONTACTS_MONTHS"]),
    count=lambda now, c: _count(contacts_due(now, c)),
    purge=_contacts_purge,
    tables=("contacts", "contact_tags", "contact_addresses", "contact_not_duplicates"),
    deletes=lambda c: c["RETENTION_CONTACTS_MODE"] == "delete",
)


# Audit entries by age (the one deletion the append-only trigger allows, see app.audit).


def _audit_due(now: datetime, config: Mapping) -> Select:
    """Select audit entries older than the period."""
    return select(AuditEntry.id).where(
        AuditEntry.at < months_before(now, config["RETENTION_AUDIT_MONTHS"])
    )


def _audit_purge(now: datetime, config: Mapping, limit: int) -> int:
    """Delete a batch of old audit entries (the caller allows it with ``privileged``)."""
    batch = _audit_due(now, config).limit(limit).scalar_subquery()
    return db.session.execute(
        delete(AuditEntry)
        .where(AuditEntry.id.in_(batch))
        .execution_options(synchronize_session=False)
    ).rowcount


AUDIT = RetentionClass(
    name="audit",
    label=_l("Audit entries"),
    period=lambda c: _months(c["RETENTION_AUDIT_MONTHS"]),
    count=lambda now, c: _count(_audit_due(now, c)),
    purge=_audit_purge,
    tables=("audit_log",),
    audit_rows=True,
)


# Inbound mail: the bytes of processed messages (the outcome stays), as `mail purge-inbound`.


def _inbound_due(now: datetime, config: Mapping) -> Select:
    """Select processed inbound messages whose bytes are still stored after the period."""
    cutoff = days_before(now, config["INBOUND_RETENTION_DAYS"])
    return select(InboundMessage.id).where(
        InboundMessage.processed_at < cutoff,
        InboundMessage.state != State.STORED,
        InboundMessage.raw.is_not(None),
    )


INBOUND = RetentionClass(
    name="inbound",
    label=_l("Received mail"),
    period=lambda c: _("%(period)s after processing", period=_days(c["INBOUND_RETENTION_DAYS"])),
    count=lambda now, c: _count(_inbound_due(now, c)),
    # One statement over the whole table (inbound is small and not locked by guests' answers).
    purge=lambda now, c, limit: purge_inbound(now=now, days=c["INBOUND_RETENTION_DAYS"]),
    tables=("inbound",),
)

# Notifications: they may name guests ("… is also invited by …"); old ones are of no use.


def _notifications_due(now: datetime, config: Mapping) -> Select:
    """Select notifications written before the period."""
    cutoff = days_before(now, config["RETENTION_NOTIFICATIONS_DAYS"])
    return select(Notification.id).where(Notification.created_at < cutoff)


def _notifications_purge(now: datetime, config: Mapping, limit: int) -> int:
    """Delete a batch of old notifications, oldest first (by key: no index on the time)."""
    batch = _notifications_due(now, config).order_by(Notification.id).limit(limit)
    return db.session.execute(
        delete(Notification)
        .where(Notification.id.in_(batch.scalar_subquery()))
        .execution_options(synchronize_session=False)
    ).rowcount


NOTIFICATIONS = RetentionClass(
    name="notifications",
    label=_l("Notifications"),
    period=lambda c: _days(c["RETENTION_NOTIFICATIONS_DAYS"]),
    count=lambda now, c: _count(_notifications_due(now, c)),
    purge=_notifications_purge,
    tables=("notifications",),
)

CORE = (RSVP_TEXT, MAIL_BODIES, CONTACTS, AUDIT, INBOUND, NOTIFICATIONS)
