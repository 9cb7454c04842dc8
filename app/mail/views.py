"""Development-only page listing caught mails (placeholder)."""

from flask import Blueprint

bp = Blueprint("mail", __name__, url_prefix="/dev/mail")
