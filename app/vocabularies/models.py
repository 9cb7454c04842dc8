"""Controlled vocabularies: audiences (Zielgruppen), categories and city districts."""

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db


class _Term:
    """Columns every vocabulary term has: a stable code and German and English labels."""

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120), default="")
    active: Mapped[bool] = mapped_column(default=True)

    def label(self, locale: str = "de") -> str:
        """Return the label in the given language, falling back to German."""
        return self.name_en if locale == "en" and self.name_en else self.name


class Audience(_Term, db.Model):
    """A target group (Zielgruppe) such as Presse or Politik/Rat."""

    __tablename__ = "audiences"


class Category(_Term, db.Model):
    """An event category such as Empfang or Bürgerdialog."""

    __tablename__ = "categories"


class District(_Term, db.Model):
    """A Stadtbezirk (city district) where venues lie."""

    __tablename__ = "districts"


VOCABULARIES = {"audiences": Audience, "categories": Category, "districts": District}
