"""Invitation commands (placeholder)."""

from flask.cli import AppGroup

invitations_cli = AppGroup("invitations", help="Invitations: reminders.")
