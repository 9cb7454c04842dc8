"""Co-hosting requests: asking, refusals, accepting (with the duplicate cancelled), declining,
notifications, audit entries, the API and the pages; exactly one invitation per guest."""

from flask_babel import force_locale
from sqlalchemy import func, select

from app.accounts.models import Role
from app.audit.models import AuditEntry
from app.cohosting.models import CohostRequest
from app.events.models import Event, Status
from app.extensions import db
from app.invitations.models import Invitation
from app.mail.models import OutboxMessage
from app.notifications import kinds
from app.notifications.models import Notification
from tests.factories import (
    PASSWORD,
    api_headers,
    event_form,
    login,
    make_contact,
    make_event,
    make_invitation,
    make_user,
)

ASK = "/api/v1/events/{}/cohost-requests"


def _two_departments():
    """Return (host staff, requesting staff, the host's published event)."""
    host, guest_dept = make_user(), make_user()
    event = make_event(host, title="Bürgerdialog Hörde", status="published")
    return host, guest_dept, event


def _notes(user, kind):
    """Return the user's notifications of a kind."""
    return db.session.scalars(
        select(Notification).where(Notification.user_id == user.id, Notification.kind == kind)
    ).all()


def _actions():
    """Return the audit actions recorded for co-hosting."""
    return db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.action.like("cohost.%")).order_by(AuditEntry.id)
    ).all()


def _invitations(event, contact) -> int:
    """Return how many invitation rows the contact has for the event."""
    return db.session.scalar(
        select(func.count()).where(
            Invitation.event_id == event.id, Invitation.contact_id == contact.id
        )
    )


def _invitation_mails(event, contact) -> int:
    """Return how many invitation mails to the event were queued for the contact."""
    return db.session.scalar(
        select(func.count())
        .select_from(OutboxMessage)
        .join(Invitation, Invitation.id == OutboxMessage.invitation_id)
        .where(
            OutboxMessage.kind == "invitation",
            Invitation.event_id == event.id,
            Invitation.contact_id == contact.id,
        )
    )


def test_ask_and_accept_by_api_notifies_both_sides_and_makes_a_co_host(client):
    host, asker, event = _two_departments()
    colleague = make_user(department=host.department)
    asker_colleague = make_user(department=asker.department)
    response = client.post(
        ASK.format(event.id), headers=api_headers(asker), json={"message": "Wir machen mit."}
    )
    assert response.status_code == 201, response.json
    body = response.json
    assert body["state"] == "pending" and body["department"] == asker.department.code
    assert body["event_id"] == event.id and body["message"] == "Wir machen mit."
    assert {"id", "created_at"} <= set(body)
    assert len(_notes(host, "cohost_request")) == 1 and len(_notes(colleague, "cohost_request"))
    assert _notes(asker, "cohost_request") == []  # never the actor
    listed = client.get(ASK.format(event.id), headers=api_headers(host)).json["items"]
    assert [r["id"] for r in listed] == [body["id"]]
    answered = client.post(
        f"/api/v1/cohost-requests/{body['id']}/accept", headers=api_headers(host)
    )
    assert answered.status_code == 200, answered.json
    assert answered.json["state"] == "accepted"
    db.session.expire_all()
    assert asker.department in db.session.get(Event, event.id).co_hosts
    assert len(_notes(asker_colleague, "cohost_answer")) == 1
    assert _notes(asker, "cohost_answer")[0].params["accepted"] is True
    assert _actions() == ["cohost.requested", "cohost.accepted"]
    # As a co-host the department now invites guests to the event.
    invited = client.post(
        f"/api/v1/events/{event.id}/invitations",
        headers=api_headers(asker),
        json={"guests": [{"email": "neu@example.org", "first_name": "Nina", "last_name": "Neu"}]},
    )
    assert invited.status_code in (200, 201), invited.json


def test_decline_and_answering_twice(client):
    host, asker, event = _two_departments()
    row = client.post(ASK.format(event.id), headers=api_headers(asker), json={}).json
    declined = client.post(
        f"/api/v1/cohost-requests/{row['id']}/decline", headers=api_headers(host)
    )
    assert declined.json["state"] == "declined"
    again = client.post(f"/api/v1/cohost-requests/{row['id']}/accept", headers=api_headers(host))
    assert again.status_code == 422 and "request" in again.json["errors"]
    db.session.expire_all()
    assert asker.department not in db.session.get(Event, event.id).co_hosts
    assert _notes(asker, "cohost_answer")[0].params["accepted"] is False
    assert _actions() == ["cohost.requested", "cohost.declined"]
    # Declined, the department may ask again.
    assert client.post(ASK.format(event.id), headers=api_headers(asker)).status_code == 201


