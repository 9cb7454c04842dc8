"""API endpoints of the address book: list and search, create (or reuse), duplicate candidates."""

from datetime import UTC, datetime

from flask import abort, current_app, g, jsonify, request, url_for
from pydantic import BaseModel, ConfigDict, Field

from app.accounts.models import Role
from app.api import bp
from app.api.schemas import parse
from app.contacts import cap, dedup_scoring, operations, queries
from app.contacts.candidates import Candidate
from app.contacts.cap import MAX_CAP
from app.contacts.models import Contact
from app.contacts.validation import ContactInput
from app.errors import PermissionDenied, ValidationError
from app.extensions import db

MAX_DUPLICATES = 500


class ContactFields(BaseModel):
    """The fields of a contact as the form has them; PATCH changes only those sent."""

    # strict: JSON types as documented (0 or "true" is not a boolean), like app.api.schemas.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, strict=True)

    salutation: str = Field("", max_length=40, description="Anrede: Frau, Herr …")
    title: str = Field("", max_length=60, description="Academic title: Dr., Prof.")
    office_title: str = Field("", max_length=120, description="Amtsbezeichnung")
    first_name: str = Field("", max_length=120)
    name_particle: str = Field("", max_length=40, description="von, zu, van …")
    last_name: str = Field("", min_length=1, max_length=120)
    email: str = Field(
        "",
        min_length=3,
        max_length=254,
        description="Staff may change it only while no other department has an open "
        "invitation of the contact to an upcoming event (else 403); a change gives every "
        "invitation a new RSVP link.",
    )
    organisation: str = Field("", max_length=200)
    function: str = Field("", max_length=200)
    phone: str = Field("", max_length=60)
    language: str = Field("de", pattern="^(de|en)$")
    tags: list[str] = Field(default_factory=list, max_length=30)
    vip: bool = False
    do_not_invite: bool = Field(False, description="The same rule as for email applies.")
    notes: str = Field("", max_length=5000)
    invitation_cap: int | None = Field(
        None,
        ge=0,
        le=MAX_CAP,
        description="Comms only (else 403): at or over this many invitations from other "
        "departments within GUEST_FATIGUE_DAYS, staff may not invite the guest; null: no cap.",
    )


class ContactCreate(ContactFields):
    """A new contact; an exact email and name match returns the existing one instead."""

    last_name: str = Field(..., min_length=1, max_length=120)
    email: str = Field(..., min_length=3, max_length=254)


def contact_json(contact: Contact) -> dict:
    """Serialise a contact."""
    return {
        "id": contact.id,
        "salutation": contact.salutation,
        "title": contact.title,
        "office_title": contact.office_title,
        "first_name": contact.first_name,
        "name_particle": contact.name_particle,
        "last_name": contact.last_name,
        "full_name": contact.full_name,
        "email": contact.email,
        "organisation": contact.organisation,
        "function": contact.function,
        "phone": contact.phone,
        "language": contact.language,
        "tags": [t.name for t in contact.tags],
        "vip": contact.vip,
        "do_not_invite": contact.do_not_invite,
        "invitation_cap": contact.invitation_cap,
        "role_address": contact.role_address,
        "notes": contact.notes,
        "merged_into": contact.merged_into_id,
        "created_at": contact.created_at.isoformat(),
        "updated_at": contact.updated_at.isoformat(),
    }


def _warning_json(candidate: Candidate) -> dict:
    """Serialise a possible duplicate of a saved contact."""
    return {
        "contact_id": candidate.other.id,
        "score": candidate.match.score,
        "reasons": [dedup_scoring.describe(code) for code in candidate.match.reasons],
        "reason_codes": candidate.match.reasons,
    }


def _int_arg(name: str, default: int, maximum: int) -> int:
    """Read a positive integer query parameter (as the events list does)."""
    value = request.args.get(name, str(default))
    if not value.isascii() or not value.isdigit() or not 1 <= int(value) <= maximum:
        raise ValidationError.single(name, f"Expected a whole number from 1 to {maximum}.")
    return int(value)


