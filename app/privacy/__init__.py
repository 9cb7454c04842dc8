"""Data protection: retention, the privacy notice, access export, erasure, suppression list.

``register`` adds the ``privacy`` command group and one blueprint per module listed in
``BLUEPRINT_MODULES`` (each module defines ``bp``); another feature of this package adds its
views by listing its module there.
"""

import importlib

from flask import Flask

BLUEPRINT_MODULES = [
    "app.privacy.retention_views",
    "app.privacy.notice_views",
    "app.privacy.subject_views",
]


def register(app: Flask) -> None:
    """Check the retention settings, register the blueprints and the ``privacy`` commands."""
    from app.contacts import hooks
    from app.privacy import suppression
    from app.privacy.cli import privacy_cli
    from app.privacy.retention_classes import CONTACT_MODES

    if app.config.get("RETENTION_CONTACTS_MODE") not in CONTACT_MODES:
        raise RuntimeError("RETENTION_CONTACTS_MODE must be delete or review.")
    for name in (
        "RETENTION_RSVP_TEXT_DAYS",
        "RETENTION_ANSWERS_MONTHS",
        "RETENTION_MAIL_BODY_DAYS",
        "RETENTION_CONTACTS_MONTHS",
        "RETENTION_AUDIT_MONTHS",
        "RETENTION_NOTIFICATIONS_DAYS",
        "RETENTION_BATCH_SIZE",
    ):
        value = app.config.get(name)
        if not isinstance(value, int) or value < (1 if name == "RETENTION_BATCH_SIZE" else 0):
            raise RuntimeError(f"{name} must be a whole number (days, months or rows).")
    for module in BLUEPRINT_MODULES:
        app.register_blueprint(importlib.import_module(module).bp)
    app.cli.add_command(privacy_cli)
    hooks.add(hooks.address_checks, suppression.refusal)  # erased addresses stay out
