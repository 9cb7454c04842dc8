"""What a received message means, and applying it: the order of issue 11, one message at a time.

Bounces are looked at before auto-replies: mail servers mark their delivery reports with
``Auto-Submitted: auto-replied`` too, yet a report of a permanent failure must reach the guest
list. Calendar replies set the answer exactly as the guest's link would (answers.respond).
"""

from datetime import datetime
from email.message import Message
from email.utils import parseaddr

from sqlalchemy import select
from sqlalchemy.orm import lazyload, selectinload

from app.contacts.dedup import email_key
from app.contacts.models import Contact
from app.errors import ValidationError
from app.events.models import Event
from app.extensions import db
from app.inbound import itip, mime, signals
from app.inbound.addresses import tokens_in
from app.inbound.models import InboundMessage, Kind, State
from app.inbound.replies import (
    Outcome,
    answer_values,
    attendee_of,
    recorded,
    wanted_answer,
)
from app.invitations import answers
from app.invitations.guestlist import BOUNCED
from app.invitations.models import Answer, Invitation
from app.invitations.tokens import token_hash
from app.mail.models import MailStatus, OutboxMessage
from app.mail.verp import outbox_id
from app.notifications.service import department_staff, notify

RECIPIENT_HEADERS = ("To", "Delivered-To", "X-Original-To", "Envelope-To", "Cc")


def _tokens(message: InboundMessage, parsed: Message | None = None) -> list[str]:
    """Return the reply tokens a message was sent to: the envelope, else (a file) the headers."""
    tokens = tokens_in([message.envelope_to]) if message.envelope_to else []
    if not tokens and parsed is not None:
        tokens = tokens_in([str(v) for name in RECIPIENT_HEADERS for v in parsed.get_all(name, [])])
    return tokens


def preload(
    messages: list[InboundMessage], parsed: dict[int, Message] | None = None
) -> dict[str, Invitation]:
    """Load the invitations a batch is addressed to, with contact and event, in one go.

    Returns {token hash: invitation}, found by the envelope or (a file) the headers;
    ``parsed`` ({message id: parsed message}) saves reading the headers again.
    """
    parsed = parsed or {}
    return invitations_of(
        {
            hashed
            for message in messages
            for hashed in token_hashes(
                message, parsed.get(message.id) or mime.parse_headers(message.raw or b"")
            )
        }
    )


def token_hashes(message: InboundMessage, parsed: Message) -> list[str]:
    """Return the hashes of the reply tokens a message was sent to, in order."""
    return [token_hash(token) for token in _tokens(message, parsed)]


def invitations_of(hashes: set[str]) -> dict[str, Invitation]:
    """Return {token hash: invitation} with contact and event, in one query and two loads."""
    if not hashes:
        return {}
    found = db.session.scalars(
        select(Invitation)
        .where(Invitation.token_hash.in_(hashes))
        .options(
            selectinload(Invitation.contact),
            selectinload(Invitation.event),
            lazyload(Invitation.departments),  # not needed to process; loaded if ever read
        )
    ).all()
    return {invitation.token_hash: invitation for invitation in found}


def process(
    message: InboundMessage,
    *,
    now: datetime,
    invitations: dict[str, Invitation] | None = None,
    parsed: Message | None = None,
) -> InboundMessage:
    """Classify a stored message and apply what it says; flushes, never commits.

    ``invitations`` ({token hash: invitation}, from ``preload``) saves a query per message,
    ``parsed`` (the message parsed from its bytes) a second parse.
    """
    parsed = mime.parse(message.raw or b"") if parsed is None else parsed
    outcome = _classify(message, parsed, now, invitations or {})
    about = {"subject": mime.header(parsed, "Subject")[:300], "from": _sender(parsed)}
    message.kind, message.state = outcome.kind, outcome.state
    message.invitation_id = outcome.invitation.id if outcome.invitation else None
    message.detail = {**(message.detail or {}), **about, **outcome.detail}
    message.processed_at = now
    db.session.flush()
    # A reply without the guest's token proves nothing about its sender: it waits on the page
    # (and in the event page's count) but sends nobody a notification.
    unproven = outcome.detail.get("reason") == "no_token"
    if outcome.state == State.REVIEW and outcome.invitation is not None and not unproven:
        _tell_hosts(message, outcome.invitation, about["from"], now)
    return message


