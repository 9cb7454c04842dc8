"""The invite form keeps every input while a pasted line is faulty and invites nobody."""

import re
from datetime import datetime

from sqlalchemy import func, select

from app.contacts.models import Contact, Tag
from app.extensions import db
from app.invitations.models import Invitation
from tests.factories import PASSWORD, make_contact, make_event, make_user

GOOD = [
    "Dr. Anna Müller <anna.mueller@example.org>",
    "lisa.brandt@example.org",
    "Jan Peters <jan.peters@example.org>",
]
PASTED = "\n".join([GOOD[0], GOOD[1], "", "Herr Kaputt ohne Adresse", GOOD[2], "max@@example"])


def _setup(browser):
    """Log in a staff member; return a published event, a tagged and a picked contact."""
    staff = make_user()
    event = make_event(
        staff, status="published", start=datetime(2027, 3, 4, 18), end=datetime(2027, 3, 4, 20)
    )
    tagged = make_contact(last_name="Tagge")
    tagged.tags.append(Tag(name="Presseverteiler"))
    picked = make_contact(last_name="Yilmaz")
    db.session.commit()
    browser.login(staff.email, PASSWORD)
    return event, tagged, picked


def _post(browser, event, **extra):
    """Send the invite form with a pick, a tag and the pasted lines."""
    data = {"pasted": PASTED, "tags": "Presseverteiler"} | extra
    data = {name: value for name, value in data.items() if value is not None}
    return browser.post(
        f"/events/{event.id}/guests/invite?find=yilmaz",
        data,
        form_page=f"/events/{event.id}/guests/",
    )


def _invitations() -> int:
    """Return the number of invitations."""
    return db.session.scalar(select(func.count(Invitation.id)))


def test_faulty_line_keeps_every_input_marks_the_line_and_invites_nobody(browser):
    event, _tagged, picked = _setup(browser)
    response = _post(browser, event, contact_ids=str(picked.id))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert _invitations() == 0 and db.session.scalar(select(func.count(Contact.id))) == 2
    textarea = re.search(r"<textarea[^>]*>(.*?)</textarea>", page, re.S)
    assert "Herr Kaputt ohne Adresse" in textarea.group(1) and "lisa.brandt@" in textarea.group(1)
    assert 'aria-invalid="true"' in textarea.group(0)
    assert 'aria-describedby="pasted-hint pasted-error"' in textarea.group(0)
    assert re.search(rf'<input checked[^>]*value="{picked.id}"', page)
    assert re.search(r'value="Presseverteiler" checked', page)
    marked = dict(re.findall(r'<li data-line="(\d+)">(.*?)</li>', page, re.S))
    assert set(marked) == {"4", "6"}  # numbered as in the box, the blank line counted
    assert "Herr Kaputt ohne Adresse" in marked["4"] and "max@@example" in marked["6"]
    assert "Line 4" in marked["4"] or "Zeile 4" in marked["4"]
    assert 'name="skip_invalid"' in page and 'aria-invalid="None"' not in page


def test_invite_without_the_faulty_lines_invites_the_rest(browser):
    event, tagged, picked = _setup(browser)
    response = _post(browser, event, contact_ids=str(picked.id), skip_invalid="1")
    assert response.status_code == 302
    assert _invitations() == 5  # picked, tagged and three good lines
    invited = set(db.session.scalars(select(Invitation.contact_id)))
    assert {tagged.id, picked.id} <= invited
    page = browser.get(f"/events/{event.id}/guests/").get_data(as_text=True)
    assert "2" in re.search(r"(\d+) (faulty lines|fehlerhafte Zeilen)", page).group(1)


def test_corrected_lines_are_invited_with_the_plain_button(browser):
    event, _tagged, _picked = _setup(browser)
    response = _post(browser, event, pasted="\n".join(GOOD), tags=None)
    assert response.status_code == 302 and _invitations() == 3
    lisa = db.session.scalar(select(Contact).filter_by(email="lisa.brandt@example.org"))
    assert (lisa.first_name, lisa.last_name) == ("Lisa", "Brandt")


def test_no_skip_button_and_no_error_while_all_lines_are_good(browser):
    event, _tagged, _picked = _setup(browser)
    page = browser.get(f"/events/{event.id}/guests/").get_data(as_text=True)
    assert 'name="skip_invalid"' not in page and 'id="invite-error"' not in page


def test_a_domain_refusal_shows_the_form_again_with_its_input(browser):
    event, _tagged, _picked = _setup(browser)
    response = _post(browser, event, pasted=GOOD[0], contact_ids="987654", tags=None)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and _invitations() == 0
    assert 'id="invite-error"' in page and "anna.mueller@example.org" in page
    assert db.session.scalar(select(func.count(Contact.id))) == 2  # nothing flushed survives


def test_bare_address_of_a_known_contact_invites_that_contact(browser):
    event, _tagged, _picked = _setup(browser)
    known = make_contact(first_name="Lisa", last_name="Brandt-Ott", email="lisa.brandt@example.org")
    db.session.commit()
    response = _post(browser, event, pasted="lisa.brandt@example.org", tags=None)
    assert response.status_code == 302
    assert list(db.session.scalars(select(Invitation.contact_id))) == [known.id]
    assert not db.session.get(Contact, known.id).role_address
