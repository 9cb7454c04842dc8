"""Inbound mail from the corpus: calendar replies, bounces, auto-replies and human answers."""

import base64
import itertools
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.inbound import mime, review
from app.inbound.inbox import process_pending, purge, store
from app.inbound.models import InboundMessage, Kind, State
from app.invitations.answers import respond
from app.invitations.models import Answer
from app.mail.models import MailStatus, OutboxMessage
from tests.factories import make_event, make_invitation, make_user

DATA = Path(__file__).resolve().parent / "data" / "inbound"
B64 = re.compile(r"\{\{BASE64\}\}\n(.*?)\{\{/BASE64\}\}\n", re.S)
DOMAIN = "stadt.test"  # TestConfig.MAIL_DOMAIN
GUEST = "erika.muster@example.org"
NOW = datetime.now(UTC)
VARIANTS = itertools.count(1)


def corpus(name: str, **values: str) -> bytes:
    """Return a corpus mail with its placeholders filled and its {{BASE64}} blocks encoded."""
    text = (DATA / name).read_text(encoding="utf-8")
    for key, value in values.items():
        text = text.replace("{{" + key.upper() + "}}", value)
    text = B64.sub(
        lambda m: base64.encodebytes(m.group(1).replace("\n", "\r\n").encode()).decode(), text
    )
    assert "{{" not in text, f"unfilled placeholder in {name}"
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode()


class Guest:
    """One invited guest of a published future event, and the values the corpus needs."""

    def __init__(self, capacity: int | None = None) -> None:
        self.owner = make_user()
        start = (NOW + timedelta(days=30)).replace(tzinfo=None, hour=18, minute=0, second=0)
        self.event = make_event(
            self.owner,
            status="published",
            start=start,
            end=start + timedelta(hours=2),
            capacity=capacity,
            now=NOW - timedelta(days=2),
        )
        self.invitation, self.token = make_invitation(
            self.event, self.owner, email=GUEST, now=NOW - timedelta(days=2)
        )
        db.session.commit()

    def mail(self, name: str, **values: str) -> bytes:
        """Return a corpus mail addressed to this guest's reply address."""
        fill = {"token": self.token, "domain": DOMAIN, "uid": self.event.uid, "guest": GUEST}
        return corpus(name, **fill | values)

    def receive(self, name: str, *, envelope: bool = True, **values: str) -> InboundMessage:
        """Store and process one corpus mail as the SMTP server would; return its row."""
        raw = self.mail(name, **values)
        to = [f"rsvp+{self.token}@{DOMAIN}"] if envelope else []
        message = store(raw, envelope_to=to, envelope_from="guest@example.org", now=NOW)
        db.session.commit()
        process_pending(now=NOW)
        db.session.expire_all()
        return db.session.get(InboundMessage, message.id)


@pytest.fixture
def guest(app):
    """Return an invited guest (Erika Muster) of a published event in a month."""
    return Guest()


def _answer(guest: Guest) -> tuple:
    """Return the invitation's answer and where it came from, as stored."""
    db.session.refresh(guest.invitation)
    return guest.invitation.status, guest.invitation.response_source


@pytest.mark.parametrize(
    ("name", "answer"),
    [
        ("outlook_accept_de.eml", Answer.ACCEPTED),
        ("apple_mail_decline.eml", Answer.DECLINED),
        ("thunderbird_tentative.eml", Answer.TENTATIVE),
        ("gmail_accept.eml", Answer.ACCEPTED),
        ("forwarded_reply.eml", Answer.ACCEPTED),
    ],
)
def test_calendar_replies_of_the_common_clients_set_the_answer_by_mail(guest, name, answer):
    message = guest.receive(name)
    assert (message.kind, message.state) == (Kind.CALENDAR_REPLY, State.APPLIED)
    assert message.invitation_id == guest.invitation.id
    assert _answer(guest) == (answer, "mail")
    confirmations = db.session.scalar(
        select(func.count(OutboxMessage.id)).where(
            OutboxMessage.invitation_id == guest.invitation.id,
            OutboxMessage.kind == "confirmation",
        )
    )
    assert confirmations == 1  # confirmed exactly as an answer by link


def test_outlook_reply_with_windows_zone_and_upper_case_mailto_keeps_the_comment(guest):
    message = guest.receive("outlook_accept_de.eml", guest="Erika.Muster@EXAMPLE.org")
    assert message.detail["partstat"] == "ACCEPTED"
    db.session.refresh(guest.invitation)
    assert guest.invitation.comment == "Ich nehme gerne teil."
    assert guest.invitation.responded_at == datetime(2026, 11, 2, 10, 0, tzinfo=UTC)


def test_a_file_without_envelope_is_matched_by_the_to_header(guest):
    message = guest.receive("gmail_accept.eml", envelope=False)
    assert message.state == State.APPLIED and _answer(guest) == (Answer.ACCEPTED, "mail")


