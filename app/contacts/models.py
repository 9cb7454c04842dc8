"""The city-wide address book: contacts with structured German names."""

from datetime import datetime

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, String, Table, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.contacts.dedup import tag_key
from app.extensions import db
from app.sqltypes import UTCDateTime

contact_tags = Table(
    "contact_tags",
    db.metadata,
    Column("contact_id", ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True),
)


def _tag_key_of_name(context) -> str:
    """Column default: the match key of the name being inserted."""
    return tag_key(context.get_current_parameters()["name"])


class Tag(db.Model):
    """A free label on contacts (Verteiler), used to invite groups."""

    __tablename__ = "tags"
    __table_args__ = (Index("ix_tags_match_key", "match_key", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)  # as first entered
    # dedup.tag_key(name): "Ämterrunde", "ämterrunde" and "ÄMTERRUNDE" are one tag.
    match_key: Mapped[str] = mapped_column(String(240), default=_tag_key_of_name)


# The person's own fields in form order, one list for the form, the merge, the audit log and
# the access export (each adds what it needs beyond them).
NAME_AND_ADDRESS_FIELDS = (
    "salutation",
    "title",
    "office_title",
    "first_name",
    "name_particle",
    "last_name",
    "email",
    "organisation",
    "function",
    "phone",
)


class Contact(db.Model):
    """A person (or a shared role mailbox) who can be invited."""

    __tablename__ = "contacts"
    __table_args__ = (
        Index("ix_contacts_email_key", "email_key"),
        Index("ix_contacts_mailbox_key", "mailbox_key"),
        Index("ix_contacts_name_key", "name_key"),
        Index("ix_contacts_phonetic_key", "phonetic_key"),
        # One live contact per mailbox and person, whoever writes at the same moment: a second
        # insert of the same address and name conflicts and reuses the first. Different names
        # may share an address (a role mailbox such as info@); merged records keep their keys.
        Index(
            "ux_contacts_live_person",
            "email_key",
            "name_key",
            unique=True,
            sqlite_where=text("merged_into_id IS NULL"),
            postgresql_where=text("merged_into_id IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    salutation: Mapped[str] = mapped_column(String(40), default="")  # Anrede: Frau, Herr, …
    title: Mapped[str] = mapped_column(String(60), default="")  # akademischer Titel: Dr., Prof.
    office_title: Mapped[str] = mapped_column(String(120), default="")  # Amtsbezeichnung
    first_name: Mapped[str] = mapped_column(String(120), default="")
    name_particle: Mapped[str] = mapped_column(String(40), default="")  # von, zu, van …
    last_name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254))  # as entered, normalised; local part keeps case
    email_key: Mapped[str] = mapped_column(String(254))  # case-folded: same key = same mailbox
    mailbox_key: Mapped[str] = mapped_column(String(254), default="")  # no +tag, no Gmail dots
    name_key: Mapped[str] = mapped_column(String(300), default="")  # folded, sorted name tokens
    phonetic_key: Mapped[str] = mapped_column(String(60), default="")  # Kölner Phonetik of surname
    organisation: Mapped[str] = mapped_column(String(200), default="")
    function: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str] = mapped_column(String(60), default="")
    language: Mapped[str] = mapped_column(String(2), default="de")
    vip: Mapped[bool] = mapped_column(default=False)
    do_not_invite: Mapped[bool] = mapped_column(default=False)
    role_address: Mapped[bool] = mapped_column(default=False)  # info@, poststelle@ …
    notes: Mapped[str] = mapped_column(Text, default="")
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), index=True)
    # A permanent (5.x.x) bounce came back for this address: the next invitation warns.
    bounced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    bounce_reason: Mapped[str] = mapped_column(Text, default="")  # status and diagnostic
    # Set by comms (e.g. the mayor's VIP guests): at this many invitations from other
    # departments within GUEST_FATIGUE_DAYS, staff may not invite the guest (invitations/fatigue).
    invitation_cap: Mapped[int | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    tags: Mapped[list[Tag]] = relationship(
        secondary=contact_tags, lazy="selectin", order_by=Tag.name
    )
    merged_into: Mapped["Contact | None"] = relationship(remote_side=[id])
    addresses: Mapped[list["ContactAddress"]] = relationship(
        back_populates="contact", order_by="ContactAddress.id", passive_deletes=True
    )

    @property
    def full_name(self) -> str:
        """Return the name as printed on an envelope, without salutation."""
        parts = (self.title, self.first_name, self.name_particle, self.last_name)
        return " ".join(p for p in parts if p)

    def __repr__(self) -> str:
        return f"<Contact {self.id} {self.email}>"


class ContactImport(db.Model):
    """An uploaded CSV file parsed for preview; contacts are written only on confirmation."""

    __tablename__ = "contact_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(255), default="")
    rows: Mapped[list] = mapped_column(db.JSON)  # parsed rows with their per-field errors
    status: Mapped[str] = mapped_column(String(16), default="preview")  # preview, done, discarded
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class NotDuplicate(db.Model):
    """A pair of contacts a person confirmed to be different people (smaller id first)."""

    __tablename__ = "contact_not_duplicates"
    __table_args__ = (CheckConstraint("first_id < second_id", name="ordered_pair"),)

    first_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True
    )
    second_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True
    )
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ContactMerge(db.Model):
    """The log of a merge: which contact survived, which was merged, by whom, what moved."""

    __tablename__ = "contact_merges"

    id: Mapped[int] = mapped_column(primary_key=True)
    survivor_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    merged_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    reason: Mapped[str] = mapped_column(String(200), default="")
    details: Mapped[dict] = mapped_column(db.JSON, default=dict)
    merged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    merged_at: Mapped[datetime] = mapped_column(UTCDateTime)
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    undone_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    survivor: Mapped[Contact] = relationship(foreign_keys=[survivor_id])
    merged: Mapped[Contact] = relationship(foreign_keys=[merged_id])
    merged_by = relationship("User", foreign_keys=[merged_by_id])


class ContactAddress(db.Model):
    """A further address of a live contact, kept from a merge: mail typed for it finds the contact.

    An address key is at most one contact's further address; merging that contact moves its
    rows to the survivor, undoing the merge moves them back.
    """

    __tablename__ = "contact_addresses"
    __table_args__ = (Index("ux_contact_addresses_email_key", "email_key", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(254))  # as entered, normalised
    email_key: Mapped[str] = mapped_column(String(254))  # case-folded, as Contact.email_key
    merge_id: Mapped[int | None] = mapped_column(
        ForeignKey("contact_merges.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    contact: Mapped[Contact] = relationship(back_populates="addresses")
