"""The exclusive-venue constraint on events: a lost booking race becomes a friendly error.

On PostgreSQL the exclusion constraint on (venue, occupied range) of published events at an
exclusive venue is the last line behind the conflict check; a race lost there surfaces at the
flush and is reported on the venue field.
"""

from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from app.errors import ValidationError
from app.extensions import db

EXCLUSION = "excl_events_exclusive_venue"


def flush_guarded() -> None:
    """Flush; a lost race for an exclusive venue becomes a validation error on venue_id."""
    try:
        db.session.flush()
    except IntegrityError as error:
        if EXCLUSION not in str(error.orig):
            raise
        db.session.rollback()
        raise ValidationError.single(
            "venue_id",
            _(
                "The venue was booked by another published event a moment ago. Please choose "
                "another time or venue."
            ),
        ) from error
