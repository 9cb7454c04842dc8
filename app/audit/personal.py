"""Which recorded values are personal: the one place that decides what the log shows to whom.

``changes`` holds ``{field: [old, new]}``. Values of PERSONAL fields are stored (the privacy
officer needs them to answer "who changed my address, and from what?") but shown only to the
privacy role; everyone else sees the field name and "changed". Values of NOT_KEPT fields are
never stored at all: free texts that may hold health data (Art. 9 DSGVO) and secrets.
"""

# Contact data, login names and anything that identifies or describes a person.
PERSONAL = frozenset(
    {
        "salutation",
        "title",
        "office_title",
        "first_name",
        "name_particle",
        "last_name",
        "name",
        "email",
        "organisation",
        "function",
        "phone",
        "tags",
        "vip",
        "do_not_invite",
        "language",
        "addresses",
    }
)
# Free texts (dietary and accessibility needs, comments, notes) and secrets: only "changed".
NOT_KEPT = frozenset({"comment", "needs", "notes", "password"})
# What a masked value reads as (the template translates it).
MASK = "***"


def diff(before: dict, after: dict) -> dict:
    """Return ``{field: [old, new]}`` for the fields whose value differs (NOT_KEPT as None)."""
    changes = {}
    for name, new in after.items():
        old = before.get(name)
        if old != new:
            changes[name] = [None, None] if name in NOT_KEPT else [old, new]
    return changes


def created(values: dict) -> dict:
    """Return ``{field: [None, value]}`` for the filled fields of a new record."""
    return diff({}, {k: v for k, v in values.items() if v not in ("", None, False, [])})


def is_personal(name: str) -> bool:
    """Return True if the field's values are shown only to the privacy role."""
    return name in PERSONAL or name in NOT_KEPT


def masked(changes: dict, *, reveal: bool) -> dict:
    """Return the changes as a viewer may see them: personal values masked unless reveal."""
    if reveal:
        return changes
    shown = {}
    for name, value in (changes or {}).items():
        pair = isinstance(value, list) and len(value) == 2
        if is_personal(name):
            shown[name] = [MASK, MASK] if pair else MASK
        else:
            shown[name] = value
    return shown
