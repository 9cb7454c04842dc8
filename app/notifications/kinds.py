"""The kinds of notifications: labels, the defaults per role, and how each is worded."""

from collections.abc import Callable

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.accounts.models import Role

IMMEDIATE, DIGEST, OFF = "immediate", "digest", "off"
MODES = (IMMEDIATE, DIGEST, OFF)
MODE_LABELS = {IMMEDIATE: _l("immediately"), DIGEST: _l("daily digest"), OFF: _l("off")}

KIND_LABELS = {
    "conflict": _l("A new or moved event clashes with ours"),
    "guest_clash": _l("Another department invited one of our guests at the same time"),
    "published_over_warning": _l("Our event was published despite a warning"),
    "cancelled": _l("Our event was cancelled by someone outside our department"),
    "cohost_request": _l("A department asks to co-host our event"),
    "cohost_answer": _l("The answer to our co-hosting request"),
    "inbound_review": _l("A guest's reply waits for review"),
    "subscription": _l("A new public event where I follow"),
}
KINDS = tuple(KIND_LABELS)

# Staff hear at once what touches their own events; comms and admin read the daily digest
# (they see the whole calendar on the conflict view anyway); the privacy role hears nothing.
_STAFF = {
    "conflict": IMMEDIATE,
    "guest_clash": DIGEST,
    "published_over_warning": IMMEDIATE,
    "cancelled": IMMEDIATE,
    "cohost_request": IMMEDIATE,
    "cohost_answer": IMMEDIATE,
    "inbound_review": DIGEST,
    "subscription": DIGEST,
}
_CITY_WIDE = dict.fromkeys(KINDS, DIGEST) | {"published_over_warning": OFF}
DEFAULTS = {
    Role.STAFF: _STAFF,
    Role.COMMS: _CITY_WIDE,
    Role.ADMIN: _CITY_WIDE,
    Role.PRIVACY: dict.fromkeys(KINDS, OFF),
}


def default_mode(role: Role, kind: str) -> str:
    """Return the mode a user of the role has for the kind until they choose."""
    return DEFAULTS.get(role, _STAFF).get(kind, OFF)


# Why two events clash, by conflict kind, for the conflict notification.
CONFLICT_REASONS = {
    "venue": _l("the same venue at the same time"),
    "person": _l("the same guests at the same time"),
    "duplicate": _l("possibly the same event"),
}


def _title(p: dict, key: str) -> str:
    """Return a title from the facts, or "Reserved" when the reader may not see it."""
    return _("Reserved") if p.get(f"{key}_masked") else p[key]


def _conflict(p: dict) -> str:
    """Word a clash between our event and another department's."""
    reason = CONFLICT_REASONS.get(p.get("conflict", ""), p.get("conflict", ""))
    if not p.get("department"):  # a confidential event's department is not named either
        return _(
            "“%(event)s” clashes with “%(other)s”: %(reason)s",
            event=p["event"],
            other=_title(p, "other"),
            reason=reason,
        )
    return _(
        "“%(event)s” clashes with “%(other)s” (%(department)s): %(reason)s",
        event=p["event"],
        other=_title(p, "other"),
        department=p["department"],
        reason=reason,
    )


def _cohost_answer(p: dict) -> str:
    """Word the answer to a co-hosting request."""
    if p.get("accepted") and p.get("cancelled"):
        return _(
            "%(department)s accepted our request to co-host “%(event)s”; our “%(cancelled)s”"
            " was cancelled.",
            **p,
        )
    if p.get("accepted"):
        return _("%(department)s accepted our request to co-host “%(event)s”.", **p)
    return _("%(department)s declined our request to co-host “%(event)s”.", **p)


# The message of each kind, worded in the reader's language from the stored facts.
_WORDING: dict[str, Callable[[dict], str]] = {
    "conflict": _conflict,
    "guest_clash": lambda p: _(
        "%(guest)s is also invited by %(department)s at the time of “%(event)s”.", **p
    ),
    "published_over_warning": lambda p: _(
        "“%(event)s” was published despite a warning. Reason given: %(reason)s", **p
    ),
    "cancelled": lambda p: _("“%(event)s” was cancelled by %(actor)s.", **p),
    "cohost_request": lambda p: _("%(department)s asks to co-host “%(event)s”.", **p),
    "cohost_answer": _cohost_answer,
    "inbound_review": lambda p: _(
        "A reply from %(sender)s about “%(event)s” waits for review.", **p
    ),
    "subscription": lambda p: _("New event “%(event)s” on %(when)s (%(department)s).", **p),
}


def message(kind: str, params: dict) -> str:
    """Return the notification's text in the current language (the kind's label if facts lack)."""
    wording = _WORDING.get(kind)
    try:
        return wording(params) if wording else str(KIND_LABELS.get(kind, kind))
    except KeyError:
        return str(KIND_LABELS.get(kind, kind))
