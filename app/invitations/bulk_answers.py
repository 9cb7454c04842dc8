"""Many answers at once (a batch of calendar replies), set-based, for events without limits.

``respond_many`` gives each answer the outcome ``answers.respond`` would give it, one after
the other, with a few statements for the whole batch: it handles only events without a
capacity and without waiting guests (no seat to count, nobody to move up), under the same
event lock; for any other answer it returns None and the caller uses ``respond``.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import and_, exists, select, update

from app.audit import Actor, record_each
from app.audit.personal import diff
from app.errors import ValidationError
from app.events.models import Event
from app.extensions import db
from app.invitations import answers
from app.invitations.delivery import queue_personal_many
from app.invitations.models import Answer, Invitation

NAMES = ("status", "plus_ones", "comment", "needs")


@dataclass(frozen=True)
class Wanted:
    """An answer as ``respond`` takes it (by the guest, not by staff)."""

    invitation: Invitation
    answer: Answer
    plus_ones: int = 0
    comment: str = ""
    needs: str = ""
    answered_at: datetime | None = None


def _valid(wanted: Wanted, now: datetime) -> bool:
    """Return True when ``respond`` would accept the answer (else it reports the problems)."""
    texts = {"comment": wanted.comment.strip(), "needs": wanted.needs.strip()}
    try:
        answers._check(
            wanted.invitation, wanted.answer, wanted.plus_ones, texts, by_staff=False, now=now
        )
    except ValidationError:
        return False
    return True


def _plain_events(event_ids: set[int]) -> set[int]:
    """Lock the events (as ``respond`` does) and return those without capacity or waiting list."""
    waiting = exists().where(
        Invitation.event_id == Event.id, Invitation.status == Answer.WAITLISTED
    )
    rows = db.session.execute(
        select(Event.id, and_(Event.capacity.is_(None), ~waiting))
        .where(Event.id.in_(event_ids))
        .order_by(Event.id)
        .with_for_update(of=Event)
    ).all()
    return {event_id for event_id, plain in rows if plain}


def _fresh(ids: list[int]) -> dict[int, tuple]:
    """Return {id: (status, plus_ones, comment, needs)} as they are now, under the lock."""
    columns = (Invitation.status, Invitation.plus_ones, Invitation.comment, Invitation.needs)
    rows = db.session.execute(select(Invitation.id, *columns).where(Invitation.id.in_(ids)))
    return {row[0]: tuple(row[1:]) for row in rows}


def respond_many(
    wanted: list[Wanted], *, now: datetime, source: str = "mail", via: str = "calendar"
) -> list[answers.Reply | None]:
    """Record answers of different invitations; None for those ``respond`` must take.

    Flushes, never commits. The changed invitations are expired: they read anew.
    """
    results: list[answers.Reply | None] = [None] * len(wanted)
    valid = [n for n, w in enumerate(wanted) if _valid(w, now)]
    if not valid:
        return results
    db.session.flush()
    plain = _plain_events({wanted[n].invitation.event_id for n in valid})
    chosen = [n for n in valid if wanted[n].invitation.event_id in plain]
    fresh = _fresh([wanted[n].invitation.id for n in chosen])
    changes, rows, confirm = [], [], []
    for n in chosen:
        w = wanted[n]
        plus_ones = w.plus_ones if w.answer == Answer.ACCEPTED else 0
        before = fresh[w.invitation.id]
        after = (w.answer, plus_ones, w.comment.strip(), w.needs.strip())
        results[n] = answers.Reply(w.answer, changed=before != after)
        if before == after:
            continue
        rows.append(_values(w, after, now, source, via))
        old = dict(zip(NAMES, (str(before[0].value), *before[1:]), strict=True))
        new = dict(zip(NAMES, (str(after[0].value), *after[1:]), strict=True))
        changes.append((w.invitation.id, diff(old, new)))
        if before[:2] != after[:2]:  # the mail states the answer and the companions only
            confirm.append(w.invitation)
    if rows:
        db.session.execute(update(Invitation).execution_options(synchronize_session=False), rows)
        actor = Actor.system("mail") if source == "mail" else Actor.guest()
        record_each("invitation.answered", "invitation", changes, actor=actor, at=datetime.now(UTC))
        queue_personal_many(confirm, "confirmation", now=now)
    changed = {row["id"] for row in rows}
    for n in chosen:
        if wanted[n].invitation.id in changed:
            db.session.expire(wanted[n].invitation)  # updated in the database only
    return results


def _values(wanted: Wanted, after: tuple, now: datetime, source: str, via: str) -> dict:
    """Return the columns ``respond`` sets for a changed answer."""
    status, plus_ones, comment, needs = after
    answered = min(wanted.answered_at, now) if wanted.answered_at else now
    return {
        "id": wanted.invitation.id,
        "status": status,
        "plus_ones": plus_ones,
        "comment": comment,
        "needs": needs,
        "responded_at": answered,
        "updated_at": now,
        "response_source": source,
        "response_via": via,
        "recorded_by_id": None,
    }