def test_refusals(client):
    host, asker, event = _two_departments()
    url = ASK.format(event.id)
    own = client.post(url, headers=api_headers(host), json={"message": "x"})
    assert own.status_code == 422 and "event" in own.json["errors"]
    assert client.post(url, headers=api_headers(asker)).status_code == 201
    twice = client.post(url, headers=api_headers(asker))
    assert twice.status_code == 422 and "event" in twice.json["errors"]
    other = client.post(url, headers=api_headers(asker), json={"department": host.department.code})
    assert other.status_code == 403
    bad = client.post(url, headers=api_headers(make_user()), json={"message": 5})
    assert bad.status_code == 422 and "message" in bad.json["errors"]
    privacy = client.post(url, headers=api_headers(make_user(Role.PRIVACY)))
    assert privacy.status_code == 403
    # Only the owning department (or comms) answers.
    row_id = db.session.scalar(select(CohostRequest.id))
    outsider = client.post(f"/api/v1/cohost-requests/{row_id}/accept", headers=api_headers(asker))
    assert outsider.status_code == 403
    assert (
        client.post("/api/v1/cohost-requests/99999/accept", headers=api_headers(host)).status_code
        == 404
    )
    cancelled = make_event(host, title="Abgesagt", status="published")
    db.session.flush()
    from app.events.operations import set_status
    from tests.factories import NOW

    set_status(cancelled, Status.CANCELLED, actor=host, now=NOW)
    gone = client.post(ASK.format(cancelled.id), headers=api_headers(asker))
    assert gone.status_code == 422 and "event" in gone.json["errors"]
    secret = make_event(host, title="Geheim", visibility="confidential", status="published")
    assert client.post(ASK.format(secret.id), headers=api_headers(asker)).status_code == 404


def test_already_co_host_is_refused_and_comms_names_the_department(client):
    host, asker, event = _two_departments()
    event.co_hosts.append(asker.department)
    db.session.flush()
    again = client.post(ASK.format(event.id), headers=api_headers(asker))
    assert again.status_code == 422 and "event" in again.json["errors"]
    comms = make_user(Role.COMMS)
    third = make_user()
    answer = client.post(
        ASK.format(event.id), headers=api_headers(comms), json={"department": third.department.code}
    )
    assert answer.status_code == 201 and answer.json["department"] == third.department.code
    unknown = client.post(
        ASK.format(event.id), headers=api_headers(comms), json={"department": "zz"}
    )
    assert unknown.status_code == 422 and "department" in unknown.json["errors"]


def test_accepting_cancels_the_duplicate_and_each_guest_keeps_exactly_one_invitation(client):
    host, asker, kept = _two_departments()
    duplicate = make_event(asker, title="Bürgerdialog in Hörde", status="published")
    both, only_dup, only_kept = make_contact(), make_contact(), make_contact()
    make_invitation(kept, host, both)
    make_invitation(kept, host, only_kept)
    make_invitation(duplicate, asker, both)
    make_invitation(duplicate, asker, only_dup)
    db.session.commit()
    row = client.post(ASK.format(kept.id), headers=api_headers(asker)).json
    foreign = make_event(make_user(), title="Fremd", status="published")
    db.session.commit()
    wrong = client.post(
        f"/api/v1/cohost-requests/{row['id']}/accept",
        headers=api_headers(host),
        json={"cancel_event_id": foreign.id},
    )
    assert wrong.status_code == 422 and "cancel_event_id" in wrong.json["errors"]
    answered = client.post(
        f"/api/v1/cohost-requests/{row['id']}/accept",
        headers=api_headers(host),
        json={"cancel_event_id": duplicate.id},
    )
    assert answered.status_code == 200, answered.json
    assert answered.json["cancelled_event_id"] == duplicate.id
    assert answered.json["guests"] == {
        "invited": 1,
        "already_invited": 1,
        "suppressed": 0,
        "not_carried": 0,
    }
    db.session.expire_all()
    assert db.session.get(Event, duplicate.id).status == Status.CANCELLED
    for contact in (both, only_dup, only_kept):
        assert _invitations(kept, contact) == 1
        assert _invitation_mails(kept, contact) == 1
    # "both" had one invitation to each event and got no second one to the kept event.
    kept_rows = db.session.scalars(select(Invitation).where(Invitation.event_id == kept.id)).all()
    assert len(kept_rows) == 3
    (told,) = _notes(asker, "cohost_answer")  # the asking department hears of its cancelled event
    with force_locale("de"):
        text = kinds.message(told.kind, told.params)
    assert text == (
        f"{host.department.name} hat unsere Anfrage zur Mitveranstaltung von „Bürgerdialog Hörde“"
        " angenommen; unsere Veranstaltung „Bürgerdialog in Hörde“ wurde abgesagt."
    )
    assert _actions() == ["cohost.requested", "cohost.accepted"]
    assert foreign.status == Status.PUBLISHED


