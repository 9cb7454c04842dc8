"""Request bodies of the JSON API, validated by pydantic (which also yields the OpenAPI schemas)."""

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticError
from pydantic_core import PydanticCustomError

from app.errors import ValidationError
from app.input_guard import (
    MAX_COUNT,
    MAX_ID,
    MAX_YEAR,
    MIN_YEAR,
    is_clean_text,
    is_one_line,
    nul_path,
    parse_datetime,
    parse_day,
)


def _one_line(value: str) -> str:
    """Refuse line breaks and control characters in one-line text."""
    if not is_one_line(value):
        raise PydanticCustomError("one_line", "Must not contain line breaks or control characters.")
    return value


def _clean_text(value: str) -> str:
    """Refuse control characters other than tab and line breaks in multi-line text."""
    if not is_clean_text(value):
        raise PydanticCustomError("clean_text", "Must not contain control characters.")
    return value


# Titles, names, places, codes: they go into iCalendar lines, mail headers and CSV cells.
Line = Annotated[str, AfterValidator(_one_line)]
# Descriptions and notes: line breaks are kept, other control characters refused.
Text = Annotated[str, AfterValidator(_clean_text)]

IsoDateTime = Annotated[
    Line,
    Field(
        description="ISO 8601. Without an offset: wall time in Europe/Berlin. "
        "All-day events take dates (YYYY-MM-DD); their ends_at is the last day, inclusive.",
        examples=["2026-12-03T18:00", "2026-12-03T18:00:00+01:00", "2026-12-24"],
    ),
]


class _Strict(BaseModel):
    """Refuses unknown fields and values of another JSON type (0 is not false, "5" not 5)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, strict=True)


class EventFields(_Strict):
    """Fields of an event as the API accepts them (all optional: the PATCH body)."""

    title: Line | None = Field(None, max_length=200)
    description: Text | None = Field(None, max_length=10000)
    starts_at: IsoDateTime | None = None
    ends_at: IsoDateTime | None = None
    all_day: bool | None = None
    venue_id: int | None = Field(None, ge=1, le=MAX_ID)
    location: Line | None = Field(None, max_length=300)
    audiences: list[Line] | None = Field(None, description="Audience codes")
    category: Line | None = Field(None, description="Category code")
    visibility: Literal["public", "internal", "confidential"] | None = None
    status: Literal["draft", "published", "cancelled"] | None = None
    capacity: int | None = Field(None, ge=0, le=MAX_COUNT)
    max_plus_ones: int | None = Field(None, ge=0, le=20)
    free: bool | None = Field(None, description="Free of charge for the public")
    rsvp_deadline: IsoDateTime | None = None
    co_hosts: list[Line] | None = Field(None, description="Department codes")
    department: Line | None = Field(
        None, description="Owning department code; staff may only use their own."
    )
    conflict_reason: Text | None = Field(
        None,
        max_length=2000,
        description="Why to publish despite conflict warnings; required when publishing an "
        "event whose conflict check shows warnings (see POST /conflicts/check).",
    )


class EventCreate(EventFields):
    """The POST body: title and start are required."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "title": "Bürgerdialog",
                    "starts_at": "2027-01-14T18:00",
                    "ends_at": "2027-01-14T20:00",
                    "visibility": "public",
                }
            ]
        }
    )

    title: Line = Field(..., min_length=1, max_length=200)
    starts_at: IsoDateTime


class ConflictCheck(EventFields):
    """The fields of a proposed event; with event_id, changes to that event (itself excluded)."""

    event_id: int | None = Field(None, ge=1, le=MAX_ID)


class VenueCreate(_Strict):
    """A new venue (administrators only)."""

    name: Line = Field(..., min_length=1, max_length=200)
    address: Line = Field("", max_length=300)
    district: Line | None = Field(None, description="District code")
    capacity: int | None = Field(None, ge=0, le=MAX_COUNT)
    setup_minutes: int = Field(0, ge=0, le=1440)
    teardown_minutes: int = Field(0, ge=0, le=1440)
    exclusive: bool = False
    accessibility_notes: Text = Field("", max_length=2000)
    step_free: bool = False
    accessible_toilet: bool = False
    induction_loop: bool = False
    sign_language_on_request: bool = False
    transit_hint: Line = Field("", max_length=300)


def parse(model: type[_Strict], body) -> _Strict:
    """Validate a JSON body, turning pydantic's errors into our field -> messages form."""
    if not isinstance(body, dict):
        raise ValidationError.single("body", "Expected a JSON object.")
    if (where := nul_path(body)) is not None:
        raise ValidationError.single(where, "Text must not contain NUL characters.")
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
    """Read an ISO 8601 date or date-time within the supported years; all-day events take dates."""
    if value is None:
        return None
    if not all_day and len(value) == 10:
        raise ValidationError.single(name, "Give a date and a time, e.g. 2026-12-03T18:00.")
    parsed = parse_day(value) if all_day else parse_datetime(value)
    if parsed is None:
        expected = "a date (YYYY-MM-DD)" if all_day else "an ISO 8601 date-time"
        raise ValidationError.single(
            name, f"Not {expected} between {MIN_YEAR} and {MAX_YEAR}: {value!r}."
        )
    return parsed
