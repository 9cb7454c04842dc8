"""Address book pages and API: search, the form's duplicate check, review, merge, JSON."""

from sqlalchemy import select

from app.accounts.models import Role
from app.contacts import operations
from app.contacts.models import Contact
from app.extensions import db
from tests.factories import api_headers, login, make_user
from tests.test_contacts import count, make_contact

# --- pages -------------------------------------------------------------------------------------


def test_address_book_needs_a_login(client):
    response = client.get("/contacts/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_list_searches_spellings_email_organisation_and_tag(browser):
    login(browser)
    make_contact("Jürgen Weiß", "jw@example.de", organisation="Stadtwerke", tags=["Presse"])
    make_contact("Anna Schmidt", "anna@verein.example")
    db.session.commit()
    for q in ("Weiss", "juergen", "JW@EXAMPLE", "stadtwerke", "presse"):
        page = browser.get(f"/contacts/?q={q}").get_data(as_text=True)
        assert "Weiß" in page and "Schmidt" not in page, q
    page = browser.get("/contacts/?tag=Presse").get_data(as_text=True)
    assert "Weiß" in page and "Schmidt" not in page


def test_list_is_paginated(browser):
    login(browser)
    for n in range(55):
        make_contact(f"Person Nummer{n:02d}", f"p{n}@example.de")
    db.session.commit()
    first = browser.get("/contacts/").get_data(as_text=True)
    second = browser.get("/contacts/?page=2").get_data(as_text=True)
    assert "Nummer00" in first and "Nummer54" not in first and 'rel="next"' in first
    assert "Nummer54" in second and "Nummer00" not in second


FORM = {"last_name": "Mueller", "first_name": "Hans", "email": "HANS.MUELLER@example.de"}


def test_new_contact_form_shows_possible_duplicates_before_saving(browser):
    login(browser)
    existing = make_contact("Hans Müller", "hans.mueller@example.de").contact
    db.session.commit()
    response = browser.post("/contacts/new", {**FORM, "language": "de", "save": "1"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and f"/contacts/{existing.id}/edit" in page
    assert 'name="anyway"' in page and count(Contact) == 1
    response = browser.post(
        "/contacts/new", {**FORM, "language": "de", "anyway": "1"}, form_page="/contacts/new"
    )
    assert response.headers["Location"].endswith(f"/contacts/{existing.id}/edit")  # reused
    assert count(Contact) == 1


def test_new_contact_form_reports_field_errors(browser):
    login(browser)
    response = browser.post("/contacts/new", {"last_name": "", "email": "kaputt", "language": "de"})
    assert response.status_code == 422 and count(Contact) == 0
    assert 'aria-invalid="true"' in response.get_data(as_text=True)


def test_form_saves_structured_name_and_tags(browser):
    login(browser)
    data = {**FORM, "language": "en", "title": "Dr.", "name_particle": "von", "tags": "Rat, Presse"}
    response = browser.post("/contacts/new", {**data, "salutation": "Herr", "vip": "y"})
    contact = db.session.scalars(select(Contact)).one()
    assert response.headers["Location"].endswith(f"/contacts/{contact.id}/edit")
    assert (contact.title, contact.name_particle, contact.language) == ("Dr.", "von", "en")
    assert [t.name for t in contact.tags] == ["Presse", "Rat"] and contact.vip
    edit = browser.get(f"/contacts/{contact.id}/edit").get_data(as_text=True)
    assert 'value="Rat, Presse"' in edit or 'value="Presse, Rat"' in edit


def test_check_fragment_lists_possible_duplicates(browser):
    login(browser)
    make_contact("Hans Müller", "hans.mueller@example.de")
    db.session.commit()
    response = browser.post("/contacts/check", {**FORM}, form_page="/contacts/new")
    assert "hans.mueller@example.de" in response.get_data(as_text=True)
    assert browser.client.post("/contacts/check", data=FORM).status_code == 400  # no CSRF token


def test_merge_from_the_review_page_needs_confirmation(browser):
    # Different addresses: the communications team merges (staff would redirect mail).
    login(browser, Role.COMMS)
    a = make_contact("Hans Müller", "hans@example.de", organisation="Stadtwerke").contact
    b = make_contact("H. Müller", "hm@example.org", organisation="Stadtwerke").contact
    db.session.commit()
    review = browser.get("/contacts/duplicates").get_data(as_text=True)
    url = f"/contacts/duplicates/{a.id}/{b.id}/merge"
    assert url in review
    confirm = browser.get(url).get_data(as_text=True)
    assert "hm@example.org" in confirm and db.session.get(Contact, b.id).merged_into_id is None
    response = browser.post(url, {"reason": "gleiche Person"})
    assert response.headers["Location"].endswith(f"/contacts/{a.id}/edit")
    db.session.expire_all()
    assert db.session.get(Contact, b.id).merged_into_id == a.id
    assert browser.get(f"/contacts/{b.id}/edit").headers["Location"].endswith(f"/{a.id}/edit")


def test_staff_are_told_that_merging_two_addresses_is_for_the_communications_team(browser):
    login(browser, locale="en")
    a = make_contact("Hans Müller", "hans@example.de", organisation="Stadtwerke").contact
    b = make_contact("H. Müller", "hm@example.org", organisation="Stadtwerke").contact
    db.session.commit()
    response = browser.post(f"/contacts/duplicates/{a.id}/{b.id}/merge", {"reason": "x"})
    assert response.status_code == 403
    assert "only the communications team" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Contact, b.id).merged_into_id is None


def test_not_a_duplicate_button_removes_the_pair(browser):
    login(browser)
    a = make_contact("Hans Müller", "hans@example.de", organisation="Stadtwerke").contact
    b = make_contact("Hans Müller", "hm@example.org", organisation="Stadtwerke").contact
    db.session.commit()
    url = f"/contacts/duplicates/{a.id}/{b.id}/not-duplicate"
    assert browser.post(url, form_page="/contacts/duplicates").status_code == 302
    assert url not in browser.get("/contacts/duplicates").get_data(as_text=True)
    assert browser.client.post(url).status_code == 400  # no CSRF token


# --- API ---------------------------------------------------------------------------------------


def test_api_creates_a_contact_then_reuses_it(client):
    headers = api_headers(make_user())
    body = {"first_name": "Hans", "last_name": "Müller", "email": "hans@example.de"}
    created = client.post("/api/v1/contacts", json=body, headers=headers)
    assert created.status_code == 201 and created.json["reused"] is False
    assert created.json["email"] == "hans@example.de" and created.json["warnings"] == []
    again = client.post(
        "/api/v1/contacts", json=body | {"last_name": "Mueller", "tags": ["Rat"]}, headers=headers
    )
    assert again.status_code == 200 and again.json["reused"] is True
    assert again.json["id"] == created.json["id"] and again.json["tags"] == ["Rat"]
    assert client.get(again.headers["Location"], headers=headers).json["id"] == created.json["id"]


def test_api_reports_possible_duplicates_as_warnings(client):
    headers = api_headers(make_user())
    first = make_contact("Hans Müller", "hans.mueller@gmail.com").contact
    db.session.commit()
    body = {"first_name": "Hans", "last_name": "Muller", "email": "hansmueller@gmail.com"}
    response = client.post("/api/v1/contacts", json=body, headers=headers)
    warning = response.json["warnings"][0]
    assert response.status_code == 201 and warning["contact_id"] == first.id
    assert warning["reason_codes"] == ["mailbox", "similar_name"] and 0 < warning["score"] < 1
    assert len(warning["reasons"]) == 2


def test_api_refuses_bad_input_with_422(client):
    headers = api_headers(make_user())
    response = client.post(
        "/api/v1/contacts", json={"last_name": "X", "email": "no"}, headers=headers
    )
    assert response.status_code == 422 and "email" in response.json["errors"]
    response = client.post("/api/v1/contacts", json={"email": "a@example.de"}, headers=headers)
    assert response.status_code == 422 and "last_name" in response.json["errors"]
    response = client.post("/api/v1/contacts", json={"last_name": "X", "x": 1}, headers=headers)
    assert response.status_code == 422 and "x" in response.json["errors"]
    assert client.get("/api/v1/contacts?per_page=0", headers=headers).status_code == 422


def test_api_lists_and_searches_contacts_a_page_at_a_time(client):
    headers = api_headers(make_user())
    for n in range(3):
        make_contact(f"Jürgen Weiß{n}", f"jw{n}@example.de")
    make_contact("Anna Schmidt", "anna@example.de")
    db.session.commit()
    page = client.get("/api/v1/contacts?q=weiss&per_page=2", headers=headers).json
    assert [c["last_name"] for c in page["items"]] == ["Weiß0", "Weiß1"] and page["total"] == 3
    rest = client.get(page["next"], headers=headers).json
    assert [c["last_name"] for c in rest["items"]] == ["Weiß2"] and rest["next"] is None
    assert client.get("/api/v1/contacts").status_code == 401


def test_api_duplicates_are_the_review_candidates(client, browser):
    headers = api_headers(make_user())
    a = make_contact("Hans Müller", "hans@example.de", organisation="Stadtwerke").contact
    b = make_contact("Hans Mueller", "hm@example.org", organisation="Stadtwerke").contact
    db.session.commit()
    items = client.get("/api/v1/contacts/duplicates", headers=headers).json["items"]
    assert [i["contact_ids"] for i in items] == [[a.id, b.id]]
    assert items[0]["reason_codes"] == ["organisation", "name"] and 0 < items[0]["score"] < 1
    review = operations.duplicate_candidates(db.session)
    assert [(p.ids, p.match.score) for p in review] == [
        (i["contact_ids"], i["score"]) for i in items
    ]


def test_openapi_describes_the_contact_endpoints(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert {"/contacts", "/contacts/{contact_id}", "/contacts/duplicates"} <= set(paths)
