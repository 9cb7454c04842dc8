"""Queueing invitation mails in the outbox and rendering them when the worker sends them.

Bulk invitations queue a row per guest without the message bytes; the worker asks
``render_queued`` for them at delivery time, so that inviting thousands of guests is a few
set-based inserts.
"""

from datetime import datetime
from email.policy import compat32

from flask import current_app
from sqlalchemy import bindparam, func, select, update

from app.contacts.models import Contact
from app.db_upsert import insert_ignoring_conflicts
from app.events.models import Status
from app.extensions import db
from app.invitations.emails import MailSettings, compose
from app.invitations.models import Answer, Invitation
from app.mail.models import MailStatus, OutboxMessage
from app.mail.outbox import new_message_id

SMTP_COMPAT = compat32.clone(linesep="\r\n")


def settings_from_config() -> MailSettings:
    """Return the mail settings of the current app."""
    config = current_app.config
    return MailSettings(
        secret_key=config["SECRET_KEY"],
        base_url=config["BASE_URL"],
        mail_domain=config["MAIL_DOMAIN"],
        sender=config["MAIL_DEFAULT_SENDER"],
    )


def queue(
    session, recipients: list[tuple[int, str]], *, kind: str, sequence: int, now: datetime
) -> None:
    """Queue one mail of a kind per (invitation id, address); repeats are ignored."""
    domain = current_app.config["MAIL_DOMAIN"]
    insert_ignoring_conflicts(
        session,
        OutboxMessage,
        [
            {
                "recipient": address,
                "kind": kind,
                "invitation_id": invitation_id,
                "sequence": sequence,
                "message": None,
                "message_id": new_message_id(domain),
                "status": MailStatus.QUEUED,
                "attempts": 0,
                "next_attempt_at": now,
                "claimed_by": "",
                "last_error": "",
                "created_at": now,
            }
            for invitation_id, address in recipients
        ],
    )


def _keep_loaded(session, event) -> None:
    """Hold the event while the session lives: the identity map only references it weakly, and
    a batch of mails for one event would otherwise load it (and its links) once per mail."""
    kept = session.info.setdefault("render_kept_events", {})
    if len(kept) > 100:
        kept.clear()
    kept[event.id] = event


def render_queued(session, row: OutboxMessage, now: datetime) -> bytes | None:
    """Return the bytes of a queued invitation mail, or None when it is no longer wanted.

    A mail for an older SEQUENCE than the event's is superseded by the update queued with the
    change; a revoked invitation gets nothing more.
    """
    invitation = session.get(Invitation, row.invitation_id) if row.invitation_id else None
    if invitation is None or invitation.revoked:
        return None
    _keep_loaded(session, invitation.event)
    if row.kind in ("invitation", "update") and row.sequence < invitation.event.sequence:
        return None
    # Read after the invitation (its token): if the guest's address has changed since the row
    # was claimed or read, the row still names the old one, which must not get the new link.
    address = session.scalar(select(Contact.email).where(Contact.id == invitation.contact_id))
    if address is None or address.casefold() != row.recipient.casefold():
        return None
    message = compose(invitation, row.kind, settings_from_config(), now)
    message["Message-ID"] = row.message_id
    return message.as_bytes(policy=SMTP_COMPAT)


def queue_changes(event, *, now: datetime) -> None:
    """Queue an update (or a cancellation) for every invited guest who has not declined."""
    rows = db.session.execute(
        select(Invitation.id, Contact.email)
        .join(Contact, Contact.id == Invitation.contact_id)
        .where(
            Invitation.event_id == event.id,
            Invitation.status != Answer.DECLINED,
            Invitation.revoked.is_(False),
            Contact.do_not_invite.is_(False),
        )
    ).all()
    kind = "cancel" if event.status == Status.CANCELLED else "update"
    queue(db.session, [tuple(r) for r in rows], kind=kind, sequence=event.sequence, now=now)


def connect_signals() -> None:
    """Send updates whenever an event's time, place or status changes."""
    from app.events.operations import rescheduled

    rescheduled.connect(_on_rescheduled)


def _on_rescheduled(event, now: datetime) -> None:
    """Signal receiver: queue the mails for a rescheduled event."""
    queue_changes(event, now=now)


def queue_personal(invitation: Invitation, kind: str, *, now: datetime) -> None:
    """Queue a mail only this guest gets (confirmation, moved up); each one is a new row."""
    count = db.session.scalar(
        select(func.count(OutboxMessage.id)).where(
            OutboxMessage.invitation_id == invitation.id, OutboxMessage.kind == kind
        )
    )
    queue(
        db.session,
        [(invitation.id, invitation.contact.email)],
        kind=kind,
        sequence=count + 1,
        now=now,
    )


def retry(row: OutboxMessage, *, now: datetime) -> None:
    """Queue a failed mail again, due at once, rendered anew for the guest's current address.

    The stored bytes may carry an RSVP link that was replaced since (the address changed), so an
    invitation mail is rendered again at delivery rather than resent as it was.
    """
    if row.invitation_id is not None:
        address = db.session.scalar(
            select(Contact.email)
            .join(Invitation, Invitation.contact_id == Contact.id)
            .where(Invitation.id == row.invitation_id)
        )
        if address:
            row.recipient, row.message = address, None
    row.status, row.next_attempt_at, row.claimed_at = MailStatus.QUEUED, now, None
    db.session.flush()


def render_pending(*, now: datetime, batch_size: int = 200) -> int:
    """Render queued mails that wait without bytes, ahead of delivery; return how many.

    Delivery then only sends bytes; rendering can run in parallel processes. Two renderers
    rendering the same row write the same mail (the Message-ID is the row's), so no claim is
    needed; a row sent meanwhile is left alone.
    """
    done = 0
    last_id = 0
    while True:
        rows = db.session.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.id > last_id,
                OutboxMessage.message.is_(None),
                OutboxMessage.status == MailStatus.QUEUED,
            )
            .order_by(OutboxMessage.id)
            .limit(batch_size)
        ).all()
        if not rows:
            return done
        # One query for the batch's invitations (with contacts and departments); the list keeps
        # them in the identity map, where render_queued finds them.
        preloaded = db.session.scalars(  # noqa: F841 - held for the loop below
            select(Invitation).where(Invitation.id.in_([r.invitation_id for r in rows]))
        ).all()
        rendered = []
        for row in rows:
            raw = render_queued(db.session, row, now)
            if raw is not None:
                rendered.append({"row_id": row.id, "raw": raw, "queued_for": row.recipient})
        last_id = rows[-1].id
        db.session.rollback()  # end the read transaction before writing
        if rendered:
            db.session.execute(
                update(OutboxMessage.__table__)
                .where(
                    OutboxMessage.__table__.c.id == bindparam("row_id"),
                    OutboxMessage.__table__.c.message.is_(None),
                    # An address change meanwhile (tokens.readdress) wants a new rendering.
                    OutboxMessage.__table__.c.recipient == bindparam("queued_for"),
                )
                .values(message=bindparam("raw")),
                rendered,
            )
            db.session.commit()
        done += len(rendered)
