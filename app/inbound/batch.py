"""Processing a batch of stored messages: the common ones together, the others one by one.

Most messages are calendar replies addressed by token to an event without capacity, and
auto-replies; their outcome is decided here as ``processing.process`` would decide it, and
applied with a few statements per group (bulk_answers.respond_many, one UPDATE of the
inbound rows). Everything else (bounces, replies for review, events with a capacity or a
waiting list) goes through ``process``. Order is kept: a group is applied before any message
that goes one by one, and before a second reply for an invitation the group answers.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import Message

from sqlalchemy import update

from app.extensions import db
from app.inbound import itip, mime, signals
from app.inbound.models import InboundMessage, Kind, State
from app.inbound.processing import _sender, invitations_of, token_hashes
from app.inbound.replies import Outcome, answer_values, attendee_of, wanted_answer
from app.invitations.bulk_answers import Wanted, respond_many
from app.invitations.models import Invitation
from app.mail.verp import outbox_id


@dataclass
class Plan:
    """The outcome of one message decided without a query, and the answer it sets if any."""

    message: InboundMessage
    outcome: Outcome
    wanted: Wanted | None = None
    about: dict = field(default_factory=dict)
    # Read while planning: an answered invitation is expired, its id would cost a query.
    invitation_id: int | None = None

    def __post_init__(self) -> None:
        """Keep the invitation's id."""
        if self.outcome.invitation is not None:
            self.invitation_id = self.outcome.invitation.id


def process_batch(
    messages: list[InboundMessage], *, now: datetime | None, process: Callable
) -> None:
    """Process a batch in order, the common messages in groups, the rest with ``process``."""
    parsed = {message.id: mime.parse(message.raw or b"") for message in messages}
    hashes = {message.id: token_hashes(message, parsed[message.id]) for message in messages}
    invitations = invitations_of({hashed for found in hashes.values() for hashed in found})
    group: list[Plan] = []

    def one_by_one(message: InboundMessage) -> None:
        moment = now or datetime.now(UTC)
        process(message, now=moment, invitations=invitations, parsed=parsed[message.id])

    for message in messages:
        known = [invitations.get(hashed) for hashed in hashes[message.id]]
        plan = _plan(message, parsed[message.id], known)
        if plan is not None and _answered_in(group, plan):
            _apply(group, now, one_by_one)
            group = []
            plan = _plan(message, parsed[message.id], known)
        if plan is None:
            _apply(group, now, one_by_one)
            group = []
            one_by_one(message)
        else:
            group.append(plan)
    _apply(group, now, one_by_one)


def _answered_in(group: list[Plan], plan: Plan) -> bool:
    """Return True when a reply's outcome depends on an answer the group has yet to set."""
    if plan.outcome.kind != Kind.CALENDAR_REPLY:
        return False
    invitation = plan.outcome.invitation
    return any(p.wanted is not None and p.outcome.invitation is invitation for p in group)


def _plan(message: InboundMessage, parsed: Message, known: list[Invitation | None]) -> Plan | None:
    """Return the plan of a common message (as ``process`` decides it), else None.

    ``known`` holds the preloaded invitation (or None) of each reply address it was sent to.
    """
    # As processing._addressed: the first live invitation among the reply addresses.
    invitation = next((i for i in known if i is not None and not i.revoked), None)
    verp = any(outbox_id(a) is not None for a in (message.envelope_to or "").split(","))
    if invitation is None or verp or signals.bounce_of(parsed, message.envelope_from):
        return None
    about = {"subject": mime.header(parsed, "Subject")[:300], "from": _sender(parsed)}
    if signals.is_auto_reply(parsed):
        outcome = Outcome(Kind.AUTO_REPLY, State.RECORDED, invitation)
        return Plan(message, outcome, about=about)
    events = itip.replies(mime.calendar_texts(parsed))
    reply = next((e for e in events if e.uid == invitation.event.uid), None)
    if reply is None:
        return None  # no calendar part, another event: for review
    matched = attendee_of(reply, invitation)
    if isinstance(matched, Outcome):
        return None
    checked = wanted_answer(invitation, reply, *matched)
    if isinstance(checked, Outcome):
        return Plan(message, checked, about=about) if checked.state != State.REVIEW else None
    wanted = Wanted(invitation, checked, **answer_values(invitation, reply, checked))
    outcome = Outcome(Kind.CALENDAR_REPLY, State.APPLIED, invitation, matched[1])
    return Plan(message, outcome, wanted, about)


def _apply(group: list[Plan], now: datetime | None, one_by_one: Callable) -> None:
    """Apply a group: the answers together, then the outcomes in one UPDATE of the rows."""
    if not group:
        return
    moment = now or datetime.now(UTC)
    answering = [plan for plan in group if plan.wanted is not None]
    replies = respond_many([plan.wanted for plan in answering], now=moment)
    later = []
    for plan, reply in zip(answering, replies, strict=True):
        if reply is None:
            later.append(plan)  # a limited event, a refused answer: as always
        elif reply.changed:
            plan.outcome.detail = plan.outcome.detail | {"answer": reply.status.value}
        else:
            plan.outcome.state = State.RECORDED
            plan.outcome.detail = plan.outcome.detail | {"reason": "unchanged"}
    rows = [_row(plan, moment) for plan in group if all(plan is not p for p in later)]
    if rows:
        statement = update(InboundMessage).execution_options(synchronize_session=False)
        db.session.execute(statement, rows)
    for plan in later:
        one_by_one(plan.message)


def _row(plan: Plan, now: datetime) -> dict:
    """Return the inbound row's columns for a decided plan (as ``process`` sets them)."""
    outcome, message = plan.outcome, plan.message
    return {
        "id": message.id,
        "kind": outcome.kind,
        "state": outcome.state,
        "invitation_id": plan.invitation_id,
        "detail": {**(message.detail or {}), **plan.about, **outcome.detail},
        "processed_at": now,
    }
