"""The merge pages: a choice per field, "already merged" after Back, the review for staff, undo."""

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from app.accounts.models import Role
from app.contacts import merges
from app.contacts.models import Contact, ContactAddress, ContactMerge
from app.extensions import db
from tests.conftest import csrf_from
from tests.factories import NOW, login
from tests.test_contacts import make_contact


def pair():
    """Return two records of one person at two addresses, the older first."""
    a = make_contact("Hans Müller", "hans@example.de", organisation="Stadtwerke").contact
    b = make_contact(
        "Hans Müller", "hm@example.org", organisation="Stadtwerke", phone="0231 1234",
        now=NOW + timedelta(hours=1),
    ).contact  # fmt: skip
    db.session.commit()
    return a, b


def test_the_merge_page_offers_a_choice_per_differing_field_and_keeps_the_chosen(browser):
    login(browser, Role.COMMS)
    a, b = pair()
    url = f"/contacts/duplicates/{a.id}/{b.id}/merge"
    page = browser.get(url).get_data(as_text=True)
    assert re.search(r'<input checked [^>]*name="email" type="radio" value="survivor">', page)
    assert re.search(r'<input checked [^>]*name="phone" type="radio" value="merged">', page)
    assert 'name="last_name"' not in page  # the same surname: nothing to choose
    response = browser.post(url, {"email": "merged", "phone": "survivor", "reason": "x"})
    assert response.headers["Location"].endswith(f"/contacts/{a.id}/edit")
    db.session.expire_all()
    kept = db.session.get(Contact, a.id)
    assert kept.email == "hm@example.org" and kept.phone == ""  # chosen, not filled in
    assert db.session.scalars(select(ContactAddress.email)).all() == ["hans@example.de"]
    edit = browser.get(f"/contacts/{a.id}/edit").get_data(as_text=True)
    assert 'value="hm@example.org"' in edit


def test_a_bad_choice_is_a_field_error_and_merges_nothing(browser):
    login(browser, Role.COMMS, locale="en")
    a, b = pair()
    response = browser.post(f"/contacts/duplicates/{a.id}/{b.id}/merge", {"email": "both"})
    assert response.status_code == 422 and "Not a valid choice" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Contact, b.id).merged_into_id is None


def test_back_to_the_merge_page_after_merging_says_already_merged(browser):
    login(browser, Role.COMMS, locale="en")
    a, b = pair()
    url = f"/contacts/duplicates/{a.id}/{b.id}/merge"
    form_page = browser.get(url).get_data(as_text=True)
    assert browser.post(url, {"reason": "x"}).status_code == 302
    again = browser.get(url)
    page = again.get_data(as_text=True)
    assert again.status_code == 200 and 'id="already-merged"' in page
    assert "Already merged" in page and f'href="/contacts/{a.id}/edit"' in page
    # Submitting the old form again (Back, then the button) merges nothing twice.
    assert browser.client.post(url, data={"csrf_token": csrf_from(form_page)}).status_code == 409
    reverse = browser.get(f"/contacts/duplicates/{b.id}/{a.id}/merge")
    assert reverse.status_code == 200 and 'id="already-merged"' in reverse.get_data(as_text=True)
    assert db.session.scalar(select(ContactMerge.id).limit(1)) is not None


def test_staff_see_no_merge_button_for_two_mailboxes_but_a_hint(browser):
    login(browser, locale="en")
    a, b = pair()
    same = make_contact("Eva Roth", "eva@example.de").contact
    twin = make_contact("Eva Maria Roth", "Eva@Example.de", now=NOW + timedelta(hours=1)).contact
    db.session.commit()
    review = browser.get("/contacts/duplicates").get_data(as_text=True)
    assert f"/contacts/duplicates/{a.id}/{b.id}/merge" not in review
    assert "Only the communications team can merge" in review
    assert f"/contacts/duplicates/{same.id}/{twin.id}/merge" in review  # one mailbox: staff may
    page = browser.get(f"/contacts/duplicates/{a.id}/{b.id}/merge").get_data(as_text=True)
    assert 'id="merge-locked"' in page and "Merge contacts</span></button>" not in page


def test_comms_see_the_merge_button_for_two_mailboxes(browser):
    login(browser, Role.COMMS)
    a, b = pair()
    review = browser.get("/contacts/duplicates").get_data(as_text=True)
    assert f"/contacts/duplicates/{a.id}/{b.id}/merge" in review


def test_only_admins_see_the_merge_log_and_undo(browser):
    a, b = pair()
    merges.merge(a, b, actor=None, now=NOW)
    db.session.commit()
    log = db.session.scalars(select(ContactMerge)).one()
    login(browser, Role.COMMS)
    assert browser.get("/contacts/merges").status_code == 403
    assert browser.get(f"/contacts/merges/{log.id}/undo").status_code == 403


def test_an_admin_undoes_a_recent_merge_and_is_told_when_it_is_too_old(browser):
    login(browser, Role.ADMIN, locale="en")
    a, b = pair()
    merges.merge(a, b, actor=None, now=NOW)
    db.session.commit()
    log = db.session.scalars(select(ContactMerge)).one()
    log.merged_at = datetime.now(UTC) - timedelta(days=31)
    db.session.commit()
    listing = browser.get("/contacts/merges").get_data(as_text=True)
    assert "Too old to undo" in listing
    page = browser.get(f"/contacts/merges/{log.id}/undo").get_data(as_text=True)
    assert 'id="undo-blocked"' in page and "30 days" in page and "Undo merge</span>" not in page
    log.merged_at = datetime.now(UTC) - timedelta(days=2)
    db.session.commit()
    url = f"/contacts/merges/{log.id}/undo"
    assert "Undo …" in browser.get("/contacts/merges").get_data(as_text=True)
    response = browser.post(url, form_page=url)
    assert response.headers["Location"].endswith(f"/contacts/{b.id}/edit")
    db.session.expire_all()
    assert db.session.get(Contact, b.id).merged_into_id is None
    assert "Undone on" in browser.get("/contacts/merges").get_data(as_text=True)
    again = browser.post(url, form_page=url)
    assert again.status_code == 409 and "already undone" in again.get_data(as_text=True)
