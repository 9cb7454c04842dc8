"""Connecting invitations to the packages below them, once per app start (from create_app).

Contacts, mail and events import nothing of invitations; they call what is registered here.
"""

from app.contacts import hooks
from app.events import hooks as event_hooks
from app.events.operations import rescheduled
from app.invitations import contact_changes, contact_merge_undo, delivery
from app.invitations.emails import KINDS
from app.mail import renderers


def install() -> None:
    """Register the invitation mail renderer, the contact hooks and the rescheduling receiver."""
    renderers.register(KINDS, delivery.render_queued, prepare=delivery.preload)
    hooks.add(hooks.address_change_guards, contact_changes.invited_elsewhere)
    hooks.add(hooks.on_readdress, contact_changes.readdress_contact)
    hooks.add(hooks.on_merge, contact_changes.merge_invitations)
    hooks.add(hooks.on_unmerge, contact_merge_undo.unmerge_invitations)
    hooks.add(hooks.invitation_counters, contact_changes.invitation_counts)
    event_hooks.add(event_hooks.guest_counters, delivery.count_guests)
    rescheduled.connect(delivery.on_rescheduled)  # blinker keeps one connection per receiver
