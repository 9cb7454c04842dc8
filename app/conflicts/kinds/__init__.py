"""The conflict kinds, one module each, every one answering for one proposal and for a window.

A kind module has:

* ``NAME`` and ``KEY_PREFIXES`` (the first part of its conflicts' keys);
* ``part(shape)``: its rows in the single check's UNION ALL statement (or None when the
  proposal's shape gives it nothing to ask), columns as ``overlap.hit_row``;
* ``for_proposal(checked, rows)``: the conflicts of the proposal from those rows;
* ``for_window(win)``: the conflicts among the events of a window (its own queries);
* ``narrow(win, key)``: the window reduced to what one conflict key names (None: no such key),
  so that one conflict is found without computing the whole window.

A new kind is one more module with these five names, added to ``ALL`` below and to
``conflict.KINDS``; both orchestrators pick it up.
"""

from app.conflicts.kinds import audience, blocked, capacity, duplicate, holiday, person, venue

ALL = (venue, person, audience, holiday, blocked, capacity, duplicate)
BY_PREFIX = {prefix: kind for kind in ALL for prefix in kind.KEY_PREFIXES}
