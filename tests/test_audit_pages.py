"""The Protokoll page, its CSV, the API, masking, the privacy role and the append-only table."""

import csv
import io
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from app.accounts.models import Role
from app.audit import Actor, privileged, record
from app.audit.models import AuditEntry
from app.contacts.operations import ContactInput, save_contact
from app.extensions import db
from tests.factories import NOW, api_headers, login, make_user
from tests.test_contacts import make_contact

OLD, NEW = "hans@example.de", "hans.mueller@example.de"


def _changed_contact():
    """Create a contact and change its address; return it (both entries committed)."""
    saved = make_contact("Hans Müller", OLD)
    data = ContactInput.from_contact(saved.contact)
    data.email = NEW
    save_contact(data, actor=None, now=NOW, contact=saved.contact)
    db.session.commit()
    return saved.contact


def _at(day: int, hour: int, action: str = "contact.changed", **kw) -> None:
    """Record an entry at a UTC instant in January 2027."""
    moment = datetime(2027, 1, day, hour, 30, tzinfo=UTC)
    kind = action.split(".")[0]
    record(action, kind, kw.pop("object_id", 1), kw, at=moment, actor=Actor.system("test"))


# --- the page and masking ------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.STAFF, Role.COMMS])
def test_only_admin_and_privacy_open_the_page(browser, role):
    login(browser, role)
    assert browser.get("/audit/").status_code == 403
    assert browser.get("/audit/export.csv").status_code == 403
    assert 'href="/audit/"' not in browser.get("/contacts/").get_data(as_text=True)


