"""Inbound mail: calendar replies, bounces and human answers to the rsvp+<token> addresses."""

from flask import Flask


def register(app: Flask) -> None:
    """Add the inbound commands, the "Eingang" pages and the event page's review count."""
    from app.events import hooks
    from app.inbound import cli  # noqa: F401 - the commands attach themselves to the mail group
    from app.inbound.devviews import bp as dev_bp
    from app.inbound.review import page_context
    from app.inbound.views import bp

    app.register_blueprint(bp)
    if app.config.get("ENV_NAME") != "production":  # /dev/mail's buttons; 404 there otherwise
        app.register_blueprint(dev_bp)
    hooks.add(hooks.page_context, page_context)  # open review items on the event page
