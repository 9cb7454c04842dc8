"""Conflicts: venue, person, audience, holiday, blocked-date, capacity and duplicate clashes.

One detector with two entry points: ``engine.check`` (one proposed or stored event, one round
trip) and ``listing.conflicts_between`` (every conflict of a window; ``listing.find`` for one
key). Each kind is one module in ``kinds/`` that answers for both; masking is in
``describe.py``, each kind's wording and severity rules in ``describe_venue.py``,
``describe_people.py`` or ``describe_days.py``; the ``Conflict`` record and its keys in
``conflict.py``.
A new kind is one more module in ``kinds/`` (see
``kinds/__init__.py`` for the five names it provides), listed in ``kinds.ALL`` and
``conflict.KINDS``, with its wording in a ``describe_*.py`` module.

Lower packages never import this one: ``register`` plugs the publishing gate and the conflict
panels into ``app.events.hooks`` and the exclusive-venue check into ``app.venues.hooks``.
"""


def register(app) -> None:
    """Plug the conflict checks into events and venues (called once per app by create_app)."""
    from app.conflicts import gate, live
    from app.events import hooks as event_hooks
    from app.events.exclusion import flush_guarded
    from app.venues import hooks as venue_hooks

    event_hooks.add(event_hooks.publish_checks, gate.publish_check)
    event_hooks.add(event_hooks.page_context, live.page_context)
    event_hooks.add(event_hooks.form_context, live.form_context)
    venue_hooks.add(venue_hooks.save_checks, gate.venue_refusals)
    venue_hooks.add(venue_hooks.flush_guards, flush_guarded)
