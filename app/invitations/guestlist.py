"""Reading guest lists: counts, per-department figures, filtered rows, delivery state."""

from collections import defaultdict
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, or_, select

from app.contacts.models import Contact
from app.departments.models import Department
from app.events.models import Event
from app.extensions import db
from app.invitations.models import Answer, Invitation, InvitationDepartment
from app.mail.models import MailStatus, OutboxMessage

STATUSES = [a.value for a in Answer]
WITHDRAWN = "withdrawn"  # a filter value beside the answers: invitations staff withdrew
BOUNCED = "bounced"  # how last_error starts when a permanent bounce came back for the mail
# How an answer reached us, as the guest list and the exports name it: (source, via) -> label.
SOURCE_LABELS = {
    ("link", ""): _l("Link"),
    ("staff", ""): _l("Staff"),
    ("mail", "calendar"): _l("Calendar answer"),
    ("mail", "email"): _l("Email"),
    ("mail", ""): _l("Email"),
}


@dataclass
class GuestFilter:
    """Narrowing of the guest list."""

    status: str | None = None
    department: str | None = None
    q: str = ""

    @classmethod
    def from_args(cls, args) -> "GuestFilter":
        """Read the filter from query arguments, ignoring unusable values."""
        status = args.get("status")
        return cls(
            status=status if status in [*STATUSES, WITHDRAWN] else None,
            department=args.get("department") or None,
            q=(args.get("q") or "").strip(),
        )


def summary(event: Event) -> dict[str, int]:
    """Return invitation counts per answer, plus companions of accepted guests and places.

    Withdrawn invitations count apart (``withdrawn``), not as invited.
    """
    rows = db.session.execute(
        select(
            Invitation.status,
            Invitation.revoked,
            func.count(),
            func.coalesce(func.sum(Invitation.plus_ones), 0),
        )
        .where(Invitation.event_id == event.id)
        .group_by(Invitation.status, Invitation.revoked)
    ).all()
    counts = {status: 0 for status in STATUSES}
    counts[WITHDRAWN] = 0
    companions = 0
    for status, revoked, count, plus in rows:
        if revoked:
            counts[WITHDRAWN] += count
            continue
        counts[status.value] = count
        if status == Answer.ACCEPTED:
            companions = plus
    counts["companions"] = companions
    counts["total"] = sum(counts[s] for s in STATUSES)
    counts["places_taken"] = counts["accepted"] + companions
    return counts


def per_department(event: Event) -> list[dict]:
    """Return, per inviting department, how many guests it invited and how many accepted."""
    accepted = case((Invitation.status == Answer.ACCEPTED, 1), else_=0)
    rows = db.session.execute(
        select(Department.code, Department.name, func.count(), func.sum(accepted))
        .join(InvitationDepartment, InvitationDepartment.department_id == Department.id)
        .join(Invitation, Invitation.id == InvitationDepartment.invitation_id)
        .where(Invitation.event_id == event.id, Invitation.revoked.is_(False))
        .group_by(Department.code, Department.name)
        .order_by(Department.name)
    ).all()
    return [{"code": c, "name": n, "invited": i, "accepted": a or 0} for c, n, i, a in rows]


def guests(event: Event, flt: GuestFilter, limit: int | None = None) -> list[Invitation]:
    """Return the event's invitations, filtered, by surname."""
    stmt = (
        select(Invitation)
        .outerjoin(Contact, Contact.id == Invitation.contact_id)
        .where(Invitation.event_id == event.id)
    )
    if flt.status == WITHDRAWN:
        stmt = stmt.where(Invitation.revoked.is_(True))
    elif flt.status:
        stmt = stmt.where(Invitation.status == Answer(flt.status), Invitation.revoked.is_(False))
    if flt.department:
        stmt = stmt.where(
            Invitation.id.in_(
                select(InvitationDepartment.invitation_id)
                .join(Department)
                .where(Department.code == flt.department)
            )
        )
    if flt.q:
        pattern = f"%{flt.q.lower()}%"
        stmt = stmt.where(
            or_(
                func.lower(Contact.last_name).like(pattern),
                func.lower(Contact.first_name).like(pattern),
                Contact.email_key.like(pattern),
                func.lower(Contact.organisation).like(pattern),
            )
        )
    # Erased guests (anonymous rows) last, on both databases.
    stmt = stmt.order_by(
        Invitation.contact_id.is_(None), Contact.last_name, Contact.first_name, Invitation.id
    )
    return db.session.scalars(stmt.limit(limit) if limit else stmt).unique().all()


def delivery_states(invitation_ids: list[int]) -> dict[int, OutboxMessage]:
    """Return per invitation what the guest got last: the newest outbox row.

    A permanent bounce stays in front while the guest's address is still marked bouncing: a
    confirmation queued after it goes to the same address and must not hide it.
    """
    if not invitation_ids:
        return {}
    newest = (
        select(func.max(OutboxMessage.id))
        .where(OutboxMessage.invitation_id.in_(invitation_ids))
        .group_by(OutboxMessage.invitation_id)
    )
    bounced = (
        select(func.max(OutboxMessage.id))
        .join(Invitation, Invitation.id == OutboxMessage.invitation_id)
        .join(Contact, Contact.id == Invitation.contact_id)
        .where(
            OutboxMessage.invitation_id.in_(invitation_ids),
            OutboxMessage.status == MailStatus.FAILED,
            OutboxMessage.last_error.startswith(BOUNCED + " ", autoescape=True),
            Contact.bounced_at.is_not(None),
        )
        .group_by(OutboxMessage.invitation_id)
    )
    rows = db.session.scalars(
        select(OutboxMessage)
        .where(or_(OutboxMessage.id.in_(newest), OutboxMessage.id.in_(bounced)))
        .order_by(OutboxMessage.id)
    ).all()
    result: dict[int, OutboxMessage] = {}
    for row in rows:  # by id: the newest wins, unless a bounce is already in front
        if not _bounced(result.get(row.invitation_id)):
            result[row.invitation_id] = row
    return result


def _bounced(row: OutboxMessage | None) -> bool:
    """Return True for a mail that came back as a permanent bounce."""
    return (
        row is not None
        and row.status == MailStatus.FAILED
        and row.last_error.startswith(BOUNCED + " ")
    )


def departments_of(invitations: list[Invitation]) -> dict[int, list[str]]:
    """Return the codes of the inviting departments per invitation."""
    result: dict[int, list[str]] = defaultdict(list)
    for invitation in invitations:
        result[invitation.id] = [link.department.code for link in invitation.departments]
    return result


def source_label(invitation: Invitation) -> str:
    """Return how the guest's answer reached us in words, or "" before an answer."""
    if not invitation.response_source:
        return ""
    key = (invitation.response_source, invitation.response_via)
    return str(SOURCE_LABELS.get(key, invitation.response_source))


def delivery_of(row: OutboxMessage | None) -> dict | None:
    """Return what became of the guest's newest mail: status queued|sent|failed|bounced, error."""
    if row is None:
        return None
    status = "queued" if row.status == MailStatus.SENDING else row.status.value
    if _bounced(row):
        status = BOUNCED
    return {"status": status, "error": row.last_error}
