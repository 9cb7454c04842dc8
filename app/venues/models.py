"""Venues register: rooms and halls where events take place."""

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.vocabularies.models import District


class Venue(db.Model):
    """A bookable place with capacity, buffers and accessibility notes."""

    __tablename__ = "venues"
    __table_args__ = (
        CheckConstraint("capacity IS NULL OR capacity >= 0", name="capacity_not_negative"),
        CheckConstraint(
            "setup_minutes >= 0 AND teardown_minutes >= 0", name="buffers_not_negative"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(300), default="")
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"))
    capacity: Mapped[int | None]
    setup_minutes: Mapped[int] = mapped_column(default=0)
    teardown_minutes: Mapped[int] = mapped_column(default=0)
    exclusive: Mapped[bool] = mapped_column(default=False)
    accessibility_notes: Mapped[str] = mapped_column(Text, default="")
    # Accessibility attributes the public portal filters on ("barrierefrei" means all of the first
    # two; the others are shown and offered as filters of their own).
    step_free: Mapped[bool] = mapped_column(default=False)
    accessible_toilet: Mapped[bool] = mapped_column(default=False)
    induction_loop: Mapped[bool] = mapped_column(default=False)
    sign_language_on_request: Mapped[bool] = mapped_column(default=False)
    # How to get there by bus and train, shown on the portal ("U42 bis Stadtgarten").
    transit_hint: Mapped[str] = mapped_column(String(300), default="")
    active: Mapped[bool] = mapped_column(default=True)

    district: Mapped[District | None] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return f"<Venue {self.name}>"
