"""Mail delivery commands (placeholder)."""

from flask.cli import AppGroup

mail_cli = AppGroup("mail", help="Deliver queued mail.")
