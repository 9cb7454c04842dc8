"""The "answers" retention class: invitations of past events reduced to counts.

Built on the erasure's anonymisation (``app.privacy.anonymise``), assumed as:
``answers_due(cutoff) -> Select`` of the ids of invitations whose event ended before ``cutoff``
and which still name a contact, and ``anonymise_invitations(ids) -> int`` (removes the contact
link and the personal fields, keeps status and companions; flushes). ``retention.classes``
lists this class once that module exists.
"""

from collections.abc import Mapping
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.extensions import db
from app.privacy.anonymise import anonymise_invitations, answers_due
from app.privacy.retention import RetentionClass, months_before
from app.privacy.retention_classes import _months


def _cutoff(now: datetime, config: Mapping) -> datetime:
    """Return the end before which an event's answers are reduced to counts."""
    return months_before(now, config["RETENTION_ANSWERS_MONTHS"])


def _count(now: datetime, config: Mapping) -> int:
    """Return how many invitations are due for anonymisation."""
    query = answers_due(_cutoff(now, config))
    return db.session.scalar(select(func.count()).select_from(query.subquery())) or 0


def _purge(now: datetime, config: Mapping, limit: int) -> int:
    """Anonymise a batch of due invitations; return how many were due in the batch."""
    ids = list(db.session.scalars(answers_due(_cutoff(now, config)).limit(limit)))
    if ids:
        anonymise_invitations(ids)
    return len(ids)


ANSWERS = RetentionClass(
    name="answers",
    label=_l("Answers of past events"),
    period=lambda c: _(
        "%(period)s after the event, then counts only",
        period=_months(c["RETENTION_ANSWERS_MONTHS"]),
    ),
    count=_count,
    purge=_purge,
    tables=("invitations", "invitation_departments"),
)
