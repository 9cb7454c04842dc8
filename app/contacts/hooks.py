"""Hooks through which the packages that use contacts take part in changes to them.

The address book imports no package above it: invitations register here, at app start
(app/invitations/wiring.py), who relies on a contact, what a new address means for the mail
already queued, and what a merge moves. Each list may hold several callables; all are called.
"""

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from app.contacts.models import Contact


class AddressChangeGuard(Protocol):
    """Return True when another department relies on one of the contacts (see operations)."""

    def __call__(self, contact_ids: list[int], actor: Any, now: datetime) -> bool: ...


class ReaddressHook(Protocol):
    """React to a contact's new address; with renew, the address itself changed (not its case)."""

    def __call__(
        self, contact: "Contact", *, now: datetime, secret_key: str, renew: bool
    ) -> None: ...


class MergeHook(Protocol):
    """Move what belongs to the merged contact to the survivor; return details for the log."""

    def __call__(
        self, keep: "Contact", gone: "Contact", *, now: datetime, secret_key: str
    ) -> dict: ...


class UnmergeHook(Protocol):
    """Move what a merge had moved (these invitation ids) back; return the ids moved back."""

    def __call__(
        self, keep: "Contact", gone: "Contact", moved: list[int], *, now: datetime, secret_key: str
    ) -> list[int]: ...


# Staff may change a contact's address or opt-out flag, or merge it, only while no guard says
# that another department relies on it.
address_change_guards: list[AddressChangeGuard] = []
on_readdress: list[ReaddressHook] = []
on_merge: list[MergeHook] = []
on_unmerge: list[UnmergeHook] = []  # undoing a merge (app/contacts/merge_undo.py)
# (address match key) -> a message when the address may not be used (an erased person's, see
# app/privacy/suppression.py), else None: asked for every address the address book validates.
address_checks: list[Callable[[str], str | None]] = []
# (session, contact ids) -> {contact id: number of invitations}, shown before a merge.
invitation_counters: list[Callable[[Session, list[int]], dict[int, int]]] = []


def add(hooks: list, hook: Callable) -> None:
    """Add a hook to one of the lists unless it is there (every app start installs again)."""
    if hook not in hooks:
        hooks.append(hook)
