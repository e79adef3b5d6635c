"""Charter intake, crew magic links and staff views, through Function URL events on moto."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from handlers.shared.aws import client
from ops import harness

TABLE = "mainstreet-dev-charters"
BRAND_BUCKET = "mainstreet-dev-brand-site-123456789012"
OPS_HOST = "ops.example.test"
DAY = (datetime.now(ZoneInfo("America/Los_Angeles")).date() + timedelta(days=10)).isoformat()
BOOKING = {
    "source": "boatsetter", "external_id": "BS-884213", "date": DAY, "start_time": "17:30", "duration_hours": 3,
    "guest_name": "Dana Whitfield", "guest_email": "dana@example.com", "guest_count": 6,
    "gross_revenue": "840.75", "captain_fee": "180.00", "notes": "Paid $840.75 via Boatsetter; tip expected",
    "crew": [{"name": "Sam Rivera", "email": "sam@crew.example", "role": "captain"},
             {"name": "Ada Chen", "email": "ada@crew.example", "role": "deckhand"}],
}
KEY = {"x-api-key": harness.TEST_SERVICE_KEY}


@pytest.fixture
def intake(function):
    return function("charter-intake")


@pytest.fixture
def crew(function):
    return function("charter-crew")


@pytest.fixture
def staff(function):
    return function("charter-staff")


def items(prefix: str) -> list[dict]:
    return [i for i in client("dynamodb").scan(TableName=TABLE, ConsistentRead=True)["Items"] if i["pk"]["S"].startswith(prefix)]


def guest_pages() -> list[str]:
    return [o["Key"] for o in client("s3").list_objects_v2(Bucket=BRAND_BUCKET, Prefix="g/").get("Contents", [])]


def book(intake, body=None, headers=KEY):
    return intake.post("/api/bookings", body or BOOKING, headers=headers, host=OPS_HOST)


@pytest.mark.parametrize("headers, error", [({}, "missing_api_key"), ({"x-api-key": "guess"}, "wrong_api_key"),
                                            ({"x-api-key": harness.TEST_SERVICE_KEY[:-1]}, "wrong_api_key")])
def test_the_service_key_is_required_and_checked(intake, sent_mail, headers, error):
    reply = book(intake, headers=headers)
    assert reply.status == 401 and reply.json()["error"] == error
    assert items("") == [] and guest_pages() == [] and sent_mail() == []


@pytest.mark.parametrize("field, value", [("date", "someday"), ("start_time", "25:00"), ("guest_email", "nope"),
                                          ("guest_count", 0), ("gross_revenue", "-1"), ("crew", []), ("source", "Bad Source!")])
def test_bad_bookings_name_the_field_and_write_nothing(intake, field, value):
    reply = book(intake, {**BOOKING, field: value})
    assert reply.status == 422 and field in reply.json()["fields"]
    assert items("") == []


def test_a_booking_fans_out_to_every_product_once(intake, sent_mail):
    reply = book(intake)
    assert reply.status == 201
    answer = reply.json()
    code = answer["guest_code"]
    assert len(code) == 9 and set(code) <= set("23456789ABCDEFGHJKMNPQRSTVWXYZ")
    assert answer["guest_url"] == f"https://d04a9fba2f0c4.cloudfront.net/g/{code}"  # the brand site, not ops
    assert [i["sk"]["S"] for i in items("EVENT#")] == ["CREW#c1", "CREW#c2", "EVENT"]
    assert len(items("CAL#")) == 1 and len(items("BOOKING#")) == 1
    assert guest_pages() == [f"g/{code.lower()}.html"]  # one flat object, where the edge rewrite looks
    page = client("s3").get_object(Bucket=BRAND_BUCKET, Key=f"g/{code.lower()}.html")
    assert page["ContentType"] == "text/html; charset=utf-8"
    mails = sent_mail()
    assert sorted(d for m in mails for d in m.destinations["ToAddresses"]) == ["ada@crew.example", "ops@dev.mainstreet.example", "sam@crew.example"]
    ops_mail = next(m for m in mails if m.destinations["ToAddresses"] == ["ops@dev.mainstreet.example"])
    assert "840.75" in ops_mail.body and answer["guest_url"] in ops_mail.body
    crew_mail = next(m for m in mails if m.destinations["ToAddresses"] == ["sam@crew.example"])
    assert f"https://{OPS_HOST}/crew/#t=" in crew_mail.body and "840" not in crew_mail.body
    distribution = client("cloudfront").list_distributions()["DistributionList"]["Items"]
    brand_id = next(d["Id"] for d in distribution if d["Comment"] == "mainstreet-dev-brand")
    invalidations = client("cloudfront").list_invalidations(DistributionId=brand_id)["InvalidationList"]
    assert invalidations["Quantity"] == 1


def test_a_booking_without_the_optional_fields(intake, sent_mail):
    minimal = {k: v for k, v in BOOKING.items() if k not in ("captain_fee", "notes", "meeting_point")}
    assert book(intake, minimal).status == 201
    ops_mail = next(m for m in sent_mail() if m.destinations["ToAddresses"] == ["ops@dev.mainstreet.example"])
    assert "captain" not in ops_mail.body.split("Crew")[0] and "Notes" not in ops_mail.body


def test_a_retried_booking_creates_nothing_new(intake, sent_mail):
    first = book(intake)
    again = book(intake)
    assert (first.status, again.status) == (201, 200) and again.json() == first.json()
    assert len(items("EVENT#")) == 3 and len(guest_pages()) == 1 and len(sent_mail()) == 3


def test_a_retry_finishes_what_a_failed_try_left_and_nothing_twice(intake, sent_mail, monkeypatch):
    from handlers.shared import mail

    real_send, failed = mail.send, []

    def flaky(**kwargs):
        if kwargs["to"] == "ada@crew.example" and not failed:
            failed.append(kwargs["to"])
            raise RuntimeError("SES throttled")
        return real_send(**kwargs)

    monkeypatch.setattr(mail, "send", flaky)
    assert book(intake).status == 500
    assert len(sent_mail()) == 1  # sam's went out; ada's failed; the ops mail waits for the retry
    assert book(intake).status == 200
    recipients = sorted(d for m in sent_mail() for d in m.destinations["ToAddresses"])
    assert recipients == ["ada@crew.example", "ops@dev.mainstreet.example", "sam@crew.example"]
    assert len(guest_pages()) == 1


def test_the_guest_page_shows_the_charter_and_no_money_notes_or_crew(intake):
    code = book(intake).json()["guest_code"]
    page = client("s3").get_object(Bucket=BRAND_BUCKET, Key=f"g/{code.lower()}.html")["Body"].read().decode()
    for shown in (DAY, "17:30", "20:30", "Dock A, Harbor Island West Marina", "Sunscreen and a hat", "Dana", ">6<"):
        assert shown in page, shown
    for hidden in ("840", "180.00", "Boatsetter", "tip expected", "sam@crew.example", "Rivera", "dana@example.com", "Whitfield"):
        assert hidden not in page, hidden


def crew_token(sent_mail, address: str) -> str:
    mail = [m for m in sent_mail() if m.destinations["ToAddresses"] == [address]][-1]
    return mail.body.split("/crew/#t=")[1].split()[0].split('"')[0]


def test_a_magic_link_opens_the_crew_view_acknowledges_and_ticks(intake, crew, sent_mail):
    book(intake)
    token = crew_token(sent_mail, "ada@crew.example")
    view = crew.get("/api/crew/assignment", headers={"x-crew-token": token}, host=OPS_HOST).json()
    assert (view["name"], view["role"], view["guest_count"], view["start_time"], view["end_time"]) == ("Ada Chen", "deckhand", 6, "17:30", "20:30")
    assert view["crew"] == [{"name": "Sam Rivera", "role": "captain"}, {"name": "Ada Chen", "role": "deckhand"}]
    assert [c["done"] for c in view["checklist"]] == [False] * 5 and view["acknowledged_at"] is None
    # The event id is random hex and may contain "840" by chance: look at everything else.
    text = json.dumps({**view, "event_id": ""})
    for hidden in ("840", "180", "tip", "crew.example", "dana@example.com"):
        assert hidden not in text
    acked = crew.post("/api/crew/acknowledge", {"acknowledged": True}, headers={"x-crew-token": token}, host=OPS_HOST).json()
    assert acked["acknowledged_at"]
    ticked = crew.post("/api/crew/checklist", {"item": "Life jackets counted", "done": True}, headers={"x-crew-token": token}, host=OPS_HOST)
    assert ticked.status == 200
    again = crew.get("/api/crew/assignment", headers={"x-crew-token": token}, host=OPS_HOST).json()
    assert [c["item"] for c in again["checklist"] if c["done"]] == ["Life jackets counted"]
    assert again["acknowledged_at"] == acked["acknowledged_at"]
    bad = crew.post("/api/crew/checklist", {"item": "Not an item", "done": True}, headers={"x-crew-token": token}, host=OPS_HOST)
    assert bad.status == 422 and "item" in bad.json()["fields"]


def test_tampered_missing_and_expired_links_are_refused_clearly(intake, crew, sent_mail, monkeypatch):
    book(intake)
    token = crew_token(sent_mail, "sam@crew.example")
    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    for given in (tampered, "", "garbage"):
        reply = crew.get("/api/crew/assignment", headers={"x-crew-token": given}, host=OPS_HOST)
        assert reply.status == 401 and reply.json()["error"] == "link_invalid"
    later = time.time() + 30 * 86400
    monkeypatch.setattr("handlers.shared.tokens.time.time", lambda: later)
    reply = crew.get("/api/crew/assignment", headers={"x-crew-token": token}, host=OPS_HOST)
    assert reply.status == 410 and reply.json()["error"] == "link_expired"


def test_links_expire_at_the_end_of_the_day_after_the_charter():
    from handlers.charters.events import link_expiry

    expires = datetime.fromtimestamp(link_expiry("2026-12-05", 1, "America/Los_Angeles"), ZoneInfo("America/Los_Angeles"))
    assert expires.isoformat() == "2026-12-07T00:00:00-08:00"


def test_staff_revoke_a_link_and_reissue_a_new_one(intake, crew, staff, staff_cookie, sent_mail):
    event_id = book(intake).json()["event_id"]
    old = crew_token(sent_mail, "sam@crew.example")
    cookie = {"cookie": staff_cookie}
    assert staff.post(f"/api/charters/events/{event_id}/crew/c1/revoke", headers=cookie, host=OPS_HOST).json()["link_version"] == 2
    reply = crew.get("/api/crew/assignment", headers={"x-crew-token": old}, host=OPS_HOST)
    assert reply.status == 410 and reply.json()["error"] == "link_revoked"
    assert staff.post(f"/api/charters/events/{event_id}/crew/c1/reissue", headers=cookie, host=OPS_HOST).json()["link_version"] == 3
    new = crew_token(sent_mail, "sam@crew.example")
    assert new != old
    assert crew.get("/api/crew/assignment", headers={"x-crew-token": new}, host=OPS_HOST).status == 200


def test_each_charter_mail_speaks_with_the_charter_companys_name(intake, sent_mail):
    from email.utils import parseaddr

    book(intake)
    mails = sent_mail()
    assert len(mails) == 3
    for mail in mails:
        assert parseaddr(mail.source)[0] == "Queen of San Diego Charters", mail.source  # the From display name
        assert "Queen of San Diego Charters</p>" in mail.body  # and the signature
        assert "QuickDumpNow" not in mail.body and "Harbor Bean" not in mail.body


def test_a_reissued_link_is_mailed_once_per_version(intake, staff, staff_cookie, sent_mail):
    event_id = book(intake).json()["event_id"]
    cookie = {"cookie": staff_cookie}
    to_sam = lambda: [m for m in sent_mail() if m.destinations["ToAddresses"] == ["sam@crew.example"]]  # noqa: E731
    first = staff.post(f"/api/charters/events/{event_id}/crew/c1/reissue", headers=cookie, host=OPS_HOST).json()
    assert first["link_version"] == 2 and first["mailed"] is True and len(to_sam()) == 2
    # The same version again (a retried step): notify's row for it says it went; no second mail.
    from handlers.charters import events, storage

    _, crew_items = storage.event_items(TABLE, event_id)
    sam = next(m for m in crew_items if m["crew_id"] == "c1")
    with staff.running():  # as the staff function, under its role
        again = events.mail_crew(staff.module.settings, staff.module.secret_value(staff.module.settings.crew_link_key_secret),
                                 storage.event_items(TABLE, event_id)[0], sam, f"https://{OPS_HOST}")
    assert again == {"email": "sent_before"} and len(to_sam()) == 2
    assert book(intake).status == 200 and len(to_sam()) == 2  # the marketplace's retry mails v2 no more


def test_a_withdrawal_and_a_reissue_name_who_made_them(intake, staff, sign_in, staff_account, sent_mail):
    carl = sign_in("charters", email="carl@staff.example", name="Carl")
    dee = sign_in("charters", email="dee@staff.example", name="Dee")
    carl_id, dee_id = (staff_account.directory.find(e).id for e in ("carl@staff.example", "dee@staff.example"))
    event_id = book(intake).json()["event_id"]
    withdrawn = staff.post(f"/api/charters/events/{event_id}/crew/c1/revoke", headers={"cookie": carl}, host=OPS_HOST)
    assert withdrawn.status == 200, withdrawn.text
    change = withdrawn.json()["link_changed"]
    assert (change["action"], change["by_staff"], change["by_name"]) == ("withdrawn", carl_id, "Carl") and change["at"].endswith("Z")
    assert withdrawn.json()["time_zone"] == "America/Los_Angeles"
    stored = next(i for i in items("EVENT#") if i["sk"]["S"] == "CREW#c1")["link_changed"]["M"]
    assert {k: v["S"] for k, v in stored.items()} == change

    reissued = staff.post(f"/api/charters/events/{event_id}/crew/c1/reissue", headers={"cookie": dee}, host=OPS_HOST).json()
    assert (reissued["link_changed"]["action"], reissued["link_changed"]["by_staff"], reissued["link_changed"]["by_name"]) == (
        "reissued", dee_id, "Dee")
    full = staff.get(f"/api/charters/events/{event_id}", headers={"cookie": carl}, host=OPS_HOST).json()
    sam, ada = full["crew"]
    assert sam["link_changed"] == reissued["link_changed"] and ada["link_changed"] is None
    assert full["time_zone"] == "America/Los_Angeles"


def test_staff_see_the_calendar_and_the_event_and_only_the_owner_its_money(intake, staff, staff_cookie, sign_in):
    event_id = book(intake).json()["event_id"]
    assert staff.get("/api/charters/events", host=OPS_HOST).status == 401
    calendar = staff.get("/api/charters/events", headers={"cookie": staff_cookie}, query=f"month={DAY[:7]}", host=OPS_HOST).json()
    assert [e["event_id"] for e in calendar["events"]] == [event_id]
    assert "Dana Whitfield" in calendar["events"][0]["title"]
    full = staff.get(f"/api/charters/events/{event_id}", headers={"cookie": staff_cookie}, host=OPS_HOST).json()
    assert [m["email"] for m in full["crew"]] == ["sam@crew.example", "ada@crew.example"]
    money = staff.get(f"/api/charters/events/{event_id}/money", headers={"cookie": staff_cookie}, host=OPS_HOST)
    assert money.json() == {"event_id": event_id, "gross_revenue": "840.75", "captain_fee": "180.00",
                            "notes": "Paid $840.75 via Boatsetter; tip expected"}
    # The owner sees revenue (issue 12): a charters account sees the event and its crew, no money.
    office = sign_in("charters")
    seen = staff.get(f"/api/charters/events/{event_id}", headers={"cookie": office}, host=OPS_HOST)
    assert seen.status == 200 and "840" not in seen.text and "180.00" not in seen.text and seen.json()["crew"]
    refused = staff.get(f"/api/charters/events/{event_id}/money", headers={"cookie": office}, host=OPS_HOST)
    assert refused.status == 403 and refused.json()["error"] == "forbidden"
    assert staff.get(f"/api/charters/events/{event_id}/money", host=OPS_HOST).status == 401
    assert staff.get("/api/charters/events/Enotanevent/money", headers={"cookie": staff_cookie}, host=OPS_HOST).status == 404
    assert staff.get("/api/charters/events/Enotanevent", headers={"cookie": staff_cookie}, host=OPS_HOST).status == 404
    assert staff.get("/api/charters/events", headers={"cookie": staff_cookie}, query="month=2026-13", host=OPS_HOST).status == 422


# -- issue 10: everything checked before anything is written --------------------------------

TODAY = datetime.now(ZoneInfo("America/Los_Angeles")).date()
HORIZON = 365  # bookingHorizonDays' default, which the dev stack keeps
PYDANTIC_WORDING = ("Field required", "String should", "Input should", "Value error", "validation error")


def test_the_intake_is_linked_the_booking_horizon(intake):
    assert intake.env["BOOKING_HORIZON_DAYS_SETTING"] == str(HORIZON)


@pytest.mark.parametrize("field, value, where", [
    ("guest_name", "   ", "guest_name"), ("guest_name", "\t\n", "guest_name"), ("guest_name", "\u00a0", "guest_name"),
    ("crew", [{"name": " \u00a0 ", "email": "sam@crew.example", "role": "captain"}], "crew.0.name"),
    ("crew", [{"name": "Sam", "email": "sam@crew.example", "role": "captain", "phone": "1234567"}], "crew.0.phone"),
    ("date", "9999-12-31", "date"), ("date", (TODAY - timedelta(days=1)).isoformat(), "date"),
    ("date", (TODAY + timedelta(days=HORIZON + 1)).isoformat(), "date"), ("guest_count", True, "guest_count"),
])
def test_a_refused_booking_writes_nothing_and_its_corrected_retry_is_a_first_booking(intake, sent_mail, field, value, where):
    reply = book(intake, {**BOOKING, field: value})
    assert reply.status == 422, reply.text
    answer = reply.json()
    assert list(answer["fields"]) == [where] and answer["message"] == answer["fields"][where]
    assert not any(phrase in answer["message"] for phrase in PYDANTIC_WORDING), answer
    assert items("") == [] and guest_pages() == [] and sent_mail() == []
    # The marketplace fixes the booking and sends it again under the same external id.
    again = book(intake)
    assert again.status == 201, again.text
    assert len(items("EVENT#")) == 3 and len(guest_pages()) == 1 and len(sent_mail()) == 3


def test_the_date_sentences_say_what_is_wrong(intake):
    past = book(intake, {**BOOKING, "date": (TODAY - timedelta(days=1)).isoformat()}).json()
    assert past["fields"]["date"] == "Please pick today or a later date."
    far = book(intake, {**BOOKING, "date": "9999-12-31"}).json()
    assert far["fields"]["date"] == f"We take bookings up to {HORIZON} days ahead."


def test_today_and_the_last_day_of_the_horizon_can_be_booked(intake):
    assert book(intake, {**BOOKING, "external_id": "BS-TODAY", "date": TODAY.isoformat()}).status == 201
    last = (TODAY + timedelta(days=HORIZON)).isoformat()
    assert book(intake, {**BOOKING, "external_id": "BS-LAST", "date": last}).status == 201


def test_a_retry_after_the_charter_day_still_gets_the_first_answer(intake, sent_mail, monkeypatch):
    first = book(intake)
    assert first.status == 201
    after = datetime.fromisoformat(DAY).date() + timedelta(days=1)
    monkeypatch.setattr(intake.module, "business_date", lambda zone: after)
    again = book(intake)
    assert again.status == 200 and again.json() == first.json()
    odd = book(intake, {**BOOKING, "date": "9999-12-31"})  # same external id: nothing computed from the date
    assert odd.status == 200 and odd.json() == first.json()
    assert len(items("EVENT#")) == 3 and len(sent_mail()) == 3


def raw_headers(message) -> "email.message.Message":
    """The header block SES would build for a Simple message (EmailMessage refuses CR/LF in a value)."""
    import email
    from email.message import EmailMessage

    built = EmailMessage()
    built["From"] = message.source
    built["To"] = ", ".join(message.destinations["ToAddresses"])
    built["Subject"] = message.subject
    built.set_content("body")
    return email.message_from_bytes(bytes(built))


def test_no_name_reaches_a_mail_header(intake, sent_mail):
    hostile = {**BOOKING, "guest_name": "Dana\r\nBcc: x@evil.example\r\n" + "Whitfield " * 8,
               "crew": [{"name": "Sam\r\nBcc: y@evil.example", "email": "sam@crew.example", "role": "captain\nCc: z@evil.example"}]}
    assert book(intake, hostile).status == 201
    mails = sent_mail()
    assert sorted(d for m in mails for d in m.destinations["ToAddresses"]) == ["ops@dev.mainstreet.example", "sam@crew.example"]
    for message in mails:
        headers = raw_headers(message)
        assert headers.get_all("Bcc") is None and headers.get_all("Cc") is None
        assert set(message.destinations) <= {"ToAddresses"} or not any(message.destinations.get(k) for k in ("CcAddresses", "BccAddresses"))
        assert message.subject.isprintable() and len(message.subject) <= 100, message.subject
    crew_mail = next(m for m in mails if m.destinations["ToAddresses"] == ["sam@crew.example"])
    assert crew_mail.subject == f"Crew call: charter on {DAY} at 17:30"  # fixed wording, nothing the marketplace wrote
    ops_mail = next(m for m in mails if m.destinations["ToAddresses"] == ["ops@dev.mainstreet.example"])
    assert ops_mail.subject.startswith(f"New charter {DAY} 17:30: Dana Bcc: x@evil.example Whitfield")
    event = next(i for i in items("EVENT#") if i["sk"]["S"] == "EVENT")
    assert event["guest_name"]["S"].startswith("Dana Bcc: x@evil.example Whitfield")  # one line, as stored


def test_a_crew_phone_is_stored_in_e164_and_shown_the_local_way(intake, staff, staff_cookie, sent_mail):
    booking = {**BOOKING, "gross_revenue": "8.4075E+2",
               "crew": [{"name": "Sam Rivera", "email": "sam@crew.example", "role": "captain", "phone": "(415) 555-0134"},
                        {"name": "Ada Chen", "email": "ada@crew.example", "role": "deckhand", "phone": " "}]}
    event_id = book(intake, booking).json()["event_id"]
    full = staff.get(f"/api/charters/events/{event_id}", headers={"cookie": staff_cookie}, host=OPS_HOST).json()
    sam, ada = full["crew"]
    assert (sam["phone"], sam["phone_shown"]) == ("+14155550134", "(415) 555-0134")
    assert ada["phone"] is None and "phone_shown" not in ada
    money = staff.get(f"/api/charters/events/{event_id}/money", headers={"cookie": staff_cookie}, host=OPS_HOST).json()
    assert money["gross_revenue"] == "840.75"  # stored as written, not in the sender's notation
    ops_mail = next(m for m in sent_mail() if m.destinations["ToAddresses"] == ["ops@dev.mainstreet.example"])
    assert "(415) 555-0134" in ops_mail.body


# -- a crew write racing a staff revoke ------------------------------------------------------


@pytest.fixture
def revoked_mid_request(monkeypatch):
    """revoked_mid_request(event_id, crew_id): the next read of that event's crew returns what it
    read, then the office revokes the link, before the handler writes (the race)."""
    from handlers.charters import storage

    real = storage.event_items

    def arm(event_id: str, crew_id: str):
        def read_then_revoke(table, wanted):
            found = real(table, wanted)
            monkeypatch.setattr(storage, "event_items", real)
            storage.revoke(table, event_id, crew_id, {"action": "withdrawn", "at": "2026-11-23T18:00:00Z",
                                                      "by_staff": "test-office", "by_name": "The office"})
            return found

        monkeypatch.setattr(storage, "event_items", read_then_revoke)

    return arm


@pytest.mark.parametrize("path, payload", [("/api/crew/acknowledge", {"acknowledged": True}),
                                           ("/api/crew/checklist", {"item": "Life jackets counted", "done": True})])
def test_a_crew_write_racing_a_revoke_is_410_and_writes_nothing(intake, crew, sent_mail, revoked_mid_request, path, payload):
    event_id = book(intake).json()["event_id"]
    token = crew_token(sent_mail, "ada@crew.example")
    revoked_mid_request(event_id, "c2")
    reply = crew.post(path, payload, headers={"x-crew-token": token}, host=OPS_HOST)
    assert reply.status == 410, reply.text
    assert reply.json() == {"error": "link_revoked", "message": "This link was replaced or withdrawn. Ask the office for a new one.",
                            "fields": {}}
    ada = next(i for i in items("EVENT#") if i["sk"]["S"] == "CREW#c2")
    assert ada["link_version"]["N"] == "2" and "acknowledged_at" not in ada and ada["checklist"]["M"] == {}


@pytest.mark.parametrize("payload, status", [({"acknowledged": False}, 422), ({"acknowledged": "yes"}, 422), ("[]", 400)])
def test_an_acknowledgement_is_a_yes_or_nothing(intake, crew, sent_mail, payload, status):
    book(intake)
    token = crew_token(sent_mail, "ada@crew.example")
    kwargs = {"body": payload, "headers": {"x-crew-token": token, "content-type": "application/json"}} if isinstance(payload, str) \
        else {"json_body": payload, "headers": {"x-crew-token": token}}
    reply = crew.request("POST", "/api/crew/acknowledge", host=OPS_HOST, **kwargs)
    assert reply.status == status, reply.text
    ada = next(i for i in items("EVENT#") if i["sk"]["S"] == "CREW#c2")
    assert "acknowledged_at" not in ada
    assert crew.post("/api/crew/acknowledge", headers={"x-crew-token": token}, host=OPS_HOST).status == 200  # no body: a yes
