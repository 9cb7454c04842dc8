"""Conflicts: venue, person, audience, holiday, blocked-date and capacity clashes."""
