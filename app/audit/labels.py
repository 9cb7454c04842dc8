"""Readable names of action codes and actors; any code gets a label, known or not."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.audit.models import AuditEntry

ACTIONS = {
    "contact.created": _l("Contact created"),
    "contact.changed": _l("Contact changed"),
    "contact.merged": _l("Contacts merged"),
    "contact.merge_undone": _l("Merge undone"),
    "contact.imported": _l("Contacts imported"),
    "contact.exported": _l("Access export of a contact"),
    "contact.erased": _l("Contact erased"),
    "guestlist.viewed": _l("Guest list viewed"),
    "guestlist.exported": _l("Guest list exported"),
    "invitation.sent": _l("Invitation sent"),
    "invitation.answered": _l("Invitation answered"),
    "invitation.recorded": _l("Answer recorded by staff"),
    "rsvp.opened": _l("RSVP link opened"),
    "cohost.requested": _l("Co-hosting requested"),
    "cohost.accepted": _l("Co-hosting request accepted"),
    "cohost.declined": _l("Co-hosting request declined"),
    "auth.login": _l("Login"),
    "auth.login_failed": _l("Failed login"),
    "auth.logout": _l("Logout"),
    "user.created": _l("User created"),
    "user.changed": _l("User changed"),
    "user.role_changed": _l("Role changed"),
    "user.deactivated": _l("User deactivated"),
    "token.issued": _l("API token issued"),
    "token.revoked": _l("API token revoked"),
    "retention.run": _l("Retention run"),
    "audit.exported": _l("Audit log downloaded"),
}
# For codes no one has named yet ("contact.archived"): the object and the verb.
OBJECTS = {
    "contact": _l("Contact"),
    "guestlist": _l("Guest list"),
    "invitation": _l("Invitation"),
    "user": _l("User"),
    "event": _l("Event"),
    "auth": _l("Login"),
    "token": _l("API token"),
    "retention": _l("Retention"),
}
VERBS = {
    "created": _l("created"),
    "changed": _l("changed"),
    "deleted": _l("deleted"),
    "exported": _l("exported"),
    "viewed": _l("viewed"),
}


def action_label(code: str) -> str:
    """Return the label of an action code, composed from its parts when it has none."""
    if code in ACTIONS:
        return str(ACTIONS[code])
    subject, _sep, verb = code.partition(".")
    if subject in OBJECTS and verb in VERBS:
        return f"{OBJECTS[subject]} {VERBS[verb]}"
    return code


def action_choices(seen: list[str]) -> list[tuple[str, str]]:
    """Return (code, label) pairs for the action filter: the named codes and those in the log."""
    codes = sorted(set(ACTIONS) | set(seen), key=lambda c: action_label(c).lower())
    return [(c, action_label(c)) for c in codes]


def actor_label(entry: AuditEntry) -> str:
    """Return who acted, as the log page and the CSV show it."""
    if entry.actor_type == "guest":
        return _("Guest (RSVP link)")
    if entry.actor_type == "system":
        return _("System") + (f" ({entry.actor_label})" if entry.actor_label else "")
    if entry.actor_type == "token":
        return _("API token of %(email)s", email=entry.actor_label)
    return entry.actor_label or _("Unknown")
