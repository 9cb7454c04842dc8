"""One page of a list with its total: the address book, the audit log."""

from dataclasses import dataclass
from typing import Any


@dataclass
class Page:
    """One page of results (``page`` counts from 1) and how many there are in all."""

    items: list[Any]
    page: int
    per_page: int
    total: int

    @property
    def has_next(self) -> bool:
        """Return True when a later page exists."""
        return self.page * self.per_page < self.total

    @property
    def pages(self) -> int:
        """Return the number of pages (at least one)."""
        return max(1, -(-self.total // self.per_page))
