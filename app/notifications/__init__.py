"""Notifications: coordination that reaches people, in the app and by mail.

Any package may call ``service.notify`` in the transaction of a cause; this package imports only
accounts, mail and audit, so that events, invitations, conflicts and inbound can all use it.
"""

from flask import Flask
from flask_login import current_user


def register(app: Flask) -> None:
    """Add the pages, the ``notifications`` commands and the unread count in the header."""
    from app.notifications import mails
    from app.notifications.cli import notifications_cli
    from app.notifications.service import unread_count
    from app.notifications.views import bp

    app.register_blueprint(bp)
    app.cli.add_command(notifications_cli)
    mails.install()  # notification mails are composed at delivery

    @app.context_processor
    def _unread() -> dict:
        """Give templates the unread count of the logged-in user (computed when used)."""

        def count() -> int:
            """Return the unread notifications of the current user."""
            if not getattr(current_user, "is_authenticated", False):
                return 0
            return unread_count(current_user)

        return {"unread_notifications": count}