def test_admin_sees_field_names_but_not_personal_values(browser):
    _changed_contact()
    login(browser, Role.ADMIN)
    page = browser.get("/audit/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'href="/audit/"' in html
    assert "<code>email</code>" in html and OLD not in html and NEW not in html


def test_privacy_sees_the_values_and_the_contact_page_shows_its_history(browser):
    contact = _changed_contact()
    login(browser, Role.PRIVACY)
    html = browser.get("/audit/").get_data(as_text=True)
    assert f"{OLD} → {NEW}" in html
    history = browser.get(f"/contacts/{contact.id}/edit").get_data(as_text=True)
    assert 'id="history-heading"' in history and f"{OLD} → {NEW}" in history


def test_staff_see_the_contact_history_masked(browser):
    contact = _changed_contact()
    login(browser)
    html = browser.get(f"/contacts/{contact.id}/edit").get_data(as_text=True)
    history = html[html.index('id="history-heading"') :]
    assert "<code>email</code>" in history and OLD not in history


def test_filters_by_action_actor_object_and_local_days(browser):
    _at(1, 22, vip=[False, True])  # 23:30 in Berlin, 1 January
    _at(1, 23, vip=[True, False])  # 00:30 in Berlin, 2 January
    _at(2, 10, "user.changed", object_id=7)
    db.session.commit()
    login(browser, Role.ADMIN)

    def count(query: str) -> str:
        html = browser.get(f"/audit/?{query}").get_data(as_text=True)
        return html.split('role="status">', 1)[1].split("<", 1)[0].strip()

    assert count("from=2027-01-01&to=2027-01-01").startswith("1 ")
    assert count("from=2027-01-02&to=2027-01-02").startswith("2 ")
    assert count("action=contact").startswith("2 ")
    assert count("action=user.changed&object_id=7").startswith("1 ")
    assert count("actor=system&object_type=contact").startswith("2 ")
    assert count("actor=nobody@example.org").startswith("0 ")
    bad = browser.get("/audit/?object_id=abc&from=gestern")
    assert bad.status_code == 422 and 'id="a-object_id-error"' in bad.get_data(as_text=True)


def test_csv_download_of_the_filtered_list_is_masked_and_recorded(browser):
    _changed_contact()
    _at(2, 10, "user.changed", object_id=7)
    db.session.commit()
    login(browser, Role.ADMIN)
    response = browser.get("/audit/export.csv?action=contact")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(
        csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")), delimiter=";")
    )
    assert rows[0][:3] == ["at", "actor", "action"]
    assert sorted(r[2] for r in rows[1:]) == ["contact.changed", "contact.created"]
    assert OLD not in response.get_data(as_text=True)
    db.session.rollback()
    exported = db.session.scalars(select(AuditEntry).filter_by(action="audit.exported")).one()
    assert exported.changes == {"rows": 2}


def test_unknown_action_codes_get_a_label(browser):
    record("contact.erased", "contact", 1, {})
    record("retention.archived", "", None, {})
    db.session.commit()
    login(browser, Role.PRIVACY, locale="de")
    html = browser.get("/audit/").get_data(as_text=True)
    assert "retention.archived" in html  # no label known: the code itself, never an error


# --- the API ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.STAFF, Role.COMMS])
def test_api_refuses_staff_and_comms(client, role):
    response = client.get("/api/v1/audit", headers=api_headers(make_user(role)))
    assert response.status_code == 403


def test_api_lists_filtered_pages_masked_unless_privacy(client):
    _changed_contact()
    admin = client.get(
        "/api/v1/audit?action=contact.changed", headers=api_headers(make_user(Role.ADMIN))
    ).get_json()
    (item,) = admin["items"]
    assert set(item) >= {"at", "actor", "action", "object_type", "object_id", "changes"}
    assert item["changes"]["email"] == ["***", "***"]
    privacy = api_headers(make_user(Role.PRIVACY))
    body = client.get("/api/v1/audit?action=contact.changed", headers=privacy).get_json()
    assert body["items"][0]["changes"]["email"] == [OLD, NEW]
    first = client.get("/api/v1/audit?per_page=1&object_type=contact", headers=privacy).get_json()
    assert first["total"] == 2 and first["next"] and len(first["items"]) == 1
    bad = client.get("/api/v1/audit?object_id=x&to=morgen", headers=privacy)
    assert bad.status_code == 422 and set(bad.get_json()["errors"]) == {"object_id", "to"}


# --- the privacy role ------------------------------------------------------------------------


def test_privacy_reads_contacts_but_neither_changes_them_nor_manages_events(browser, client):
    contact = make_contact("Hans Müller", OLD).contact
    user = login(browser, Role.PRIVACY)
    assert browser.get("/contacts/").status_code == 200
    page = browser.get(f"/contacts/{contact.id}/edit")
    assert page.status_code == 200 and 'name="save"' not in page.get_data(as_text=True)
    form = {"first_name": "Hans", "last_name": "Meier", "email": OLD, "language": "de"}
    assert browser.post(f"/contacts/{contact.id}/edit", form).status_code == 403
    assert browser.get("/events/new").status_code == 403
    assert "/events/new" not in browser.get("/").get_data(as_text=True)
    headers = api_headers(user)
    patch = client.patch(f"/api/v1/contacts/{contact.id}", json={"phone": "1"}, headers=headers)
    assert patch.status_code == 403
    assert client.get(f"/api/v1/contacts/{contact.id}", headers=headers).status_code == 200
    event = {"title": "X", "starts_at": "2027-03-04T18:00", "ends_at": "2027-03-04T19:00"}
    assert client.post("/api/v1/events", json=event, headers=headers).status_code == 403
    assert client.get("/api/v1/audit", headers=headers).status_code == 200


def test_the_user_form_offers_the_privacy_role(browser):
    login(browser, Role.ADMIN)
    html = browser.get("/admin/users/new").get_data(as_text=True)
    assert '<option value="privacy">' in html


# --- append-only -----------------------------------------------------------------------------


def test_postgresql_refuses_update_delete_and_truncate_outside_the_purge(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the trigger exists on PostgreSQL only")
    record("contact.created", "contact", 1, {"email": [None, OLD]})
    db.session.commit()
    for statement in (
        "UPDATE audit_log SET changes = '{}'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
    ):
        with pytest.raises(DBAPIError, match="append-only"):
            db.session.execute(text(statement))
        db.session.rollback()
    assert db.session.scalar(select(func.count(AuditEntry.id))) == 1
    with privileged():
        db.session.execute(text("UPDATE audit_log SET changes = '{}'"))
    db.session.commit()
    assert db.session.scalars(select(AuditEntry)).one().changes == {}
    with privileged():
        db.session.execute(text("DELETE FROM audit_log"))
    db.session.commit()
    assert db.session.scalar(select(func.count(AuditEntry.id))) == 0
    db.session.execute(text("DELETE FROM audit_log"))  # the setting ended with the transaction
    record("contact.created", "contact", 1, {})
    db.session.commit()
    with pytest.raises(DBAPIError):
        db.session.execute(text("DELETE FROM audit_log"))
    db.session.rollback()