def test_without_any_token_the_uid_and_the_single_attendee_are_held_for_review(guest):
    # An event's UID is public (feeds carry it), the ATTENDEE is what the sender typed: a reply
    # that did not go to the guest's own reply address never changes the answer by itself.
    raw = guest.mail("stale_sequence.eml").replace(f"rsvp+{guest.token}".encode(), b"info")
    message = store(raw, envelope_to=[], envelope_from="mallory@evil.example", now=NOW)
    db.session.commit()
    process_pending(now=NOW)
    db.session.refresh(message)
    assert (message.kind, message.state) == (Kind.OTHER_SENDER, State.REVIEW)
    assert message.invitation_id == guest.invitation.id and message.detail["reason"] == "no_token"
    assert _answer(guest)[0] == Answer.PENDING
    review.apply(message, "declined", actor=guest.owner, now=NOW)  # one click by the host
    db.session.commit()
    assert _answer(guest) == (Answer.DECLINED, "mail")  # the answer came by mail


def test_from_alone_never_identifies_the_invitation(guest):
    raw = corpus("human_reply.eml", token="unknown", domain=DOMAIN, guest=GUEST)
    message = store(raw, envelope_to=[f"rsvp+unknown@{DOMAIN}"], now=NOW)
    db.session.commit()
    process_pending(now=NOW)
    db.session.refresh(message)
    assert (message.kind, message.state, message.invitation_id) == (
        Kind.UNKNOWN,
        State.REVIEW,
        None,
    )


def test_full_event_puts_a_calendar_accept_on_the_waiting_list(app):
    guest = Guest(capacity=1)
    other, _token = make_invitation(guest.event, guest.owner, now=NOW)
    respond(other, Answer.ACCEPTED, now=NOW)
    db.session.commit()
    guest.receive("gmail_accept.eml")
    assert _answer(guest) == (Answer.WAITLISTED, "mail")


def test_stale_sequence_is_recorded_and_changes_nothing(guest):
    guest.event.sequence = 2
    db.session.commit()
    message = guest.receive("stale_sequence.eml")
    assert (message.state, message.detail["reason"]) == (State.RECORDED, "older_sequence")
    assert _answer(guest) == (Answer.PENDING, "")


def test_reply_older_than_the_answer_by_link_changes_nothing(guest):
    respond(guest.invitation, Answer.DECLINED, now=NOW)
    db.session.commit()
    message = guest.receive("outlook_accept_de.eml")  # DTSTAMP 2026-11-02, before NOW
    assert (message.state, message.detail["reason"]) == (State.RECORDED, "older_than_answer")
    assert _answer(guest) == (Answer.DECLINED, "link")


def test_reply_from_another_address_waits_for_review(guest):
    message = guest.receive("other_address.eml")
    assert (message.kind, message.state) == (Kind.OTHER_SENDER, State.REVIEW)
    assert message.invitation_id == guest.invitation.id
    assert message.detail["attendee"] == "sekretariat.ob@example.org"
    assert _answer(guest) == (Answer.PENDING, "")


def test_out_of_office_is_recorded_and_changes_nothing(guest):
    message = guest.receive("exchange_out_of_office.eml")
    assert (message.kind, message.state) == (Kind.AUTO_REPLY, State.RECORDED)
    assert _answer(guest) == (Answer.PENDING, "")


def _sent_invitation(guest: Guest) -> OutboxMessage:
    """Mark the guest's queued invitation mail as sent and return it."""
    row = db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.invitation_id == guest.invitation.id)
    )
    row.status, row.sent_at = MailStatus.SENT, NOW
    db.session.commit()
    return row


def test_permanent_bounce_marks_the_invitation_mail_failed_with_the_diagnostic(guest):
    row = _sent_invitation(guest)
    message = guest.receive("postfix_dsn_5.1.1.eml", message_id=row.message_id)
    assert (message.kind, message.state) == (Kind.BOUNCE, State.APPLIED)
    assert message.detail["status"] == "5.1.1"
    db.session.refresh(row)
    assert row.status == MailStatus.FAILED
    assert "5.1.1" in row.last_error and "User unknown" in row.last_error


def test_temporary_bounce_is_only_recorded(guest):
    row = _sent_invitation(guest)
    message = guest.receive("postfix_dsn_4.2.2.eml", message_id=row.message_id)
    assert (message.kind, message.state, message.detail["status"]) == (
        Kind.BOUNCE,
        State.RECORDED,
        "4.2.2",
    )
    db.session.refresh(row)
    assert row.status == MailStatus.SENT and row.last_error == ""


def test_human_reply_is_held_as_plain_text_and_its_picture_is_dropped(guest):
    message = guest.receive("human_reply.eml")
    assert (message.kind, message.state) == (Kind.HUMAN, State.REVIEW)
    assert "ich komme gerne mit Begleitung." in message.detail["text"]
    assert "<" not in message.detail["text"] and "alert" not in message.detail["text"]
    assert message.detail["dropped"] == ["image/png logo.png"]
    assert b"iVBORw0KGgo" not in message.raw and message.size > len(message.raw)
    assert _answer(guest) == (Answer.PENDING, "")