@bp.get("/contacts")
def list_contacts():
    """List live contacts by surname, searched by name, email, organisation or tag."""
    per_page = _int_arg("per_page", 100, current_app.config["API_MAX_PAGE_SIZE"])
    page = _int_arg("page", 1, 1_000_000)
    q = request.args.get("q", "")[:200]
    result = queries.search(
        db.session, q, tag=request.args.get("tag", ""), page=page, per_page=per_page
    )
    following = None
    if result.has_next:
        args = {**request.args.to_dict(), "page": page + 1, "per_page": per_page}
        following = url_for("api.list_contacts", **args)
    return jsonify(
        {
            "items": [contact_json(c) for c in result.items],
            "page": page,
            "per_page": per_page,
            "total": result.total,
            "next": following,
        }
    )


def _may_change() -> None:
    """Refuse the privacy role, which reads contacts but does not change them."""
    if g.api_user.role == Role.PRIVACY:
        raise PermissionDenied("The privacy role reads contacts but does not change them.")


@bp.post("/contacts")
def create_contact():
    """Create a contact, or return the existing one for the same address and name (200)."""
    _may_change()
    body = parse(ContactCreate, request.get_json(silent=True))
    now = datetime.now(UTC)
    capped = "invitation_cap" in body.model_fields_set
    if capped and not cap.may_set(g.api_user):
        raise PermissionDenied("Only comms set an invitation cap.")
    data = ContactInput(**body.model_dump(exclude={"invitation_cap"}))
    saved = operations.save_contact(data, actor=g.api_user, now=now)
    if capped:
        cap.set_cap(saved.contact, body.invitation_cap, actor=g.api_user, now=now)
    response = jsonify(
        contact_json(saved.contact)
        | {"reused": saved.reused, "warnings": [_warning_json(w) for w in saved.warnings]}
    )
    response.headers["Location"] = url_for("api.get_contact", contact_id=saved.contact.id)
    return response, 200 if saved.reused else 201


@bp.get("/contacts/<int:contact_id>")
def get_contact(contact_id: int):
    """Return one contact (a merged one shows the survivor's id in merged_into)."""
    contact = db.session.get(Contact, contact_id)
    if contact is None:
        abort(404, description="No such contact.")
    return jsonify(contact_json(contact))


@bp.patch("/contacts/<int:contact_id>")
def patch_contact(contact_id: int):
    """Change some fields of a live contact (a merged one is 404: change the survivor)."""
    _may_change()
    contact = db.session.get(Contact, contact_id)
    if contact is None or contact.merged_into_id is not None:
        abort(404, description="No such contact (or it was merged: see merged_into).")
    body = parse(ContactFields, request.get_json(silent=True))
    now = datetime.now(UTC)
    capped = "invitation_cap" in body.model_fields_set
    if capped and not cap.may_set(g.api_user):
        raise PermissionDenied("Only comms set an invitation cap.")
    data = ContactInput.from_contact(contact)
    for name in body.model_fields_set - {"invitation_cap"}:
        setattr(data, name, getattr(body, name))
    operations.save_contact(
        data,
        actor=g.api_user,
        now=now,
        contact=contact,
        secret_key=current_app.config["SECRET_KEY"],
    )
    if capped:
        cap.set_cap(contact, body.invitation_cap, actor=g.api_user, now=now)
    return jsonify(contact_json(contact))


@bp.get("/contacts/duplicates")
def contact_duplicates():
    """List pairs of contacts that may be one person, as on the review page."""
    limit = _int_arg("limit", 100, MAX_DUPLICATES)
    pairs = operations.duplicate_candidates(db.session, limit=limit)
    return jsonify(
        {
            "items": [
                {
                    "contact_ids": pair.ids,
                    "score": pair.match.score,
                    "reasons": [dedup_scoring.describe(code) for code in pair.match.reasons],
                    "reason_codes": pair.match.reasons,
                }
                for pair in pairs
            ]
        }
    )
