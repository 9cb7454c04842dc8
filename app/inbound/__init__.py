"""Inbound mail: calendar replies, bounces and human answers to the rsvp+<token> addresses."""

from flask import Flask


def register(app: Flask) -> None:
    """Add the inbound commands to the ``mail`` group and the "Eingang" pages to the app."""
    from app.inbound import cli  # noqa: F401 - the commands attach themselves to the mail group
    from app.inbound.devviews import bp as dev_bp
    from app.inbound.views import bp

    app.register_blueprint(bp)
    app.register_blueprint(dev_bp)
