"""Showing domain validation errors next to the form fields they concern."""

from flask_wtf import FlaskForm

from app.errors import ValidationError


def apply_errors(form: FlaskForm, error: ValidationError, aliases: dict | None = None) -> None:
    """Attach each domain message to its form field; unmatched ones become form errors."""
    aliases = aliases or {}
    for name, messages in error.errors.items():
        field = getattr(form, aliases.get(name, name), None)
        if field is not None and hasattr(field, "errors"):
            field.errors = [*field.errors, *messages]
        else:
            form.form_errors.extend(messages)
