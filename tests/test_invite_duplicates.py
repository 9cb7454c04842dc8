"""Possible duplicates at invite time: shown with a choice each, nobody invited before (10.2)."""

import re
from datetime import datetime

from sqlalchemy import func, select

from app.contacts.dedup_scoring import Probe, compare
from app.contacts.models import Contact
from app.extensions import db
from app.invitations import duplicates
from app.invitations.models import Invitation
from app.invitations.withdrawal import withdraw
from tests.factories import NOW, PASSWORD, api_headers, make_contact, make_event, make_user
from tests.factories import make_invitation as invited

PASTED = "Markus Weber <markus.weber+einladung@ruhr-kultur.de>"


def _hosted(browser):
    """Log in a staff member; return them with a published event and an invited Markus Weber."""
    staff = make_user()
    event = make_event(
        staff, status="published", start=datetime(2027, 3, 4, 18), end=datetime(2027, 3, 4, 20)
    )
    markus = make_contact(
        first_name="Markus",
        last_name="Weber",
        email="markus.weber@ruhr-kultur.de",
        organisation="Ruhr Kultur e. V.",
    )
    invited(event, staff, markus)
    db.session.commit()
    browser.login(staff.email, PASSWORD)
    return staff, event, markus


def _invite(browser, event, data: dict):
    """Send the invite form."""
    return browser.post(
        f"/events/{event.id}/guests/invite", data, form_page=f"/events/{event.id}/guests/"
    )


def _count(model) -> int:
    """Return the number of rows of a model."""
    return db.session.scalar(select(func.count()).select_from(model))


def _decision_field(page: str) -> str:
    """Return the name of the first decision radio group on a page."""
    return re.search(r'name="(dup-[0-9a-f]+)"', page).group(1)


def test_pasted_guest_like_an_invited_one_is_shown_and_nobody_is_invited(browser):
    _staff, event, _markus = _hosted(browser)
    response = _invite(browser, event, {"pasted": PASTED})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert _count(Invitation) == 1 and _count(Contact) == 1  # nothing written
    text = re.search(r'<fieldset class="kern-fieldset possible-dup.*?</fieldset>', page, re.S)[0]
    assert "markus.weber+einladung@ruhr-kultur.de" in text
    assert "markus.weber@ruhr-kultur.de" in text and "Ruhr Kultur e. V." in text
    assert 'value="invite"' in text and 'value="other"' in text
    assert "markus.weber+einladung@" in re.search(r"<textarea[^>]*>(.*?)</textarea>", page, re.S)[1]


def test_invite_anyway_invites_the_pasted_guest_too(browser):
    _staff, event, _markus = _hosted(browser)
    field = _decision_field(_invite(browser, event, {"pasted": PASTED}).get_data(as_text=True))
    response = _invite(browser, event, {"pasted": PASTED, field: "invite"})
    assert response.status_code == 302
    assert _count(Invitation) == 2


def test_keeping_the_invited_one_instead_invites_and_creates_nobody(browser):
    _staff, event, _markus = _hosted(browser)
    other = "Jan Peters <jan.peters@example.org>"
    pasted = f"{PASTED}\n{other}"
    field = _decision_field(_invite(browser, event, {"pasted": pasted}).get_data(as_text=True))
    response = _invite(browser, event, {"pasted": pasted, field: "other"})
    assert response.status_code == 302
    emails = db.session.scalars(
        select(Contact.email).join(Invitation, Invitation.contact_id == Contact.id)
    ).all()
    assert sorted(emails) == ["jan.peters@example.org", "markus.weber@ruhr-kultur.de"]
    assert _count(Contact) == 2


def test_two_picked_look_alikes_ask_once_and_the_other_can_be_invited_instead(browser):
    staff, event, _markus = _hosted(browser)
    first = make_contact(first_name="Petra", last_name="Lange", organisation="Stadtwerke")
    second = make_contact(first_name="Petra", last_name="Lange", organisation="Stadtwerke")
    db.session.commit()
    data = {"contact_ids": [str(first.id), str(second.id)]}
    page = _invite(browser, event, data).get_data(as_text=True)
    assert page.count('class="kern-fieldset possible-duplicate') == 1
    field = _decision_field(page)
    response = _invite(browser, event, data)  # no decision yet: asked again, still nobody
    assert response.status_code == 422 and _count(Invitation) == 1
    assert _invite(browser, event, data | {field: "other"}).status_code == 302
    invited_ids = set(db.session.scalars(select(Invitation.contact_id)))
    assert len(invited_ids & {first.id, second.id}) == 1


def test_the_issue_example_is_warned_with_the_wider_rules():
    markus = Probe("Markus", "Weber", "markus.weber@ruhr-kultur.de", "Ruhr Kultur e. V.")
    pasted = Probe("Markus", "Weber", "markus.weber@ruhrkultur.de")
    assert "domain_typo" in compare(pasted, markus).reasons  # one typed character apart
    new = duplicates.Guest("e:markus.weber@ruhrkultur.de", pasted, "markus.weber@ruhrkultur.de")
    old = duplicates.Guest("c:1", markus, "markus.weber@ruhr-kultur.de")
    (found,) = duplicates.find([new], [old])
    assert found.other_invited and found.other is old


def test_withdrawn_guests_and_the_same_person_again_raise_no_warning(app):
    staff = make_user()
    event = make_event(staff, status="published")
    anna = make_contact(first_name="Anna", last_name="Schulz", organisation="VHS")
    twin = make_contact(first_name="Anna", last_name="Schulz", organisation="VHS")
    invitation, _token = invited(event, staff, anna)
    new = [duplicates.of_contact(twin), duplicates.of_contact(anna)]
    assert [d.guest.probe.id for d in duplicates.find(new, duplicates.invited(event))] == [twin.id]
    withdraw(invitation, actor=staff, now=NOW)
    assert duplicates.find([duplicates.of_contact(twin)], duplicates.invited(event)) == []


def test_many_guests_are_compared_in_blocks_without_missing_a_pair(app):
    people = [
        Probe(f"Vorname{n}", f"Nachname{n:04d}", f"p{n}@example.org", "Verein", id=n)
        for n in range(1500)
    ]
    already = [duplicates.Guest(f"c:{p.id}", p, p.email) for p in people]
    look_alike = Probe("Vorname7", "Nachname0007", "vorname7@example.net", "Verein", id=9999)
    new = duplicates.Guest("c:9999", look_alike, look_alike.email)
    found = duplicates.find([new], already)
    assert [d.other.probe.id for d in found] == [7]


def test_api_reports_possible_duplicates_and_invites_anyway(client):
    staff = make_user()
    event = make_event(staff, status="published")
    markus = make_contact(first_name="Markus", last_name="Weber", organisation="Ruhr Kultur")
    invited(event, staff, markus)
    headers = api_headers(staff)
    guest = {"email": markus.email.replace("@", "+neu@"), "first_name": "Markus"}
    guest |= {"last_name": "Weber"}
    response = client.post(
        f"/api/v1/events/{event.id}/invitations", json={"guests": [guest]}, headers=headers
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["invited"] == 1
    (warning,) = [w for w in body["warnings"] if w["kind"] == "possible_duplicate_guest"]
    assert warning["other_contact_id"] == markus.id and warning["other_invited"] is True