def _tell_hosts(
    message: InboundMessage, invitation: Invitation, sender: str, now: datetime
) -> None:
    """Notify the hosting departments' staff that a reply about their event waits for review."""
    event = invitation.event
    notify(
        department_staff(event.host_department_ids),
        "inbound_review",
        params={"sender": sender or "—", "event": event.title},
        url=f"/inbound/?state=review&event_id={event.id}",
        cause=f"inbound_review:{message.id}",
        now=now,
        contact_id=invitation.contact_id,
    )


def _sender(parsed: Message) -> str:
    """Return the bare From address."""
    return parseaddr(mime.header(parsed, "From"))[1][:254]


def _classify(
    message: InboundMessage, parsed: Message, now: datetime, known: dict[str, Invitation]
) -> Outcome:
    """Return the outcome of one message, applying answers and delivery failures on the way."""
    invitation = _addressed(message, parsed, known)
    sent = _verp_row(message)
    if invitation is None and sent is not None and sent.invitation_id is not None:
        invitation = db.session.get(Invitation, sent.invitation_id)
    bounce = signals.bounce_of(parsed, message.envelope_from)
    if bounce is not None:
        return _bounced(bounce, invitation, now, sent)
    if signals.is_auto_reply(parsed):
        return Outcome(Kind.AUTO_REPLY, State.RECORDED, invitation)
    events = itip.replies(mime.calendar_texts(parsed))
    if events:
        return _calendar_reply(events, invitation, now)
    text = mime.plain_text(parsed)
    if invitation is None:
        return Outcome(Kind.UNKNOWN, State.REVIEW, None, {"text": text})
    same = _sender(parsed).casefold() == invitation.contact.email_key
    kind = Kind.HUMAN if same else Kind.OTHER_SENDER
    return Outcome(kind, State.REVIEW, invitation, {"text": text})


def _addressed(
    message: InboundMessage, parsed: Message, known: dict[str, Invitation]
) -> Invitation | None:
    """Return the live invitation whose reply address the message was sent to, or None.

    The envelope decides; the headers only when the envelope names no reply address (a file).
    """
    for token in _tokens(message, parsed):
        hashed = token_hash(token)
        invitation = known.get(hashed) or db.session.scalar(
            select(Invitation).where(Invitation.token_hash == hashed)
        )
        if invitation is not None and not invitation.revoked:
            return invitation
    return None


def _verp_row(message: InboundMessage) -> OutboxMessage | None:
    """Return the mail whose signed bounce address (VERP) the message was sent to, or None."""
    for address in (message.envelope_to or "").split(","):
        row_id = outbox_id(address)
        if row_id is not None:
            return db.session.get(OutboxMessage, row_id)
    return None


