"""Request bodies of the JSON API, validated by pydantic (which also yields the OpenAPI schemas)."""

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticError

from app.errors import ValidationError
from app.input_guard import MAX_COUNT, MAX_ID, has_nul

IsoDateTime = Annotated[
    str,
    Field(
        description="ISO 8601. Without an offset: wall time in Europe/Berlin. "
        "All-day events take dates (YYYY-MM-DD); their ends_at is the last day, inclusive.",
        examples=["2026-12-03T18:00", "2026-12-03T18:00:00+01:00", "2026-12-24"],
    ),
]


class _Strict(BaseModel):
    """Refuses unknown fields so that typos are reported, not ignored."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class EventFields(_Strict):
    """Fields of an event as the API accepts them (all optional: the PATCH body)."""

    title: str | None = Field(None, max_length=200)
    description: str | None = Field(None, max_length=10000)
    starts_at: IsoDateTime | None = None
    ends_at: IsoDateTime | None = None
    all_day: bool | None = None
    venue_id: int | None = Field(None, ge=1, le=MAX_ID)
    location: str | None = Field(None, max_length=300)
    audiences: list[str] | None = Field(None, description="Audience codes")
    category: str | None = Field(None, description="Category code")
    visibility: Literal["public", "internal", "confidential"] | None = None
    status: Literal["draft", "published", "cancelled"] | None = None
    capacity: int | None = Field(None, ge=0, le=MAX_COUNT)
    max_plus_ones: int | None = Field(None, ge=0, le=20)
    rsvp_deadline: IsoDateTime | None = None
    co_hosts: list[str] | None = Field(None, description="Department codes")
    department: str | None = Field(
        None, description="Owning department code; staff may only use their own."
    )
    conflict_reason: str | None = Field(
        None,
        max_length=2000,
        description="Why to publish despite conflict warnings; required when publishing an "
        "event whose conflict check shows warnings (see POST /conflicts/check).",
    )


class EventCreate(EventFields):
    """The POST body: title and start are required."""

    title: str = Field(..., min_length=1, max_length=200)
    starts_at: IsoDateTime


class ConflictCheck(EventFields):
    """The fields of a proposed event; with event_id, changes to that event (itself excluded)."""

    event_id: int | None = Field(None, ge=1, le=MAX_ID)


class VenueCreate(_Strict):
    """A new venue (administrators only)."""

    name: str = Field(..., min_length=1, max_length=200)
    address: str = Field("", max_length=300)
    district: str | None = Field(None, description="District code")
    capacity: int | None = Field(None, ge=0, le=MAX_COUNT)
    setup_minutes: int = Field(0, ge=0, le=1440)
    teardown_minutes: int = Field(0, ge=0, le=1440)
    exclusive: bool = False
    accessibility_notes: str = Field("", max_length=2000)


def parse(model: type[_Strict], body) -> _Strict:
    """Validate a JSON body, turning pydantic's errors into our field -> messages form."""
    if not isinstance(body, dict):
        raise ValidationError.single("body", "Expected a JSON object.")
    if has_nul(body):
        raise ValidationError.single("body", "Text must not contain NUL characters.")
    try:
        return model.model_validate(body)
    except PydanticError as error:
        errors: dict[str, list[str]] = {}
        for item in error.errors(include_url=False):
            name = ".".join(str(p) for p in item["loc"]) or "body"
            message = "Unknown field." if item["type"] == "extra_forbidden" else item["msg"]
            errors.setdefault(name, []).append(message)
        raise ValidationError(errors) from None


def parse_when(name: str, value: str | None, all_day: bool) -> date | datetime | None:
    """Read an ISO 8601 date or date-time; all-day events take dates."""
    if value is None:
        return None
    try:
        if all_day:
            return date.fromisoformat(value)
        if len(value) == 10:
            raise ValidationError.single(name, "Give a date and a time, e.g. 2026-12-03T18:00.")
        return datetime.fromisoformat(value)
    except ValueError:
        expected = "a date (YYYY-MM-DD)" if all_day else "an ISO 8601 date-time"
        raise ValidationError.single(name, f"Not {expected}: {value!r}.") from None
