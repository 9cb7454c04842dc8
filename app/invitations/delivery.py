"""What invitation mail to send, and rendering it when the worker sends it.

The outbox (app/mail/outbox.py) writes the rows: bulk invitations queue a row per guest without
the message bytes, and the worker asks ``render_queued`` (registered for the invitation kinds
in app/invitations/wiring.py) for them at delivery time, so that inviting thousands of guests
is a few set-based inserts.
"""

from datetime import datetime
from email.policy import compat32

from flask import current_app
from sqlalchemy import func, select, update

from app.audit import record_many
from app.contacts.models import Contact
from app.events import changes
from app.events.models import Status
from app.extensions import db
from app.invitations.emails import ChangeNote, MailSettings, compose
from app.invitations.models import Answer, Invitation
from app.mail import outbox, renderers
from app.mail.models import MailStatus, OutboxMessage

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
    change; a withdrawn (revoked) invitation gets nothing more than its withdrawal.
    """
    invitation = session.get(Invitation, row.invitation_id) if row.invitation_id else None
    # The withdrawal is the one mail a withdrawn guest gets; invited again, they get none.
    if invitation is None or invitation.revoked != (row.kind == "withdrawal"):
        return None
    _keep_loaded(session, invitation.event)
    if row.kind in ("invitation", "update") and row.sequence < invitation.event.sequence:
        return None
    if row.kind == "resend" and invitation.event.status != Status.PUBLISHED:
        return None  # cancelled meanwhile: the guest got the cancellation instead
    # Read after the invitation (its token): if the guest's address has changed since the row
    # was claimed or read, the row still names the old one, which must not get the new link.
    address = session.scalar(select(Contact.email).where(Contact.id == invitation.contact_id))
    if address is None or address.casefold() != row.recipient.casefold():
        return None
    note = change_note(session, invitation, row)
    message = compose(invitation, row.kind, settings_from_config(), now, change=note)
    message["Message-ID"] = row.message_id
    return message.as_bytes(policy=SMTP_COMPAT)


def change_note(session, invitation: Invitation, row: OutboxMessage) -> ChangeNote | None:
    """Return what an update or cancellation mail tells beyond the event as it is now.

    The guest knew the event as of the last invitation or update mail sent to them; the oldest
    change recorded after that holds what they saw before.
    """
    if row.kind not in ("update", "cancel"):
        return None
    known = session.scalar(
        select(func.max(OutboxMessage.sequence)).where(
            OutboxMessage.invitation_id == invitation.id,
            OutboxMessage.kind.in_(("invitation", "update")),
            OutboxMessage.status == MailStatus.SENT,
        )
    )
    # Guests of one round mostly knew the same version: the recorded changes between two
    # versions never change (they are appended), so one query serves the whole batch.
    memo = session.info.setdefault("told_since", {})
    span = (invitation.event_id, known or 0, row.sequence)
    if span not in memo:
        if len(memo) > 1000:
            memo.clear()
        memo[span] = changes.told_since(session, *span)
    told = memo[span]
    message = next((c.message for c in reversed(told) if c.kind == "cancel"), "")
    before = changes.snapshot_before(told[0]) if told and known is not None else None
    return ChangeNote.between(before, invitation.event, message=message)


def _recipients(event):
    """Return the statement selecting the guests told of a change (not declined, not opted out)."""
    return (
        select(Invitation.id, Contact.email)
        .join(Contact, Contact.id == Invitation.contact_id)
        .where(
            Invitation.event_id == event.id,
            Invitation.status != Answer.DECLINED,
            Invitation.revoked.is_(False),
            Contact.do_not_invite.is_(False),
        )
    )


def count_guests(event) -> int:
    """Return how many guests a change or the cancellation of the event is mailed to."""
    if event.id is None or event.status == Status.DRAFT:
        return 0
    return db.session.scalar(select(func.count()).select_from(_recipients(event).subquery()))


def queue_changes(event, *, now: datetime) -> None:
    """Queue an update (or a cancellation) for every invited guest who has not declined."""
    rows = db.session.execute(_recipients(event)).all()
    kind = "cancel" if event.status == Status.CANCELLED else "update"
    recipients = [(row.id, row.email) for row in rows]
    outbox.enqueue_many(db.session, recipients, kind=kind, sequence=event.sequence, now=now)


def _carry_forward(event) -> None:
    """Keep unsent invitations and updates of the previous SEQUENCE from being superseded.

    A change the guests are not told of queues no update, so the mails still waiting must go
    out (rendered with the current state) instead of being dropped as outdated.
    """
    invited = select(Invitation.id).where(Invitation.event_id == event.id)
    db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.invitation_id.in_(invited),
            OutboxMessage.kind.in_(("invitation", "update")),
            OutboxMessage.status == MailStatus.QUEUED,
            OutboxMessage.sequence == event.sequence - 1,
        )
        .values(sequence=event.sequence)
        .execution_options(synchronize_session=False)
    )


def raise_sequence(event) -> None:
    """Raise the event's SEQUENCE for a mail to single guests (a withdrawal, a new REQUEST).

    Every CANCEL or REQUEST after the first one needs a higher SEQUENCE than the guest has seen;
    the other guests' mails still waiting go out with the new number, as after a silent change.
    """
    event.sequence += 1
    db.session.flush()
    _carry_forward(event)


def on_rescheduled(event, now: datetime, notify: bool = True) -> None:
    """Signal receiver of events.operations.rescheduled: queue the mails for the changed event."""
    if notify or event.status == Status.CANCELLED:
        queue_changes(event, now=now)
    else:
        _carry_forward(event)


def queue_personal(invitation: Invitation, kind: str, *, now: datetime) -> None:
    """Queue a mail only this guest gets (confirmation, moved up); each one is a new row.

    While one of the same kind still waits unsent, it is rendered anew instead (it then tells
    the latest state), so repeated changes cannot make us mail the guest again and again.
    """
    if invitation.contact is None:
        return  # erased: nobody to write to
    if outbox.refresh_queued(
        db.session, invitation_id=invitation.id, kind=kind, recipient=invitation.contact.email
    ):
        return
    count = db.session.scalar(
        select(func.count(OutboxMessage.id)).where(
            OutboxMessage.invitation_id == invitation.id, OutboxMessage.kind == kind
        )
    )
    outbox.enqueue(
        db.session,
        recipient=invitation.contact.email,
        kind=kind,
        message=None,  # rendered at delivery, like the invitation
        now=now,
        invitation_id=invitation.id,
        sequence=count + 1,
    )


def queue_personal_many(invitations: list[Invitation], kind: str, *, now: datetime) -> None:
    """Do what ``queue_personal`` does for many invitations, in three statements.

    A mail of the kind still queued is rendered anew for the guest's address; the others get
    a new row numbered after the ones they already have. Erased guests get nothing.
    """
    ids = [invitation.id for invitation in invitations if invitation.contact is not None]
    if not ids:
        return
    address = (
        select(Contact.email)
        .join(Invitation, Invitation.contact_id == Contact.id)
        .where(Invitation.id == OutboxMessage.invitation_id)
        .scalar_subquery()
    )
    refreshed = set(
        db.session.scalars(
            update(OutboxMessage)
            .where(
                OutboxMessage.invitation_id.in_(ids),
                OutboxMessage.kind == kind,
                OutboxMessage.status == MailStatus.QUEUED,
            )
            .values(recipient=address, message=None)
            .returning(OutboxMessage.invitation_id)
            .execution_options(synchronize_session=False)
        )
    )
    wanted = [i for i in invitations if i.contact is not None and i.id not in refreshed]
    counts = dict(
        db.session.execute(
            select(OutboxMessage.invitation_id, func.count(OutboxMessage.id))
            .where(OutboxMessage.invitation_id.in_([i.id for i in wanted]))
            .where(OutboxMessage.kind == kind)
            .group_by(OutboxMessage.invitation_id)
        ).all()
    )
    rows = [(i.id, i.contact.email, counts.get(i.id, 0) + 1) for i in wanted]
    outbox.enqueue_each(db.session, rows, kind=kind, now=now)


def resend(invitations: list[Invitation], *, now: datetime) -> list[Invitation]:
    """Queue the current invitation again for these guests; return those it is queued for.

    Withdrawn guests, guests who asked for no more invitations and guests of a cancelled event
    get nothing.
    """
    queued = []
    for invitation in invitations:
        contact = invitation.contact
        if invitation.revoked or contact is None or contact.do_not_invite:
            continue
        if invitation.event.status != Status.PUBLISHED:
            continue
        queue_personal(invitation, "resend", now=now)
        queued.append(invitation)
    changes = {"resend": True}
    record_many("invitation.sent", "invitation", [i.id for i in queued], changes, at=now)
    return queued


def retry(row: OutboxMessage, *, now: datetime) -> None:
    """Queue a failed mail again, due at once, rendered anew for the guest's current address.

    The stored bytes may carry an RSVP link that was replaced since (the address changed), so an
    invitation mail is rendered again at delivery rather than resent as it was.
    """
    address = ""
    if row.invitation_id is not None:
        address = db.session.scalar(
            select(Contact.email)
            .join(Invitation, Invitation.contact_id == Contact.id)
            .where(Invitation.id == row.invitation_id)
        )
    outbox.requeue(db.session, row, now=now, recipient=address or "")


def preload(session, rows: list[OutboxMessage]) -> list[Invitation]:
    """Load the invitations of a batch of rows (with contacts and departments) in one query."""
    ids = [row.invitation_id for row in rows if row.invitation_id is not None]
    return list(session.scalars(select(Invitation).where(Invitation.id.in_(ids))))


def render_pending(*, now: datetime, batch_size: int = 200) -> int:
    """Render queued mails that wait without bytes, ahead of delivery; return how many."""
    return renderers.render_pending(db.session, now=now, batch_size=batch_size)
