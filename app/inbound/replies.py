"""A calendar reply matched to its invitation: the guest's ATTENDEE and the answer it asks for.

Shared by the one-by-one processing (processing.py) and the batches (batch.py), so that both
decide a reply the same way.
"""

from dataclasses import dataclass, field

from app.inbound import itip
from app.inbound.models import Kind, State
from app.invitations import answers
from app.invitations.models import Answer, Invitation

PARTSTATS = {
    "ACCEPTED": Answer.ACCEPTED,
    "DECLINED": Answer.DECLINED,
    "TENTATIVE": Answer.TENTATIVE,
}


@dataclass
class Outcome:
    """What processing decided for one message."""

    kind: Kind
    state: State
    invitation: Invitation | None = None
    detail: dict = field(default_factory=dict)


def attendee_of(
    reply: itip.ReplyEvent, invitation: Invitation
) -> tuple[itip.Attendee, dict] | Outcome:
    """Return the guest's ATTENDEE of a reply and the detail to record, or the review outcome."""
    key = invitation.contact.email_key
    attendee = next((a for a in reply.attendees if a.key == key), None)
    if attendee is None and len(reply.attendees) == 1:
        attendee = reply.attendees[0]
    detail = {
        "uid": reply.uid,
        "sequence": reply.sequence,
        "dtstamp": reply.dtstamp.isoformat() if reply.dtstamp else None,
        "partstat": attendee.partstat if attendee else "",
        "attendee": attendee.address if attendee else "",
        "comment": reply.comment[: answers.TEXT_MAX],
    }
    if attendee is None or attendee.key != key or attendee.sent_by:
        return Outcome(Kind.OTHER_SENDER, State.REVIEW, invitation, detail | {"reason": "attendee"})
    return attendee, detail


def wanted_answer(
    invitation: Invitation, reply: itip.ReplyEvent, attendee: itip.Attendee, detail: dict
) -> Outcome | Answer:
    """Return the answer a matched REPLY sets, or the outcome when it is outdated or for review."""
    answer = PARTSTATS.get(attendee.partstat)
    if reply.method == "COUNTER" or answer is None:
        reason = "counter" if reply.method == "COUNTER" else attendee.partstat.lower()
        return Outcome(Kind.CALENDAR_REPLY, State.REVIEW, invitation, detail | {"reason": reason})
    if reply.sequence is not None and reply.sequence < invitation.event.sequence:
        return recorded(invitation, detail, "older_sequence")
    answered = invitation.responded_at
    if reply.dtstamp and answered and reply.dtstamp < answered:
        return recorded(invitation, detail, "older_than_answer")
    return answer


def answer_values(invitation: Invitation, reply: itip.ReplyEvent, answer: Answer) -> dict:
    """Return what ``respond`` is given for a REPLY: the companions and texts kept or not."""
    keep = answer == Answer.ACCEPTED
    return {
        "plus_ones": invitation.plus_ones if keep else 0,
        "comment": reply.comment[: answers.TEXT_MAX] or invitation.comment,
        "needs": invitation.needs,
        "answered_at": reply.dtstamp,
    }


def recorded(invitation: Invitation, detail: dict, reason: str) -> Outcome:
    """Return the outcome of a reply kept for the record only."""
    return Outcome(Kind.CALENDAR_REPLY, State.RECORDED, invitation, detail | {"reason": reason})
