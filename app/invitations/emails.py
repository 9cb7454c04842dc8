"""Invitation mails as every calendar client expects them (RFC 5545/5546/6047).

One mail per guest: text, HTML and a ``text/calendar; method=…`` part inside
multipart/alternative, plus a byte-identical ``application/ics`` attachment.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import encoders
from email.charset import QP, Charset
from email.header import Header
from email.message import Message
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime as rfc2822_date
from email.utils import formataddr
from zoneinfo import ZoneInfo

from flask import render_template
from flask_babel import force_locale
from icalendar import vCalAddress, vText

from app.events import ics
from app.events.changes import Snapshot
from app.events.models import Event, Status
from app.invitations.models import Answer, Invitation
from app.invitations.salutation import salutation
from app.invitations.tokens import token_for

PARTSTAT = {
    Answer.PENDING: "NEEDS-ACTION",
    Answer.ACCEPTED: "ACCEPTED",
    Answer.DECLINED: "DECLINED",
    Answer.TENTATIVE: "TENTATIVE",
    Answer.WAITLISTED: "TENTATIVE",
}
# Kinds of mail; CANCEL removes the entry, the others carry a REQUEST.
QP_UTF8 = Charset("utf-8")
QP_UTF8.body_encoding = QP
KINDS = (
    "invitation",
    "update",
    "cancel",
    "reminder",
    "confirmation",
    "moved_up",
    "withdrawal",  # this guest's invitation is withdrawn: a CANCEL to them alone
    "resend",  # the current invitation again, with the guest's answer as it stands
)
CANCELS = ("cancel", "withdrawal")


@dataclass(frozen=True)
class MailSettings:
    """What composing needs from the configuration."""

    secret_key: str
    base_url: str
    mail_domain: str
    sender: str


@dataclass(frozen=True)
class ChangeNote:
    """What an update or cancellation tells: the event as the guest knew it, and a message."""

    before: Snapshot | None = None
    changed: list[str] = field(default_factory=list)  # time, place, title
    message: str = ""

    @classmethod
    def between(cls, before: Snapshot | None, event: Event, *, message: str = "") -> "ChangeNote":
        """Return the note for a change from what the guest knew to the event as it is."""
        changed = before.differs(Snapshot.of(event)) if before is not None else []
        return cls(before if changed else None, changed, message)

    @property
    def asks_again(self) -> bool:
        """Return True unless the change is known to leave date and time as they were."""
        return self.before is None or "time" in self.changed


def _clean_cn(value: str) -> str:
    """Strip what breaks CN parameters in some clients (quotes, line breaks, control characters)."""
    return " ".join(ics.one_line(value).replace('"', "").split())


def organizer_address(invitation: Invitation, settings: MailSettings) -> str:
    """Return the per-invitation reply address that identifies the invitation in replies."""
    token = token_for(invitation.token_nonce, settings.secret_key)
    return f"rsvp+{token}@{settings.mail_domain}"


def _asks_again(kind: str, change: ChangeNote | None) -> bool:
    """Return True when the guest is asked to answer (invitation, reminder, a new time)."""
    if kind == "update":
        return change is None or change.asks_again
    return kind in ("invitation", "reminder", "resend")


def calendar_bytes(
    invitation: Invitation,
    kind: str,
    settings: MailSettings,
    now: datetime,
    change: ChangeNote | None = None,
) -> bytes:
    """Return the iTIP object: REQUEST with the guest as the only ATTENDEE, or CANCEL.

    An update that keeps date and time keeps the guest's answer (PARTSTAT, RSVP=FALSE).
    """
    event: Event = invitation.event
    method = "CANCEL" if kind in CANCELS else "REQUEST"
    cal = ics.calendar_header(event.title, method=method)
    vevent = ics.build_vevent(event, masked=False, url=None, dtstamp=now)
    vevent.pop("TRANSP", None)
    if kind in CANCELS:
        vevent["STATUS"] = vText("CANCELLED")
    organizer = vCalAddress(f"mailto:{organizer_address(invitation, settings)}")
    organizer.params["CN"] = vText(_clean_cn(event.department.name))
    vevent.add("organizer", organizer)
    contact = invitation.contact
    attendee = vCalAddress(f"mailto:{contact.email}")
    attendee.params["CUTYPE"] = vText("INDIVIDUAL")
    attendee.params["ROLE"] = vText("REQ-PARTICIPANT")
    asks = _asks_again(kind, change)
    known = kind in ("reminder", "resend")  # the guest's answer as it stands
    stat = "NEEDS-ACTION" if asks and not known else PARTSTAT[invitation.status]
    attendee.params["PARTSTAT"] = vText(stat)
    attendee.params["RSVP"] = vText("TRUE" if asks else "FALSE")
    attendee.params["CN"] = vText(_clean_cn(contact.full_name or contact.email))
    vevent.add("attendee", attendee)
    vevent.add("x-microsoft-disallow-counter", "TRUE")
    body = vevent.to_ical()
    tzids = [] if event.all_day else [event.timezone]
    return ics.assemble(cal, tzids, [body])


def _context(
    invitation: Invitation, kind: str, settings: MailSettings, change: ChangeNote | None
) -> dict:
    """Return what the mail templates need."""
    event = invitation.event
    change = change or ChangeNote()
    before = change.before
    token = token_for(invitation.token_nonce, settings.secret_key)
    zone = ZoneInfo(event.timezone)
    departments = [link.department.name for link in invitation.departments] or [
        event.department.name
    ]
    return {
        "invitation": invitation,
        "event": event,
        "kind": kind,
        "cancelled": kind == "cancel" or event.status == Status.CANCELLED,
        "salutation": salutation(invitation.contact, invitation.contact.language),
        "departments": departments,
        "rsvp_url": f"{settings.base_url}/rsvp/{token}",
        "optout_url": f"{settings.base_url}/rsvp/{token}/optout",
        "privacy_url": f"{settings.base_url}/datenschutz",  # app.privacy's notice page
        "starts": event.start_local.replace(tzinfo=zone),
        "ends": event.end_local.replace(tzinfo=zone),
        "deadline": event.rsvp_deadline.astimezone(zone) if event.rsvp_deadline else None,
        "change": change,
        "asks_again": _asks_again(kind, change),
        "before_starts": before.start.replace(tzinfo=zone) if before else None,
        "before_ends": before.end.replace(tzinfo=zone) if before else None,
    }


def _text_part(body: str, subtype: str) -> MIMEText:
    """Return a UTF-8 text part in quoted-printable, readable in any raw mail view."""
    return MIMEText(body, subtype, QP_UTF8)


def _calendar_part(data: bytes, maintype: str, subtype: str, **params: str) -> MIMEBase:
    """Return a base64 part carrying the iCalendar bytes unchanged."""
    part = MIMEBase(maintype, subtype, **params)
    part.set_payload(data)
    encoders.encode_base64(part)
    return part


def compose(
    invitation: Invitation,
    kind: str,
    settings: MailSettings,
    now: datetime,
    change: ChangeNote | None = None,
) -> Message:
    """Build the complete mail of a kind for one invitation, in the guest's language.

    The email.mime classes with the compat32 policy are used: the modern EmailMessage parses
    every header it is given, which costs more than the rest of a mail in bulk rounds.
    """
    assert kind in KINDS, kind
    language = invitation.contact.language if invitation.contact.language in ("de", "en") else "de"
    context = _context(invitation, kind, settings, change)
    with force_locale(language):
        subject = render_template("email/subject.txt", **context).strip()
        text = render_template("email/invitation.txt", **context)
        html = render_template("email/invitation.html", **context)
    calendar = calendar_bytes(invitation, kind, settings, now, change)
    method = "CANCEL" if kind in CANCELS else "REQUEST"
    event = invitation.event
    alternative = MIMEMultipart("alternative")
    alternative.attach(_text_part(text, "plain"))
    alternative.attach(_text_part(html, "html"))
    alternative.attach(_calendar_part(calendar, "text", "calendar", method=method, charset="utf-8"))
    message = MIMEMultipart("mixed")
    # A Header object, folded by the generator knowing the field name: a pre-encoded string
    # would be folded again by compat32, starting with an empty first line.
    message["Subject"] = Header(subject, "utf-8", header_name="Subject")
    message["From"] = settings.sender
    message["To"] = formataddr((_clean_cn(invitation.contact.full_name), invitation.contact.email))
    if event.department.email:
        message["Reply-To"] = formataddr((event.department.name, event.department.email))
    message["Date"] = rfc2822_date(now.astimezone(UTC))
    message["Content-Language"] = language
    message.attach(alternative)
    attachment = _calendar_part(calendar, "application", "ics", name="invite.ics")
    attachment.add_header("Content-Disposition", "attachment", filename="invite.ics")
    message.attach(attachment)
    return message
