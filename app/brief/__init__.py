"""The weekly brief: the next four weeks for the communications team and every subscriber.

``/brief`` shows it (printable), ``flask --app wsgi brief send`` mails it on Mondays through
the outbox, one mail per recipient in their language, only when there is something new.
"""

from flask import Flask


def register(app: Flask) -> None:
    """Add the brief page and the ``brief`` commands."""
    from app.brief.cli import brief_cli
    from app.brief.views import bp

    app.register_blueprint(bp)
    app.cli.add_command(brief_cli)