def _bounced(
    bounce: signals.Bounce, invitation: Invitation | None, now: datetime, sent=None
) -> Outcome:
    """Mark the bounced mail failed when the failure is permanent; else only record it.

    The mail is the one the bounce address names (VERP, ``sent``), else the one the report's
    Message-ID names, else the invitation's newest sent mail.

    A permanent failure also marks the guest's address as bouncing, unless the address has
    changed since the mail went out (the bounce then says nothing about the new one).
    """
    detail = {
        "status": bounce.status,
        "diagnostic": bounce.diagnostic,
        "recipient": bounce.recipient,
        "original_message_id": bounce.original_message_id,
    }
    row = sent
    if row is None and bounce.original_message_id:
        row = db.session.scalar(
            select(OutboxMessage).where(OutboxMessage.message_id == bounce.original_message_id)
        )
    if row is None and invitation is not None:
        row = db.session.scalar(
            select(OutboxMessage)
            .where(
                OutboxMessage.invitation_id == invitation.id,
                OutboxMessage.status == MailStatus.SENT,
            )
            .order_by(OutboxMessage.id.desc())
            .limit(1)
        )
    if row is not None and row.invitation_id is not None:
        invitation = db.session.get(Invitation, row.invitation_id)
    if not bounce.permanent or row is None:
        detail["reason"] = (
            "no_matching_mail"
            if bounce.permanent
            else "delivered"
            if bounce.status.startswith("2")  # a success report (Status 2.0.0)
            else "temporary"
        )
        return Outcome(Kind.BOUNCE, State.RECORDED, invitation, detail)
    row.status = MailStatus.FAILED
    row.last_error = f"{BOUNCED} {bounce.status}: {bounce.diagnostic}"[:1000]
    contact = invitation.contact if invitation is not None else None
    if contact is not None and contact.email_key == email_key(row.recipient):
        contact.bounced_at = now
        contact.bounce_reason = f"{bounce.status}: {bounce.diagnostic}"[:1000]
    return Outcome(Kind.BOUNCE, State.APPLIED, invitation, detail)


def _by_uid(events: list[itip.ReplyEvent]) -> tuple[Invitation | None, itip.ReplyEvent | None]:
    """Find the invitation without a token: the event's UID, then its single ATTENDEE."""
    for reply in events:
        event = db.session.scalar(select(Event).where(Event.uid == reply.uid))
        if not reply.uid or event is None or len(reply.attendees) != 1:
            continue
        invitation = db.session.scalar(
            select(Invitation)
            .join(Contact, Contact.id == Invitation.contact_id)
            .where(
                Invitation.event_id == event.id,
                Contact.email_key == reply.attendees[0].key,
                Invitation.revoked.is_(False),
            )
        )
        if invitation is not None:
            return invitation, reply
    return None, None


def _calendar_reply(
    events: list[itip.ReplyEvent], invitation: Invitation | None, now: datetime
) -> Outcome:
    """Apply a REPLY to the invitation it answers, or hold it for review."""
    if invitation is None:
        invitation, reply = _by_uid(events)
        if invitation is None:
            return Outcome(Kind.UNKNOWN, State.REVIEW, None, {"reason": "no_invitation"})
        # Not sent to the guest's own reply address: an event's UID is no secret (feeds carry
        # it) and the ATTENDEE is whatever the sender wrote, so a person decides.
        matched = attendee_of(reply, invitation)
        if isinstance(matched, Outcome):
            return matched
        detail = matched[1] | {"reason": "no_token"}
        return Outcome(Kind.OTHER_SENDER, State.REVIEW, invitation, detail)
    else:
        reply = next((e for e in events if e.uid == invitation.event.uid), None)
        if reply is None:
            detail = {"reason": "other_event", "uid": events[0].uid}
            return Outcome(Kind.CALENDAR_REPLY, State.REVIEW, invitation, detail)
    matched = attendee_of(reply, invitation)
    if isinstance(matched, Outcome):
        return matched
    checked = wanted_answer(invitation, reply, *matched)
    if isinstance(checked, Outcome):
        return checked
    return _apply(invitation, reply, now, matched[1], checked)


def _apply(
    invitation: Invitation, reply: itip.ReplyEvent, now: datetime, detail: dict, answer: Answer
) -> Outcome:
    """Set the answer of a matched, current REPLY (``respond``); refused ones go to review."""
    try:
        result = answers.respond(
            invitation,
            answer,
            now=now,
            source="mail",
            via="calendar",
            **answer_values(invitation, reply, answer),
        )
    except ValidationError as error:
        messages = [str(m) for ms in error.errors.values() for m in ms]
        refused = {"reason": "refused", "errors": messages}
        return Outcome(Kind.CALENDAR_REPLY, State.REVIEW, invitation, detail | refused)
    if not result.changed:
        return recorded(invitation, detail, "unchanged")
    return Outcome(
        Kind.CALENDAR_REPLY, State.APPLIED, invitation, detail | {"answer": result.status.value}
    )
