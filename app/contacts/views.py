"""Address book pages (placeholder until the contacts feature lands)."""

from flask import Blueprint

bp = Blueprint("contacts", __name__, url_prefix="/contacts")
