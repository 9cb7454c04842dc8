"""OpenAPI parts of the contacts (with their duplicates) and of withdrawing an invitation."""

from app.api.contacts import ContactCreate, ContactFields
from app.api.openapi_blocks import (
    _TEXT,
    CONTACT_ID,
    Part,
    _json,
    _model_schemas,
    _query,
    _responses,
)

CONTACT = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        **dict.fromkeys(
            (
                "salutation",
                "title",
                "office_title",
                "first_name",
                "name_particle",
                "last_name",
                "full_name",
                "email",
                "organisation",
                "function",
                "phone",
                "notes",
            ),
            _TEXT,
        ),
        "language": {"enum": ["de", "en"]},
        "tags": {"type": "array", "items": _TEXT},
        "vip": {"type": "boolean"},
        "do_not_invite": {"type": "boolean"},
        "invitation_cap": {
            "type": ["integer", "null"],
            "description": "Set by comms: staff may not invite at or over it (guest fatigue)",
        },
        "role_address": {"type": "boolean", "description": "A shared mailbox such as info@"},
        "merged_into": {"type": ["integer", "null"], "description": "Survivor of a merge"},
        "created_at": {"type": "string", "format": "date-time"},
        "updated_at": {"type": "string", "format": "date-time"},
    },
}
_REASONS = {
    "reasons": {"type": "array", "items": _TEXT, "description": "In the UI language"},
    "reason_codes": {
        "type": "array",
        "items": {
            "enum": [
                "email",
                "shared_role",
                "mailbox",
                "phone",
                "organisation",
                "name",
                "similar_name",
                "sounds_alike",
            ]
        },
    },
    "score": {"type": "number", "minimum": 0, "maximum": 1},
}
CONTACT_SAVED = {
    "allOf": [
        {"$ref": "#/components/schemas/Contact"},
        {
            "type": "object",
            "properties": {
                "reused": {"type": "boolean", "description": "Existing contact returned (200)"},
                "warnings": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {"contact_id": {"type": "integer"}, **_REASONS},
                    },
                },
            },
        },
    ]
}
DUPLICATES = {
    "type": "object",
    "properties": {
        "items": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "contact_ids": {"type": "array", "items": {"type": "integer"}},
                    **_REASONS,
                },
            },
        }
    },
}


def contacts_part() -> Part:
    """Describe searching, creating, reading and changing contacts, and their duplicates."""
    contact_list = {
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": {"$ref": "#/components/schemas/Contact"}},
            "page": {"type": "integer"},
            "per_page": {"type": "integer"},
            "total": {"type": "integer"},
            "next": {"type": ["string", "null"]},
        },
    }
    schemas = {
        "Contact": CONTACT,
        "ContactSaved": CONTACT_SAVED,
        "ContactList": contact_list,
        "ContactDuplicates": DUPLICATES,
    } | _model_schemas(ContactCreate, ContactFields)
    paths = {
        "/contacts": {
            "get": {
                "summary": "List and search contacts (name, email, organisation, tag)",
                "responses": _responses("ContactList"),
                "parameters": _query("q", "tag", "page", "per_page"),
            },
            "post": {
                "summary": "Create a contact; 200 with the existing one if reused",
                "requestBody": _json("ContactCreate"),
                "responses": _responses("ContactSaved", "201")
                | {"200": {"description": "Existing contact reused", **_json("ContactSaved")}},
            },
        },
        "/contacts/{contact_id}": {
            "get": {
                "summary": "One contact",
                "parameters": CONTACT_ID,
                "responses": _responses("Contact"),
            },
            "patch": {
                "summary": "Change some fields of a live contact (merged: 404); staff get 403 "
                "for the address or do_not_invite while another department has an open "
                "invitation of the contact to an upcoming event",
                "parameters": CONTACT_ID,
                "requestBody": _json("ContactFields"),
                "responses": _responses("Contact"),
            },
        },
        "/contacts/duplicates": {
            "get": {
                "summary": "Possible duplicates, best first (as on the review page)",
                "parameters": _query("limit"),
                "responses": _responses("ContactDuplicates"),
            }
        },
    }
    return Part(schemas, paths)


def invitations_part() -> Part:
    """Describe withdrawing one guest's invitation."""
    invitation = {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "contact_id": {"type": ["integer", "null"], "description": "null: erased"},
            "email": {"type": ["string", "null"]},
            "status": _TEXT,
            "withdrawn": {"type": "boolean"},
            "cancellation_mailed": {"type": "boolean"},
        },
    }
    invitation_id = [
        {"name": "invitation_id", "in": "path", "required": True, "schema": {"type": "integer"}}
    ]
    paths = {
        "/invitations/{invitation_id}/withdraw": {
            "post": {
                "summary": "Withdraw one guest's invitation: a CANCEL to that guest only; "
                "inviting the person again reuses the invitation (422 if already withdrawn "
                "or the event is cancelled)",
                "parameters": invitation_id,
                "responses": _responses("InvitationWithdrawn"),
            }
        }
    }
    return Part({"InvitationWithdrawn": invitation}, paths)
