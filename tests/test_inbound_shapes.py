"""Mail shapes seen in the field: optional SEQUENCE, METHOD only in the Content-Type, words-only
bounces, read receipts, absence notices without headers, and replies without the token."""

import pytest
from sqlalchemy import func, select

from app.events.operations import update_event
from app.events.validation import EventInput
from app.extensions import db
from app.inbound.inbox import process_pending, store
from app.inbound.models import Kind, State
from app.invitations.models import Answer
from app.mail.models import MailStatus
from app.notifications.models import Notification
from tests.test_inbound import DOMAIN, NOW, Guest, _sent_invitation


@pytest.fixture
def guest(app):
    """Return an invited guest of a published event in a month."""
    return Guest()


def _answer(guest):
    db.session.refresh(guest.invitation)
    return guest.invitation.status, guest.invitation.response_source


def test_a_reply_without_sequence_counts_after_the_event_changed(guest):
    moved = guest.event.start_local.replace(hour=19)
    changed = EventInput.from_event(guest.event).replace(start=moved, end=moved.replace(hour=21))
    update_event(guest.event, changed, actor=guest.owner, now=NOW)
    db.session.commit()
    assert guest.event.sequence >= 1
    message = guest.receive("reply_without_sequence.eml")
    assert (message.kind, message.state) == (Kind.CALENDAR_REPLY, State.APPLIED)
    assert _answer(guest) == (Answer.DECLINED, "mail")


def test_a_stated_older_sequence_still_changes_nothing(guest):
    moved = guest.event.start_local.replace(hour=19)
    changed = EventInput.from_event(guest.event).replace(start=moved, end=moved.replace(hour=21))
    update_event(guest.event, changed, actor=guest.owner, now=NOW)
    db.session.commit()
    message = guest.receive("reply_method_in_content_type_only.eml")
    assert message.state == State.RECORDED and message.detail["reason"] == "older_sequence"
    assert _answer(guest)[0] == Answer.PENDING


def test_method_reply_only_in_the_content_type_is_a_calendar_reply(guest):
    message = guest.receive("reply_method_in_content_type_only.eml")
    assert (message.kind, message.state) == (Kind.CALENDAR_REPLY, State.APPLIED)
    assert _answer(guest) == (Answer.ACCEPTED, "mail")


def test_a_domino_bounce_in_words_only_is_a_permanent_failure(guest):
    row = _sent_invitation(guest)
    message = guest.receive("domino_delivery_failure.eml", message_id=row.message_id)
    assert (message.kind, message.state) == (Kind.BOUNCE, State.APPLIED)
    assert message.detail["status"] == "5.1.1"
    db.session.refresh(row)
    assert row.status == MailStatus.FAILED and "not listed in Domino Directory" in row.last_error
    db.session.refresh(guest.invitation.contact)
    assert guest.invitation.contact.bounced_at is not None


def test_an_ndr_with_a_base64_delivery_status_part_is_read(guest):
    row = _sent_invitation(guest)
    message = guest.receive("exchange_ndr_base64_status.eml", message_id=row.message_id)
    assert (message.kind, message.state) == (Kind.BOUNCE, State.APPLIED)
    assert message.detail["status"] == "5.1.10"
    db.session.refresh(row)
    assert row.status == MailStatus.FAILED and "RecipientNotFound" in row.last_error


def test_read_receipts_and_absence_notices_are_recorded_and_change_nothing(guest):
    for name in ("outlook_read_receipt.eml", "abwesend_subject_only.eml"):
        message = guest.receive(name)
        assert (message.kind, message.state) == (Kind.AUTO_REPLY, State.RECORDED), name
    assert _answer(guest)[0] == Answer.PENDING
    assert db.session.scalar(select(func.count(Notification.id))) == 0  # nothing to review


def test_a_reply_without_the_token_notifies_nobody(guest):
    raw = guest.mail("gmail_accept.eml").replace(f"rsvp+{guest.token}".encode(), b"info")
    message = store(raw, envelope_to=[f"info@{DOMAIN}"], envelope_from="x@evil.example", now=NOW)
    db.session.commit()
    process_pending(now=NOW)
    db.session.refresh(message)
    assert (message.kind, message.state) == (Kind.OTHER_SENDER, State.REVIEW)
    assert db.session.scalar(select(func.count(Notification.id))) == 0
    # A reply with the token from another address still tells the hosts.
    guest.receive("other_address.eml")
    assert db.session.scalar(select(func.count(Notification.id))) >= 1
