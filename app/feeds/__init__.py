"""Feeds: public and private iCalendar subscriptions."""
