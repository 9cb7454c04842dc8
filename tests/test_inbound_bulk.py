"""Batches applied together give exactly what processing one message after the other gives.

Two identical worlds (events, guests, earlier answers, the same mails in the same order): the
first is processed one by one as before, the second the usual way (calendar replies and
auto-replies in groups); every row they leave behind must read the same.
"""

import re
from datetime import timedelta

from sqlalchemy import func, select

import app.inbound.batch as batch
import app.inbound.inbox as inbox
from app.audit.models import AuditEntry
from app.extensions import db
from app.inbound.inbox import ingest, process_pending, store
from app.inbound.models import InboundMessage
from app.inbound.processing import preload, process
from app.invitations.answers import respond
from app.invitations.bulk_answers import respond_many
from app.invitations.models import Answer, Invitation
from app.mail.models import MailStatus, OutboxMessage
from tests.factories import make_contact, make_event, make_invitation, make_user
from tests.test_inbound import DOMAIN, NOW, Guest, corpus

# (event, guest, corpus mail): the same guest twice in a row, a limited event, a waiting list,
# a passed deadline, an auto-reply, a bounce, a human reply, another sender, a stale one.
MAILS = [
    ("open", 0, "gmail_accept.eml"),
    ("open", 1, "apple_mail_decline.eml"),
    ("open", 2, "thunderbird_tentative.eml"),
    ("open", 0, "apple_mail_decline.eml"),
    ("open", 3, "exchange_out_of_office.eml"),
    ("open", 4, "human_reply.eml"),
    ("open", 5, "stale_sequence.eml"),
    ("limited", 0, "gmail_accept.eml"),
    ("limited", 1, "outlook_accept_de.eml"),
    ("limited", 2, "gmail_accept.eml"),
    ("waiting", 0, "apple_mail_decline.eml"),
    ("waiting", 1, "gmail_accept.eml"),
    ("open", 6, "postfix_dsn_5.1.1.eml"),
    ("open", 7, "outlook_accept_de.eml"),
    ("open", 3, "gmail_accept.eml"),
    ("open", 1, "gmail_accept.eml"),
    ("open", 2, "other_address.eml"),
    ("open", 7, "outlook_accept_de.eml"),
    ("past", 0, "gmail_accept.eml"),
    ("open", 2, "thunderbird_tentative.eml"),
]
GUESTS = {"open": 8, "limited": 3, "waiting": 2, "past": 1}


def _world(name: str) -> tuple[dict, str]:
    """Create the events and guests of one world.

    Returns {(event, guest): (invitation, token)} and the Message-ID of a mail sent to a guest.
    """
    owner = make_user()
    start = (NOW + timedelta(days=30)).replace(tzinfo=None, hour=18, minute=0, second=0)
    options = {"open": {}, "limited": {"capacity": 2}, "waiting": {}, "past": {}}
    options["past"] = {"rsvp_deadline": NOW - timedelta(days=1)}
    guests = {}
    for key, count in GUESTS.items():
        event = make_event(
            owner,
            status="published",
            start=start,
            end=start + timedelta(hours=2),
            now=NOW - timedelta(days=50),
            **options[key],
        )
        for n in range(count):
            contact = make_contact(email=f"{name}-{key}-{n}@example.org")
            guests[key, n] = make_invitation(event, owner, contact, now=NOW - timedelta(days=50))
    earlier = NOW - timedelta(days=40)  # before the corpus replies (DTSTAMP 2 Nov 2026)
    respond(guests["open", 3][0], Answer.ACCEPTED, now=earlier, plus_ones=0, source="link")
    respond(guests["open", 5][0], Answer.ACCEPTED, now=NOW - timedelta(hours=1))
    respond(guests["open", 1][0], Answer.DECLINED, now=earlier, comment="vielleicht später")
    waiting = guests["waiting", 0][0]
    waiting.status, waiting.waitlisted_at = Answer.WAITLISTED, earlier
    sent = db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.invitation_id == guests["open", 6][0].id)
    )
    sent.status, sent.sent_at = MailStatus.SENT, earlier
    db.session.commit()
    return guests, sent.message_id


