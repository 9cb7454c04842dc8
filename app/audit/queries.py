"""Reading the audit log: the filters of the Protokoll page and the API, a page of entries."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import Select, func, or_, select

from app.audit.models import ACTOR_TYPES, AuditEntry
from app.errors import ValidationError
from app.extensions import db
from app.input_guard import is_one_line, parse_id, parse_moment
from app.paging import Page

PER_PAGE = 50
MAX_TEXT = 254


@dataclass
class AuditFilter:
    """Who (actor), what (action or its prefix), which object, and the period."""

    actor: str = ""
    action: str = ""
    object_type: str = ""
    object_id: int | None = None
    start: date | datetime | None = None  # a day is a local day (Europe/Berlin)
    end: date | datetime | None = None  # inclusive: the whole day when a date

    @classmethod
    def from_args(cls, args) -> "AuditFilter":
        """Read the filter from query parameters; ValidationError names the faulty one."""
        errors: dict[str, list[str]] = {}
        texts = {}
        for name in ("actor", "action", "object_type"):
            value = (args.get(name) or "").strip()
            if len(value) > MAX_TEXT or not is_one_line(value):
                errors[name] = [_("Please enter a shorter text on one line.")]
            texts[name] = value
        raw_id = (args.get("object_id") or "").strip()
        object_id = parse_id(raw_id) if raw_id else None
        if raw_id and object_id is None:
            errors["object_id"] = [_("Please enter a whole number.")]
        period = {}
        for name in ("from", "to"):
            raw = (args.get(name) or "").strip()
            period[name] = parse_moment(raw) if raw else None
            if raw and period[name] is None:
                errors[name] = [_("Please enter a date as YYYY-MM-DD.")]
        if errors:
            raise ValidationError(errors)
        return cls(**texts, object_id=object_id, start=period["from"], end=period["to"])


def _instant(value: date | datetime, tz: str, *, end: bool) -> datetime:
    """Return the UTC instant a period bound stands for (a day: its local start or end)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=ZoneInfo(tz))
    day = value + timedelta(days=1) if end else value
    return datetime.combine(day, time(), tzinfo=ZoneInfo(tz)).astimezone(UTC)


def filtered(flt: AuditFilter, tz: str) -> Select:
    """Return the query for the entries the filter selects, newest first."""
    query = select(AuditEntry)
    if flt.actor:
        if flt.actor in ACTOR_TYPES:
            query = query.where(AuditEntry.actor_type == flt.actor)
        elif (user_id := parse_id(flt.actor)) is not None:
            query = query.where(AuditEntry.actor_id == user_id)
        else:
            pattern = "%" + flt.actor.lower().replace("%", r"\%").replace("_", r"\_") + "%"
            query = query.where(func.lower(AuditEntry.actor_label).like(pattern, escape="\\"))
    if flt.action:
        prefix = flt.action.rstrip(".") + "."
        query = query.where(
            or_(AuditEntry.action == flt.action, AuditEntry.action.startswith(prefix))
        )
    if flt.object_type:
        query = query.where(AuditEntry.object_type == flt.object_type)
    if flt.object_id is not None:
        query = query.where(AuditEntry.object_id == flt.object_id)
    if flt.start is not None:
        query = query.where(AuditEntry.at >= _instant(flt.start, tz, end=False))
    if flt.end is not None:
        bound = _instant(flt.end, tz, end=True)
        inclusive = isinstance(flt.end, datetime)
        query = query.where(AuditEntry.at <= bound if inclusive else AuditEntry.at < bound)
    return query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())


def page_of(query: Select, page: int = 1, per_page: int = PER_PAGE) -> Page:
    """Return one page of the query's entries."""
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    items = db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)).all()
    return Page(list(items), page, per_page, total or 0)


def history(object_type: str, object_id: int, limit: int = 100) -> list[AuditEntry]:
    """Return the newest entries about one object (the "Verlauf" block)."""
    query = filtered(AuditFilter(object_type=object_type, object_id=object_id), "UTC")
    return list(db.session.scalars(query.limit(limit)))
