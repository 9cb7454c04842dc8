"""The audit log table: one row per recorded action, never updated, deleted only by age."""

from datetime import datetime

from sqlalchemy import JSON, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.sqltypes import UTCDateTime

ACTOR_TYPES = ("user", "token", "guest", "system")


class AuditEntry(db.Model):
    """Who did what to which object, with the changed fields (old, new)."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_object", "object_type", "object_id"),
        Index("ix_audit_log_action_at", "action", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # user (web session), token (API), guest (RSVP link), system (commands, workers)
    actor_type: Mapped[str] = mapped_column(String(8))
    # The user's id and email at the time: the account may be renamed or removed later.
    actor_id: Mapped[int | None] = mapped_column(index=True)
    actor_label: Mapped[str] = mapped_column(String(254), default="")
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(32), default="")
    object_id: Mapped[int | None]
    # {"field": [old, new]} for changes, or small facts such as {"rows": 120}.
    changes: Mapped[dict] = mapped_column(JSON, default=dict)

    def __repr__(self) -> str:
        return f"<AuditEntry {self.id} {self.action} {self.object_type}:{self.object_id}>"
