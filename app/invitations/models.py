"""Invitations: one per (event, contact), whichever departments invite."""

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.contacts.models import Contact
from app.departments.models import Department
from app.events.models import Event
from app.extensions import db
from app.sqltypes import UTCDateTime, string_enum


class Answer(enum.StrEnum):
    """Where a guest stands; PENDING until they answer."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    TENTATIVE = "tentative"
    WAITLISTED = "waitlisted"


# How the guest list and the guest's page name each answer.
ANSWER_LABELS = {
    "pending": _l("not yet answered"),
    "accepted": _l("attending"),
    "declined": _l("not attending"),
    "tentative": _l("maybe"),
    "waitlisted": _l("on the waiting list"),
}
# A withdrawn invitation keeps its row (one per guest and event): ``revoked`` (no more mail,
# no answers) with ``suppressed`` saying why, so that the guest's link can tell them.
WITHDRAWN = "withdrawn"
WITHDRAWN_LABEL = _l("invitation withdrawn")
# How lists name the guest of an anonymous invitation (erased, or answers reduced to counts).
ERASED_LABEL = _l("Erased person")


# Invitations with a comment or needs (the partial index below; retention's query uses it).
NOTES_PREDICATE = "comment <> '' OR needs <> ''"


class Invitation(db.Model):
    """A contact's invitation to an event, with the answer and the RSVP token's hash."""

    __tablename__ = "invitations"
    __table_args__ = (
        UniqueConstraint("event_id", "contact_id"),
        CheckConstraint("plus_ones >= 0", name="plus_ones_not_negative"),
        Index("ix_invitations_contact_event", "contact_id", "event_id"),
        # Only rows that still hold a comment or needs: the privacy purge finds them quickly.
        Index(
            "ix_invitations_notes",
            "event_id",
            sqlite_where=text(NOTES_PREDICATE),
            postgresql_where=text(NOTES_PREDICATE),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    # None once the guest was erased (Art. 17): the row stays, anonymous, for the counts.
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    status: Mapped[Answer] = mapped_column(string_enum(Answer), default=Answer.PENDING)
    plus_ones: Mapped[int] = mapped_column(default=0)
    comment: Mapped[str] = mapped_column(Text, default="")
    needs: Mapped[str] = mapped_column(Text, default="")  # dietary and accessibility needs
    # The RSVP token is derived from this random nonce with the app's secret key, so that every
    # later mail can carry the same link while the database alone never reveals it.
    token_nonce: Mapped[str] = mapped_column(String(32), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    revoked: Mapped[bool] = mapped_column(default=False)
    suppressed: Mapped[str] = mapped_column(String(32), default="")  # why no mail goes out
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    response_source: Mapped[str] = mapped_column(String(16), default="")  # link, staff, mail
    # For a mailed answer: "calendar" (an iTIP REPLY) or "email" (a written reply), else "".
    response_via: Mapped[str] = mapped_column(String(16), default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    waitlisted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    event: Mapped[Event] = relationship()
    contact: Mapped[Contact | None] = relationship(lazy="joined")
    recorded_by: Mapped[User | None] = relationship()
    departments: Mapped[list["InvitationDepartment"]] = relationship(
        back_populates="invitation",
        order_by="InvitationDepartment.invited_at",
        cascade="all, delete-orphan",
        lazy="selectin",
    )

    @property
    def anonymous(self) -> bool:
        """Return True when the guest was erased: the row only counts, nobody is named."""
        return self.contact_id is None

    @property
    def withdrawn(self) -> bool:
        """Return True when staff withdrew the invitation (its link then says so)."""
        return self.revoked and self.suppressed == WITHDRAWN

    def __repr__(self) -> str:
        return f"<Invitation event={self.event_id} contact={self.contact_id} {self.status}>"


class InvitationDepartment(db.Model):
    """A department that invited the guest ("also invited by"), who did it and when."""

    __tablename__ = "invitation_departments"
    __table_args__ = (UniqueConstraint("invitation_id", "department_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invitation_id: Mapped[int] = mapped_column(
        ForeignKey("invitations.id", ondelete="CASCADE"), index=True
    )
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime)

    invitation: Mapped[Invitation] = relationship(back_populates="departments")
    department: Mapped[Department] = relationship(lazy="joined")
    invited_by: Mapped[User | None] = relationship()