def _store(name: str, guests: dict, sent: str) -> None:
    """Store the world's mails in order, each with a Message-ID of its own."""
    for number, (key, n, mail) in enumerate(MAILS):
        invitation, token = guests[key, n]
        raw = corpus(
            mail,
            token=token,
            domain=DOMAIN,
            uid=invitation.event.uid,
            guest=invitation.contact.email,
            message_id=sent,
        )
        own = b"Message-ID: <%s-%d@example.org>" % (name.encode(), number)
        raw = re.sub(rb"(?im)^Message-I[dD]: [^\r\n]*", own, raw, count=1)
        store(raw, envelope_to=[f"rsvp+{token}@{DOMAIN}"], now=NOW + timedelta(seconds=number))
    db.session.commit()


def _one_by_one(messages, now):
    """Process a batch as before: every message through ``process``."""
    invitations = preload(messages)
    for message in messages:
        process(message, now=now, invitations=invitations)


def _snapshot(name: str, guests: dict, sent: str) -> list:
    """Return every row the world's processing left, with the world's names taken out."""
    keys = {invitation.id: key for key, (invitation, _t) in guests.items()}
    ids = list(keys)
    rows = []
    for i in db.session.scalars(select(Invitation).where(Invitation.id.in_(ids))):
        rows.append(
            (
                keys[i.id],
                i.status,
                i.plus_ones,
                i.comment,
                i.needs,
                i.responded_at,
                i.updated_at,
                i.response_source,
                i.response_via,
                i.recorded_by_id,
                i.waitlisted_at,
            )
        )
    for o in db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.invitation_id.in_(ids)).order_by(OutboxMessage.id)
    ):
        rows.append(
            (keys[o.invitation_id], o.kind, o.sequence, o.status, o.recipient, o.last_error)
        )
    for a in db.session.scalars(
        select(AuditEntry)
        .where(AuditEntry.object_type == "invitation", AuditEntry.object_id.in_(ids))
        .order_by(AuditEntry.id)
    ):
        rows.append((keys[a.object_id], a.action, a.actor_type, a.actor_label, a.changes))
    for m in db.session.scalars(
        select(InboundMessage)
        .where(InboundMessage.message_id_key.like(f"<{name}-%"))
        .order_by(InboundMessage.id)
    ):
        rows.append((m.kind, m.state, keys.get(m.invitation_id), m.detail, m.processed_at))
    events = {invitation.event_id for invitation, _token in guests.values()}
    result = []
    for row in rows:
        text = repr(row).replace(sent, "SENT")
        for invitation, token in guests.values():
            text = text.replace(token, "TOKEN").replace(invitation.event.uid, "UID")
        text = re.sub(r"'event': (\d+)", lambda m: f"'event': {int(m[1]) in events}", text)
        result.append(re.sub(r"\b(one|two)-", "", text))
    return sorted(result)


def test_groups_leave_what_one_by_one_leaves(app, monkeypatch):
    (first, first_sent), (second, second_sent) = _world("one"), _world("two")
    _store("one", first, first_sent)
    monkeypatch.setattr(inbox, "_process_all", _one_by_one)
    assert process_pending(now=NOW, batch=50) == len(MAILS)
    monkeypatch.undo()
    _store("two", second, second_sent)
    together = []

    def counted(wanted, **options):
        results = respond_many(wanted, **options)
        together.extend(r for r in results if r is not None)
        return results

    monkeypatch.setattr(batch, "respond_many", counted)
    assert process_pending(now=NOW, batch=50) == len(MAILS)
    assert len(together) >= 8  # most answers were set together, not one by one
    db.session.expire_all()
    assert _snapshot("two", second, second_sent) == _snapshot("one", first, first_sent)
    states = db.session.scalars(select(InboundMessage.state)).all()
    assert len(set(states)) >= 3  # applied, recorded and review all occurred


def test_ingest_stores_a_mail_given_twice_in_one_batch_once(app):
    guest = Guest()
    raw = guest.mail("gmail_accept.eml")
    other = raw.replace(b"<CAGmail0000reply1@", b"<other-reply@")
    result = ingest([("a.eml", raw), ("b.eml", raw), ("c.eml", other)], max_bytes=10**6)
    assert (result.stored, result.known, result.refused) == (2, 1, [])
    assert db.session.scalar(select(func.count()).select_from(InboundMessage)) == 2
    again = ingest([("a.eml", raw)], max_bytes=10**6, batch=1)
    assert (again.stored, again.known) == (0, 1)
    assert process_pending(now=NOW) == 2
    assert db.session.get(Invitation, guest.invitation.id).status == Answer.ACCEPTED
