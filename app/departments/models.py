"""Departments (Ämter, Fachbereiche) of the city administration."""

import re

from sqlalchemy import String, select
from sqlalchemy.orm import Mapped, mapped_column, validates
from sqlalchemy.types import TypeDecorator

from app.extensions import db

# What a code may look like after normalise_code (it appears in feed URLs and the API).
CODE_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,31}")


def normalise_code(value: str) -> str:
    """Return a department code as stored and shown: trimmed and lower-case."""
    return value.strip().lower()


class DepartmentCode(TypeDecorator):
    """A department code; every value written or compared is normalised first.

    Codes are matched case-insensitively everywhere (CLI, forms, URLs, API filters) because
    every bound value, also in ``WHERE code = :code`` and ``code IN (...)``, passes through
    normalise_code, while the stored codes are lower-case.
    """

    impl = String(32)
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect) -> str | None:
        """Normalise a code before it reaches the database."""
        return normalise_code(value) if isinstance(value, str) else value


class Department(db.Model):
    """A department that owns events and employs staff users."""

    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(DepartmentCode(), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254), default="")
    active: Mapped[bool] = mapped_column(default=True)

    @validates("code")
    def _normalise_code(self, _key: str, value: str) -> str:
        """Keep the attribute as it will be stored, so that Python comparisons agree."""
        return normalise_code(value) if isinstance(value, str) else value

    def __repr__(self) -> str:
        return f"<Department {self.code}>"


def find_department(code: str) -> Department | None:
    """Return the department with this code, whatever its letter case, or None."""
    return db.session.scalar(select(Department).filter_by(code=normalise_code(code)))
