"""Processing in batches: one failing message stays stored and does not spoil the others."""

from sqlalchemy import select

import app.inbound.inbox as inbox
from app.extensions import db
from app.inbound.inbox import process_pending, store
from app.inbound.models import InboundMessage, State
from app.invitations.models import Answer, Invitation
from tests.test_inbound import DOMAIN, NOW, Guest


def test_a_failing_message_stays_stored_and_the_rest_of_the_batch_is_applied(app, monkeypatch):
    guest = Guest()
    to = [f"rsvp+{guest.token}@{DOMAIN}"]
    broken = store(guest.mail("human_reply.eml"), envelope_to=to, now=NOW)
    store(guest.mail("gmail_accept.eml"), envelope_to=to, now=NOW)
    db.session.commit()
    real = inbox.process

    def failing(message, **options):
        if message.id == broken.id:
            raise RuntimeError("a bug hit by this one message")
        return real(message, **options)

    monkeypatch.setattr(inbox, "process", failing)
    assert process_pending(now=NOW, batch=10) == 1
    rows = dict(db.session.execute(select(InboundMessage.id, InboundMessage.state)).all())
    assert rows[broken.id] == State.STORED
    assert sorted(rows.values()) == sorted([State.STORED, State.APPLIED])
    invitation = db.session.get(Invitation, guest.invitation.id)
    assert (invitation.status, invitation.response_source) == (Answer.ACCEPTED, "mail")
    monkeypatch.undo()
    assert process_pending(now=NOW) == 1  # the next run takes it up
    assert db.session.get(InboundMessage, broken.id).state == State.REVIEW


def test_more_messages_than_one_batch_are_all_processed(app):
    guest = Guest()
    raw = guest.mail("gmail_accept.eml")
    for number in range(7):
        variant = raw.replace(b"<CAGmail0000reply1@", b"<batch-%d@" % number)
        store(variant, envelope_to=[f"rsvp+{guest.token}@{DOMAIN}"], now=NOW)
    db.session.commit()
    assert process_pending(now=NOW, batch=3) == 7
    assert process_pending(now=NOW, batch=3) == 0
    states = db.session.scalars(select(InboundMessage.state)).all()
    assert len(states) == 7 and State.STORED not in states