def test_event_page_request_form_and_answer_with_confirmation(browser, app):
    host = make_user()
    db.session.commit()
    event = make_event(host, title="Stadtteilfest", status="published")
    db.session.commit()
    asker = login(browser)
    page = browser.get(f"/events/{event.id}").get_data(as_text=True)
    assert f"/events/{event.id}/cohost-request" in page
    form = browser.get(f"/events/{event.id}/cohost-request")
    assert form.status_code == 200
    long = browser.post(f"/events/{event.id}/cohost-request", {"message": "x" * 2001})
    assert long.status_code == 422 and "kern-error" in long.get_data(as_text=True)
    sent = browser.post(f"/events/{event.id}/cohost-request", {"message": "Gern gemeinsam"})
    assert sent.status_code == 302
    page = browser.get(f"/events/{event.id}").get_data(as_text=True)
    assert 'id="cohost-pending"' in page
    row = db.session.scalar(select(CohostRequest))
    assert row.department_id == asker.department_id and row.message == "Gern gemeinsam"
    browser.client.delete_cookie("session")
    browser.login(host.email, PASSWORD)
    page = browser.get(f"/events/{event.id}").get_data(as_text=True)
    assert 'id="cohost-requests"' in page and "Gern gemeinsam" in page
    confirm = browser.get(f"/cohost-requests/{row.id}/accept")
    assert confirm.status_code == 200
    done = browser.post(f"/cohost-requests/{row.id}/accept", {"cancel_event_id": ""})
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(CohostRequest, row.id).state.value == "accepted"


def test_the_duplicate_warning_offers_to_ask_to_co_host_instead(app):
    from datetime import datetime

    from tests.conftest import Browser

    mine, theirs = make_user(), make_user()
    other = make_event(
        theirs,
        status="published",
        title="Sommerfest im Westfalenpark",
        start=datetime(2027, 2, 13, 12),
    )
    own = make_event(
        mine, title="Familien-Sommerfest Westfalenpark", start=datetime(2027, 2, 13, 14)
    )
    db.session.commit()
    staff = Browser(app.test_client())
    staff.login(mine.email, PASSWORD)
    form = event_form(
        mine.department.code, "Sommerfest Westfalenpark", "2027-02-13", "15:00", "18:00"
    )
    panel = staff.post("/conflicts/check", form, form_page="/events/new").get_data(as_text=True)
    assert f'href="/events/{other.id}/cohost-request"' in panel
    page = staff.get(f"/events/{own.id}").get_data(as_text=True)
    assert f'href="/events/{other.id}/cohost-request"' in page
    # The other department sees no button to ask for its own event.
    them = Browser(app.test_client())
    them.login(theirs.email, PASSWORD)
    page = them.get(f"/events/{other.id}").get_data(as_text=True)
    assert "cohost-request" not in page


