"""Writing to the outbox: Message-IDs, stored bytes and idempotency."""

import re
import secrets
import threading
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.invitations.models import Invitation
from app.mail.models import MailStatus, OutboxMessage
from app.mail.outbox import enqueue, enqueue_many, new_message_id
from tests.factories import make_contact, make_department, make_event, make_user

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def make_message(to: str = "gast@example.org", **headers) -> EmailMessage:
    """Return a small mail with a UTF-8 text body."""
    message = EmailMessage()
    message["From"] = "Stadtkalender <noreply@stadt.test>"
    message["To"] = to
    message["Subject"] = "Einladung zum Empfang"
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content("Grüße aus dem Rathaus.\nZeile zwei.\n")
    return message


def make_invitation() -> Invitation:
    """Create an invitation with the minimum the schema requires."""
    actor = make_user(department=make_department())
    nonce = secrets.token_hex(16)
    invitation = Invitation(
        event_id=make_event(actor).id,
        contact_id=make_contact().id,
        token_nonce=nonce,
        token_hash=secrets.token_hex(32),
        created_at=NOW,
        updated_at=NOW,
    )
    db.session.add(invitation)
    db.session.flush()
    return invitation


def count_rows() -> int:
    """Return the number of outbox rows."""
    return db.session.scalar(select(func.count(OutboxMessage.id)))


def test_new_message_id_is_random_on_the_mail_domain():
    first, second = new_message_id("stadt.test"), new_message_id("stadt.test")
    assert re.fullmatch(r"<[0-9a-f]{32}@stadt\.test>", first)
    assert first != second


def test_enqueue_stores_crlf_bytes_with_a_message_id_and_queues_for_now(app):
    message = make_message()
    row = enqueue(db.session, recipient="gast@example.org", kind="test", message=message, now=NOW)
    assert re.fullmatch(r"<[0-9a-f]{32}@stadt\.test>", row.message_id)
    assert message["Message-ID"] == row.message_id  # the caller learns the id
    assert b"\r\n" in row.message and b"\n" not in row.message.replace(b"\r\n", b"")
    parsed = message_from_bytes(row.message, policy=policy.default)
    assert parsed["Message-ID"] == row.message_id
    assert parsed.get_content().splitlines() == ["Grüße aus dem Rathaus.", "Zeile zwei."]
    assert (row.status, row.attempts, row.next_attempt_at, row.created_at) == (
        MailStatus.QUEUED,
        0,
        NOW,
        NOW,
    )
    assert (row.claimed_by, row.claimed_at, row.sent_at, row.last_error) == ("", None, None, "")


def test_enqueue_flushes_but_does_not_commit(app):
    enqueue(db.session, recipient="a@example.org", kind="test", message=make_message(), now=NOW)
    assert count_rows() == 1
    db.session.rollback()
    assert count_rows() == 0


def test_enqueue_keeps_a_message_id_the_message_has(app):
    message = make_message(Message_ID="<eigene-id@stadt.test>")
    row = enqueue(db.session, recipient="a@example.org", kind="test", message=message, now=NOW)
    assert row.message_id == "<eigene-id@stadt.test>"
    raw = b"Message-ID: <roh@stadt.test>\nSubject: x\n\nbody\n"
    row = enqueue(db.session, recipient="a@example.org", kind="test", message=raw, now=NOW)
    assert row.message_id == "<roh@stadt.test>"
    assert row.message == raw.replace(b"\n", b"\r\n")


def test_raw_bytes_without_message_id_get_one_and_otherwise_stay_as_they_are(app):
    raw = b"Subject: x\r\nMIME-Version: 1.0\r\n\r\nbody  with  spaces\r\n.\r\n"
    row = enqueue(db.session, recipient="a@example.org", kind="test", message=raw, now=NOW)
    assert row.message == f"Message-ID: {row.message_id}\r\n".encode() + raw


