"""Subscriptions: a user follows departments, venues, audiences or districts (the push side of
the feeds) and may subscribe to the weekly brief.

``register`` adds the "Abonnements" page and plugs ``notices.notify_subscribers`` into
``app.events.hooks.saved``: a newly published public or internal event there notifies each
follower once (cause ``subscription:<event id>``).
"""

from flask import Flask


def register(app: Flask) -> None:
    """Add the subscriptions page and the hook that notifies followers of published events."""
    from app.events import hooks as event_hooks
    from app.subscriptions.notices import notify_subscribers
    from app.subscriptions.views import bp

    app.register_blueprint(bp)
    event_hooks.add(event_hooks.saved, notify_subscribers)