def test_a_racing_second_request_is_refused_by_the_database(app, monkeypatch):
    from datetime import UTC, datetime

    import pytest

    from app.cohosting.models import RequestState
    from app.errors import ValidationError

    host, asker, event = _two_departments()
    now = datetime.now(UTC)
    db.session.add(
        CohostRequest(
            event_id=event.id,
            department_id=asker.department_id,
            state=RequestState.PENDING,
            message="",
            created_at=now,
        )
    )
    db.session.flush()
    from app.cohosting import operations

    # The check before the insert does not see it (as in a concurrent transaction).
    monkeypatch.setattr(operations, "refusal", lambda *_args: None)
    with pytest.raises(ValidationError) as raised:
        operations.ask(event, actor=asker, message="", department_code=None, now=now)
    assert "event" in raised.value.errors
    assert db.session.scalar(select(func.count()).select_from(CohostRequest)) == 1


def test_accepting_on_the_page_offers_the_askers_planned_events_near_the_day(browser, app):
    from datetime import UTC, datetime

    from app.cohosting import operations

    host, asker, kept = _two_departments()
    duplicate = make_event(asker, title="Bürgerdialog in Hörde")  # a planned (draft) duplicate
    far = make_event(asker, title="Bürgerdialog Hörde", start=datetime(2026, 12, 20, 18))
    unrelated = make_event(asker, title="Haushaltssperre", status="published")
    secret = make_event(
        asker, title="Bürgerdialog Hörde intern", visibility="confidential", status="published"
    )
    row = operations.ask(kept, actor=asker, message="", department_code=None, now=datetime.now(UTC))
    db.session.commit()
    browser.login(host.email, PASSWORD)
    page = browser.get(f"/cohost-requests/{row.id}/accept").get_data(as_text=True)
    assert f'<option value="{duplicate.id}"' in page
    assert unrelated.title not in page and secret.title not in page
    for hidden in (far, unrelated, secret):  # another day, no duplicate, confidential
        assert f'<option value="{hidden.id}"' not in page
        wrong = browser.post(
            f"/cohost-requests/{row.id}/accept", {"cancel_event_id": str(hidden.id)}
        )
        assert wrong.status_code == 422
    done = browser.post(f"/cohost-requests/{row.id}/accept", {"cancel_event_id": str(duplicate.id)})
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(Event, duplicate.id).status == Status.CANCELLED
    assert db.session.get(Event, far.id).status == Status.DRAFT
    assert db.session.get(Event, secret.id).status == Status.PUBLISHED
    declined = browser.get(f"/cohost-requests/{row.id}/decline")
    assert declined.status_code == 302  # already answered: back to the event


def test_comms_asks_on_the_page_for_a_department_they_choose(browser, app):
    host, _asker, event = _two_departments()
    third = make_user()
    db.session.commit()
    login(browser, Role.COMMS)
    page = browser.get(f"/events/{event.id}/cohost-request").get_data(as_text=True)
    assert f'value="{third.department.code}"' in page
    assert f'value="{host.department.code}"' not in page  # not the hosts themselves
    sent = browser.post(
        f"/events/{event.id}/cohost-request",
        {"department": third.department.code, "message": "Für das Amt"},
    )
    assert sent.status_code == 302
    assert db.session.scalar(select(CohostRequest.department_id)) == third.department_id


def test_guests_of_the_duplicate_are_not_carried_to_a_kept_draft(client):
    host, asker = make_user(), make_user()
    kept = make_event(host, title="Bürgerdialog Hörde")  # a draft: nobody is invited yet
    duplicate = make_event(asker, title="Bürgerdialog in Hörde", status="published")
    guest = make_contact()
    make_invitation(duplicate, asker, guest)
    db.session.commit()
    # Staff see no other department's draft; comms ask on the department's behalf.
    assert client.post(ASK.format(kept.id), headers=api_headers(asker)).status_code == 404
    comms = make_user(Role.COMMS)
    body = {"department": asker.department.code}
    row = client.post(ASK.format(kept.id), headers=api_headers(comms), json=body).json
    answered = client.post(
        f"/api/v1/cohost-requests/{row['id']}/accept",
        headers=api_headers(host),
        json={"cancel_event_id": duplicate.id},
    )
    assert answered.status_code == 200, answered.json
    assert answered.json["guests"]["not_carried"] == 1
    assert _invitations(kept, guest) == 0
    # The duplicate's guest is told of its cancellation, with the note naming the kept event.
    cancel = db.session.scalar(
        select(OutboxMessage).where(
            OutboxMessage.kind == "cancel", OutboxMessage.recipient == guest.email
        )
    )
    assert cancel is not None
