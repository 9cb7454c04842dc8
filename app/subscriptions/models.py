"""One row per thing a user follows: (user, kind, target id)."""

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db

# What a user may follow; "brief" (target 0) is the subscription to the weekly brief.
TARGET_KINDS = ("department", "venue", "audience", "district")
BRIEF = "brief"
KINDS = (*TARGET_KINDS, BRIEF)


class Subscription(db.Model):
    """A user follows a department, venue, audience or district, or reads the weekly brief."""

    __tablename__ = "subscriptions"
    __table_args__ = (
        UniqueConstraint("user_id", "kind", "target_id"),
        Index("ix_subscriptions_kind_target", "kind", "target_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    target_id: Mapped[int] = mapped_column(default=0)

    def __repr__(self) -> str:
        return f"<Subscription u{self.user_id} {self.kind}:{self.target_id}>"
