"""Guest lists and invitation pages (placeholder)."""

from flask import Blueprint

bp = Blueprint("invitations", __name__)
