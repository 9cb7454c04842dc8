"""Notifications: one row per (recipient, cause), and each user's choice per kind."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.sqltypes import UTCDateTime


class Notification(db.Model):
    """Something a user should know: its kind, the facts to word it, a link, read or not."""

    __tablename__ = "notifications"
    __table_args__ = (
        # At most one notification per recipient and cause, also when two transactions race;
        # also how a user's notifications are found (no index of its own: publishing writes a
        # notification per staff member of a department, and each index costs, see 0021).
        UniqueConstraint("user_id", "cause"),
        Index("ix_notifications_digest", "delivery", "mailed_at"),
        Index(
            "ix_notifications_contact_id",
            "contact_id",
            postgresql_where=text("contact_id IS NOT NULL"),
            sqlite_where=text("contact_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    # The facts (titles, names, reasons) the message is worded from, in the reader's language.
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    url: Mapped[str] = mapped_column(String(500), default="")
    # What caused it, e.g. "conflict:venue:12:40" or "cancelled:12:3": the dedup key.
    cause: Mapped[str] = mapped_column(String(200))
    # The guest the facts name (a guest clash, a reply waiting for review): erasing the person
    # deletes the notification with its personal facts.
    contact_id: Mapped[int | None]
    # "immediate" (mailed at once) or "digest" (mailed with the next daily digest).
    delivery: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    mailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<Notification {self.id} {self.kind} u{self.user_id}>"


class NotificationSetting(db.Model):
    """A user's choice for one kind; without a row the role's default applies."""

    __tablename__ = "notification_settings"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    mode: Mapped[str] = mapped_column(String(16))  # immediate, digest, off
