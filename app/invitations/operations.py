"""Inviting contacts: one invitation per (event, contact), whichever departments invite.

Functions take the actor and the time, flush and never commit; mail goes to the outbox in the
same transaction as its cause.
"""

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import and_, select, update

from app.audit import record_many
from app.contacts.models import Contact
from app.contacts.operations import resolve
from app.db_upsert import insert_ignoring_conflicts
from app.departments.models import Department
from app.errors import PermissionDenied, ValidationError
from app.events import policy
from app.events.models import Event, Status
from app.extensions import db
from app.invitations import fatigue, tokens
from app.invitations.clash_notices import notify_guest_clashes
from app.invitations.delivery import raise_sequence
from app.invitations.models import WITHDRAWN, Answer, Invitation, InvitationDepartment
from app.mail import outbox

CHUNK = 1000


@dataclass
class InviteResult:
    """What an invite call did, for the UI and the API."""

    invited: list[int] = field(default_factory=list)  # new invitation ids (mail queued)
    already_invited: list[int] = field(default_factory=list)  # existing invitation ids
    suppressed: list[tuple[int, str]] = field(default_factory=list)  # (contact id, reason)
    warnings: list[dict] = field(default_factory=list)
    refused: list[int] = field(default_factory=list)  # contact ids over their cap (fatigue.py)

    def counts(self) -> dict[str, int]:
        """Return the three numbers staff and API clients see."""
        return {
            "invited": len(self.invited),
            "already_invited": len(self.already_invited),
            "suppressed": len(self.suppressed),
        }


def inviting_department(actor, event: Event) -> Department:
    """Return the department on whose behalf the actor invites: their own, whoever hosts.

    Comms and administrators invite as their own department (issue 10.14); only an account
    without a department invites as the owning department.
    """
    if not policy.can_edit(actor, event):
        raise PermissionDenied(_("You may not invite guests to this event."))
    return actor.department if actor.department_id else event.department


def _chunks(items: list, size: int = CHUNK):
    """Yield slices of a list."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def invite(
    event: Event,
    contacts: list[Contact],
    *,
    actor,
    now: datetime,
    secret_key: str,
) -> InviteResult:
    """Invite contacts; already invited ones only gain this department, nothing is sent twice."""
    department = inviting_department(actor, event)
    if event.status != Status.PUBLISHED:
        raise ValidationError.single("event", _("Publish the event before inviting guests."))
    result = InviteResult()
    guests: dict[int, Contact] = {}
    for contact in map(resolve, contacts):
        if contact.do_not_invite:
            result.suppressed.append((contact.id, "do_not_invite"))
        else:
            guests.setdefault(contact.id, contact)
    fatigue_check = fatigue.check(event, list(guests.values()), department.id, viewer=actor)
    for cid in fatigue_check.refused:  # a contact's stricter cap refuses staff (comms are warned)
        del guests[cid]
        result.refused.append(cid)
    result.warnings += fatigue_check.warnings
    if not guests:
        return result
    nonces = {cid: tokens.new_nonce() for cid in guests}
    insert_ignoring_conflicts(
        db.session,
        Invitation,
        [
            {
                "event_id": event.id,
                "contact_id": cid,
                "token_nonce": nonce,
                "token_hash": tokens.token_hash(tokens.token_for(nonce, secret_key)),
                "status": Answer.PENDING,
                "plus_ones": 0,
                "comment": "",
                "needs": "",
                "revoked": False,
                "suppressed": "",
                "response_source": "",
                "created_at": now,
                "updated_at": now,
            }
            for cid, nonce in nonces.items()
        ],
    )
    rows = []
    for chunk in _chunks(list(guests)):
        rows += db.session.execute(
            select(
                Invitation.id,
                Invitation.contact_id,
                Invitation.token_nonce,
                (Invitation.revoked & (Invitation.suppressed == WITHDRAWN)).label("withdrawn"),
            ).where(Invitation.event_id == event.id, Invitation.contact_id.in_(chunk))
        ).all()
    withdrawn = [row.id for row in rows if row.withdrawn]
    for row in rows:
        mine = row.token_nonce == nonces[row.contact_id] or row.withdrawn
        (result.invited if mine else result.already_invited).append(row.id)
    if withdrawn:
        _reinstate(event, withdrawn, now=now)
    insert_ignoring_conflicts(
        db.session,
        InvitationDepartment,
        [
            {
                "invitation_id": row.id,
                "department_id": department.id,
                "invited_by_id": actor.id,
                "invited_at": now,
            }
            for row in rows
        ],
    )
    outbox.enqueue_many(
        db.session,
        [(row.id, guests[row.contact_id].email) for row in rows if row.id in set(result.invited)],
        kind="invitation",
        sequence=event.sequence,
        now=now,
    )
    # One entry per queued invitation, in one INSERT: cheap even for thousands of guests.
    record_many("invitation.sent", "invitation", result.invited, {"event": event.id}, at=now)
    result.warnings += person_clashes(event, list(guests), viewer=actor)
    notify_guest_clashes(event, result.invited, department, actor=actor, now=now)
    db.session.flush()
    return result


def _reinstate(event: Event, invitation_ids: list[int], *, now: datetime) -> None:
    """Invite withdrawn guests again on their old row, as new guests with the same link.

    Their calendar removed the event with the withdrawal's CANCEL, so the new REQUEST needs a
    higher SEQUENCE than that (docs: invitations-interop.md).
    """
    for chunk in _chunks(invitation_ids):
        db.session.execute(
            update(Invitation)
            .where(Invitation.id.in_(chunk))
            .values(revoked=False, suppressed="", status=Answer.PENDING, updated_at=now)
            .execution_options(synchronize_session="fetch")
        )
    raise_sequence(event)


def person_clashes(event: Event, contact_ids: list[int], *, viewer) -> list[dict]:
    """Warn about guests invited to another overlapping event whose guests the viewer may see."""
    warnings = []
    for chunk in _chunks(contact_ids):
        stmt = (
            select(Invitation.contact_id, Event.id, Event.title)
            .join(Event, Event.id == Invitation.event_id)
            .where(
                Invitation.contact_id.in_(chunk),
                Event.id != event.id,
                Event.status != Status.CANCELLED,
                and_(Event.starts_at < event.ends_at, Event.ends_at > event.starts_at),
                Invitation.status != Answer.DECLINED,
                Invitation.revoked.is_(False),
                # A confidential event or a draft closed to the viewer stays unnamed (issue 8.2).
                policy.details_clause(viewer),
            )
        )
        for contact_id, other_id, title in db.session.execute(stmt):
            warnings.append(
                {
                    "kind": "person_clash",
                    "contact_id": contact_id,
                    "event_id": other_id,
                    "message": _("Also invited to “%(title)s” at the same time.", title=title),
                }
            )
    return warnings