def test_forwarded_reply_keeps_the_calendar_but_drops_the_pdf(guest):
    message = guest.receive("forwarded_reply.eml")
    assert message.detail["dropped"] == ["application/pdf Briefkopf.pdf"]
    assert b"BEGIN:VCALENDAR" in message.raw and b"JVBERi0" not in message.raw


def test_the_same_mail_twice_is_stored_once_and_answers_once(guest):
    raw = guest.mail("gmail_accept.eml")
    first = store(raw, envelope_to=[f"rsvp+{guest.token}@{DOMAIN}"], now=NOW)
    second = store(raw, envelope_to=[f"rsvp+{guest.token}@{DOMAIN}"], now=NOW)
    db.session.commit()
    assert first is not None and second is None
    assert process_pending(now=NOW) == 1
    assert db.session.scalar(select(func.count(InboundMessage.id))) == 1


def test_a_mail_without_message_id_is_known_by_the_hash_of_its_bytes(guest):
    raw = re.sub(rb"Message-ID: [^\r\n]+\r\n", b"", guest.mail("gmail_accept.eml"))
    first = store(raw, now=NOW)
    assert first.message_id_key.startswith("sha256:")
    assert store(raw, now=NOW) is None


def test_a_crash_between_store_and_process_is_picked_up_by_the_next_run(guest, monkeypatch):
    import app.inbound.inbox as inbox

    def crash(*args, **options):
        raise RuntimeError("killed between store and process")

    # Both ways a batch is processed: together (the common case) and one by one (on failure).
    monkeypatch.setattr(inbox, "process_batch", crash)
    monkeypatch.setattr(inbox, "process", crash)
    store(guest.mail("gmail_accept.eml"), envelope_to=[f"rsvp+{guest.token}@{DOMAIN}"], now=NOW)
    db.session.commit()
    assert process_pending(now=NOW) == 0
    assert db.session.scalar(select(InboundMessage.state)) == State.STORED
    monkeypatch.undo()
    assert process_pending(now=NOW) == 1
    assert _answer(guest) == (Answer.ACCEPTED, "mail")


def test_purge_drops_old_bytes_but_keeps_the_outcome(guest):
    message = guest.receive("human_reply.eml")
    old = guest.receive("gmail_accept.eml")
    assert purge(now=NOW + timedelta(days=31), days=30) == 2
    db.session.commit()
    db.session.refresh(message)
    db.session.refresh(old)
    assert message.raw is None and old.raw is None
    assert "text" in message.detail  # still waiting for review
    assert old.state == State.APPLIED and _answer(guest) == (Answer.ACCEPTED, "mail")
    assert purge(now=NOW + timedelta(days=29), days=30) == 0


def test_html_is_turned_into_text_without_markup():
    html = "<p>Hallo&nbsp;<b>Welt</b></p><script>x()</script><style>p{}</style><div>Zeile 2</div>"
    assert mime.html_to_text(html) == "Hallo Welt\n\nZeile 2"


def _variant(guest: Guest, old: bytes, new: bytes) -> InboundMessage:
    """Receive the plain REPLY of the corpus with one change."""
    raw = guest.mail("stale_sequence.eml").replace(old, new)
    assert old != new and new in raw
    raw = raw.replace(b"<stale-sequence-1@", b"<variant-%d@" % next(VARIANTS))  # a new mail
    message = store(raw, envelope_to=[f"rsvp+{guest.token}@{DOMAIN}"], now=NOW)
    db.session.commit()
    process_pending(now=NOW)
    db.session.refresh(message)
    return message


def test_delegated_and_counter_go_to_review(guest):
    delegated = _variant(guest, b"PARTSTAT=DECLINED", b"PARTSTAT=DELEGATED")
    assert (delegated.state, delegated.detail["reason"]) == (State.REVIEW, "delegated")
    counter = _variant(guest, b"METHOD:REPLY", b"METHOD:COUNTER")
    assert (counter.state, counter.detail["reason"]) == (State.REVIEW, "counter")
    assert _answer(guest) == (Answer.PENDING, "")


def test_of_several_vevents_the_one_of_the_event_counts(guest):
    other = b"BEGIN:VEVENT\r\nUID:other@x\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:x@y.z\r\n"
    other += b"END:VEVENT\r\n"
    message = _variant(guest, b"BEGIN:VEVENT\r\n", other + b"BEGIN:VEVENT\r\n")
    assert message.state == State.APPLIED and _answer(guest) == (Answer.DECLINED, "mail")


@pytest.mark.parametrize(
    "header",
    [b"Auto-Submitted: auto-replied", b"X-Autoreply: yes", b"Precedence: bulk"],
)
def test_auto_reply_headers_win_over_a_calendar_part(guest, header):
    message = _variant(guest, b"MIME-Version: 1.0", header + b"\r\nMIME-Version: 1.0")
    assert (message.kind, message.state) == (Kind.AUTO_REPLY, State.RECORDED)
    assert _answer(guest) == (Answer.PENDING, "")
