"""RSVP pages for guests (placeholder)."""

from flask import Blueprint

bp = Blueprint("rsvp", __name__, url_prefix="/rsvp")