def test_second_enqueue_for_the_same_invitation_kind_and_sequence_writes_nothing(app):
    invitation = make_invitation()
    first = enqueue(
        db.session,
        recipient="a@example.org",
        kind="invitation",
        message=make_message(),
        now=NOW,
        invitation_id=invitation.id,
        sequence=0,
    )
    db.session.commit()
    again = enqueue(
        db.session,
        recipient="a@example.org",
        kind="invitation",
        message=make_message(),
        now=NOW,
        invitation_id=invitation.id,
        sequence=0,
    )
    assert again.id == first.id and again.message_id == first.message_id
    assert count_rows() == 1
    update = enqueue(
        db.session,
        recipient="a@example.org",
        kind="update",
        message=make_message(),
        now=NOW,
        invitation_id=invitation.id,
        sequence=1,
    )
    assert update.id != first.id and count_rows() == 2


def test_mails_without_an_invitation_are_never_duplicates(app):
    for _ in range(3):
        enqueue(db.session, recipient="a@example.org", kind="test", message=make_message(), now=NOW)
    assert count_rows() == 3


def test_the_same_message_queued_twice_for_one_recipient_is_one_row(app):
    message = make_message()
    first = enqueue(db.session, recipient="a@example.org", kind="test", message=message, now=NOW)
    again = enqueue(db.session, recipient="a@example.org", kind="test", message=message, now=NOW)
    assert again.id == first.id and count_rows() == 1


def test_one_message_object_for_two_recipients_is_refused(app):
    message = make_message()
    enqueue(db.session, recipient="a@example.org", kind="test", message=message, now=NOW)
    with pytest.raises(ValueError, match="already queued"):
        enqueue(db.session, recipient="b@example.org", kind="test", message=message, now=NOW)
    assert count_rows() == 1  # the transaction is still usable


def test_concurrent_enqueues_on_postgresql_make_one_row(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer; the race needs PostgreSQL")
    invitation_id = make_invitation().id
    db.session.commit()
    kwargs = {"recipient": "a@example.org", "kind": "invitation", "now": NOW}
    first = enqueue(db.session, message=make_message(), invitation_id=invitation_id, **kwargs)
    results: list[int] = []

    def second_transaction() -> None:
        """Enqueue the same mail in another session; it waits for the first transaction."""
        with app.app_context():
            row = enqueue(db.session, message=make_message(), invitation_id=invitation_id, **kwargs)
            results.append(row.id)
            db.session.commit()
            db.session.remove()

    thread = threading.Thread(target=second_transaction)
    thread.start()
    thread.join(timeout=0.5)
    assert thread.is_alive(), "the second insert should wait for the first transaction"
    db.session.commit()
    thread.join(timeout=10)
    assert results == [first.id]
    assert count_rows() == 1


def test_enqueue_without_a_message_leaves_the_rendering_to_the_worker(app):
    invitation = make_invitation()
    row = enqueue(
        db.session,
        recipient="gast@example.org",
        kind="confirmation",
        message=None,
        now=NOW,
        invitation_id=invitation.id,
        sequence=1,
    )
    assert row.message is None and row.status == MailStatus.QUEUED
    assert re.fullmatch(r"<[0-9a-f]{32}@stadt\.test>", row.message_id)


def test_enqueue_many_queues_one_row_per_invitation_and_skips_repeats(app):
    first, second = make_invitation(), make_invitation()
    recipients = [(first.id, "a@example.org"), (second.id, "b@example.org")]
    enqueue_many(db.session, recipients, kind="update", sequence=2, now=NOW)
    enqueue_many(db.session, recipients, kind="update", sequence=2, now=NOW)
    rows = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [(row.invitation_id, row.recipient, row.message) for row in rows] == [
        (first.id, "a@example.org", None),
        (second.id, "b@example.org", None),
    ]
    assert all(row.message_id.endswith("@stadt.test>") for row in rows)
