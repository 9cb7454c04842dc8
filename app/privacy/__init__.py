"""Data protection: access export, erasure and the suppression list (issue 12)."""

from flask import Flask


def register(app: Flask) -> None:
    """Register the data subject pages and refuse suppressed addresses in the address book."""
    from app.contacts import hooks
    from app.privacy import subject_views, suppression

    app.register_blueprint(subject_views.bp)
    hooks.add(hooks.address_checks, suppression.refusal)
