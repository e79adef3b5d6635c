"""Dispatch handlers through Function URL events on moto: bookings, tracking, the board."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from handlers.dispatch import flow, storage
from handlers.shared.aws import client
from tests.handlers.badinput import refused_cleanly

JOBS = "mainstreet-dev-jobs"
HOST = "dispatch.example.test"
TOKEN = re.compile(r"^[A-Za-z0-9_-]{32}$")
TODAY = datetime.now(ZoneInfo("America/Los_Angeles")).date()  # the dev stack's business day


def booking(**changes) -> dict:
    base = {"name": "Mark Ortiz", "phone": "+1 619 555 0142", "email": "mark@example.com", "address": "4140 Soderblom Ave, San Diego",
            "items": "Old sofa and a fridge", "preferred_date": (TODAY + timedelta(days=2)).isoformat(), "window": "morning"}
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def items() -> list[dict]:
    return client("dynamodb").scan(TableName=JOBS, ConsistentRead=True)["Items"]


@pytest.fixture
def public(function):
    return function("dispatch-booking")


@pytest.fixture
def track(function):
    return function("dispatch-track")


@pytest.fixture
def board(function):
    return function("dispatch-board")


def book(public, **changes) -> dict:
    reply = public.post("/api/bookings", booking(**changes), host=HOST)
    assert reply.status == 201, reply.text
    return reply.json()


@pytest.mark.parametrize("field, value", [
    ("name", ""), ("phone", "call me"), ("email", "mark-at-example"), ("address", "x"), ("items", ""),
    ("preferred_date", "next tuesday"), ("preferred_date", (TODAY - timedelta(days=1)).isoformat()),
    ("preferred_date", (TODAY + timedelta(days=400)).isoformat()), ("window", "midnight"), ("notes", "n" * 1001),
])
def test_each_bad_field_is_named_and_nothing_is_written(public, field, value):
    reply = public.post("/api/bookings", booking(**{field: value}), host=HOST)
    assert reply.status == 422
    assert field in reply.json()["fields"], reply.json()
    assert items() == []


@pytest.mark.parametrize("spelling", ["(415) 555-0134", "415-555-0134", "+1 415 555 0134"])
def test_a_phone_is_read_in_the_shops_country_and_stored_in_e164(public, spelling):
    book(public, phone=spelling)
    assert job_item()["phone"]["S"] == "+14155550134"


def test_a_number_that_is_no_phone_number_gets_a_sentence_on_phone(public):
    reply = public.post("/api/bookings", booking(phone="1234567"), host=HOST)
    assert reply.status == 422
    assert set(reply.json()["fields"]) == {"phone"}
    assert reply.json()["fields"]["phone"].startswith("That is not a phone number we can call")
    assert items() == []


@pytest.mark.parametrize("days, sentence", [
    (-1, "Please pick today or a later day."),
    (-40_000, "Please pick today or a later day."),
    (366, "We take bookings up to 365 days ahead."),
])
def test_a_pickup_day_in_the_past_or_past_the_horizon_is_refused_in_words(public, days, sentence):
    reply = public.post("/api/bookings", booking(preferred_date=(TODAY + timedelta(days=days)).isoformat()), host=HOST)
    assert reply.status == 422
    assert reply.json()["fields"] == {"preferred_date": sentence} and reply.json()["message"] == sentence
    assert items() == []


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "2026-02-30", "2026-1-5", "31/12/2026"])
def test_absurd_days_are_a_422_on_the_day_never_a_500(public, day):
    reply = public.post("/api/bookings", booking(preferred_date=day), host=HOST)
    assert reply.status == 422, reply.text
    assert set(reply.json()["fields"]) == {"preferred_date"}
    assert reply.json()["fields"]["preferred_date"][:1].isupper()
    assert items() == []


def test_the_horizon_is_the_stacks_setting(public, monkeypatch):
    assert public.env["BOOKING_HORIZON_DAYS_SETTING"] == "365"
    book(public, preferred_date=(TODAY + timedelta(days=365)).isoformat())  # the last day it takes
    monkeypatch.setattr(public.module, "settings", public.module.settings.replace(booking_horizon_days="10"))
    assert public.post("/api/bookings", booking(preferred_date=(TODAY + timedelta(days=10)).isoformat()), host=HOST).status == 201
    refused = public.post("/api/bookings", booking(preferred_date=(TODAY + timedelta(days=11)).isoformat()), host=HOST)
    assert refused.json()["fields"] == {"preferred_date": "We take bookings up to 10 days ahead."}


def test_each_sentence_is_for_a_customer(public):
    reply = public.post("/api/bookings", {"name": "   ", "phone": "", "address": "\t\n", "items": "x", "window": "midnight",
                                          "notes": "a\x00b", "request_id": "no"}, host=HOST)
    assert reply.status == 422
    fields = reply.json()["fields"]
    assert fields["name"] == "Please fill in your name."
    assert fields["address"] == "Please fill in the pickup address."
    assert fields["preferred_date"] == "Please fill in the pickup day."
    assert fields["request_id"] == "This form is out of date: please reload the page and try again."
    for field in ("phone", "items", "window", "notes"):
        assert field in fields
    refused_cleanly(reply)
    assert all(message.endswith(".") and message[:1].isupper() for message in fields.values()), fields


def test_missing_fields_are_all_named_at_once(public):
    reply = public.post("/api/bookings", {"name": "Mark"}, host=HOST)
    assert reply.status == 422
    assert {"phone", "address", "items", "preferred_date"} <= set(reply.json()["fields"])
    assert items() == []


def test_a_booking_creates_a_job_and_a_tracking_link(public):
    booked = book(public)
    assert re.match(r"^J[2-9A-Z]{7}$", booked["job_id"])
    assert TOKEN.match(booked["tracking_token"])
    assert booked["tracking_url"] == f"https://{HOST}/track/{booked['tracking_token']}"
    keys = sorted(i["pk"]["S"].split("#")[0] for i in items())
    assert keys == ["JOB", "TRACK"]


def test_tracking_tokens_come_from_the_os_csprng_and_carry_at_least_128_bits(monkeypatch):
    import base64
    import secrets

    from handlers.dispatch.jobs import new_tracking_token

    asked: list[int] = []

    def marked_bytes(n: int) -> bytes:  # stands in for os.urandom behind `secrets`: known, distinct bytes
        asked.append(n)
        return bytes((7 * i + 3) % 256 for i in range(n))

    monkeypatch.setattr(secrets, "token_bytes", marked_bytes)
    token = new_tracking_token()
    [n] = asked  # the token is drawn from `secrets`, in one draw...
    assert n * 8 >= 128  # ...of at least 128 random bits...
    assert token == base64.urlsafe_b64encode(marked_bytes(n)).rstrip(b"=").decode()  # ...and is those bits, nothing else
    assert TOKEN.match(token)


def test_tracking_tokens_are_unique_and_evenly_spread_over_many_draws():
    from handlers.dispatch.jobs import new_tracking_token

    draws = 10_000
    tokens = [new_tracking_token() for _ in range(draws)]
    assert len(set(tokens)) == draws
    assert all(TOKEN.match(t) for t in tokens)
    alphabet = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    for position in range(32):  # no fixed or narrowed position (a prefix, a counter, a timestamp)
        assert {t[position] for t in tokens} == alphabet, position
    counts = Counter("".join(tokens))
    expected = draws * 32 / 64  # 5,000 of each character; one standard deviation is about 70
    assert all(abs(counts[c] - expected) < 0.2 * expected for c in alphabet), counts.most_common(3)


def test_a_resubmitted_form_books_once(public):
    first = public.post("/api/bookings", booking(request_id="form-3f2a9c1d7e"), host=HOST)
    again = public.post("/api/bookings", booking(request_id="form-3f2a9c1d7e"), host=HOST)
    assert (first.status, again.status) == (201, 200)
    assert again.json() == first.json()
    assert len([i for i in items() if i["pk"]["S"].startswith("JOB#")]) == 1


def test_the_tracking_view_shows_status_steps_and_date_and_nothing_personal(public, track):
    booked = book(public, notes="Gate code 4411")
    reply = track.get(f"/api/track/{booked['tracking_token']}", host=HOST)
    assert reply.status == 200 and reply.headers["Cache-Control"] == "no-store"
    view = reply.json()
    assert set(view) == {"status", "label", "meaning", "steps", "date", "window", "updated_at"}
    assert view["status"] == "pending_pickup" and view["steps"][0]["state"] == "current"
    text = json.dumps(view)
    for private in ("Mark", "Ortiz", "619", "Soderblom", "sofa", "4411", "mark@example.com", booked["job_id"]):
        assert private not in text


def test_unknown_and_malformed_tokens_are_not_found_and_malformed_ones_cost_no_read(track, calls):
    assert track.get("/api/track/" + "A" * 32, host=HOST).status == 404
    calls.clear()
    for bad in ("short", "x" * 33, "not a token!!" + "x" * 19):
        assert track.get(f"/api/track/{bad}", host=HOST).status == 404
    assert calls.of("dynamodb") == []


def test_the_flow_is_served_from_its_one_definition(track):
    served = track.get("/api/flow", host=HOST).json()
    assert [s["status"] for s in served["statuses"]] == [s for s, _, _ in flow.STATUSES]
    assert served["moves"]["pending_pickup"] == ["ready_for_pickup", "cancelled"]
    assert served["moves"]["completed"] == [] and served["moves"]["cancelled"] == []


@pytest.mark.parametrize("method, path", [("GET", "/api/jobs"), ("POST", "/api/jobs"), ("POST", "/api/jobs/JABCDEFG/status")])
def test_the_board_needs_a_staff_session(board, method, path):
    assert board.request(method, path, json_body={} if method == "POST" else None, host=HOST).status == 401


def move(board, cookie, job_id, from_status, to_status):
    return board.post(f"/api/jobs/{job_id}/status", {"from": from_status, "to": to_status}, headers={"cookie": cookie}, host=HOST)


ALLOWED = [(f, t) for f, _, _ in flow.STATUSES for t in flow.allowed_moves(f)]
ALL = [s for s, _, _ in flow.STATUSES]
FORBIDDEN = [(f, t) for f in ALL for t in ALL if (f, t) not in ALLOWED]


def walk_to(board, cookie, job_id, status):
    """Move a new job along the main path (or straight to cancelled) until it is in `status`."""
    current = "pending_pickup"
    path = ["cancelled"] if status == "cancelled" else list(flow.MAIN_PATH[1:flow.MAIN_PATH.index(status) + 1])
    for step in path:
        assert move(board, cookie, job_id, current, step).status == 200
        current = step


@pytest.mark.parametrize("from_status, to_status", ALLOWED)
def test_every_allowed_move(public, track, board, staff_cookie, from_status, to_status):
    booked = book(public)
    walk_to(board, staff_cookie, booked["job_id"], from_status)
    reply = move(board, staff_cookie, booked["job_id"], from_status, to_status)
    assert reply.status == 200 and reply.json()["job"]["job_status"] == to_status
    # read after write: the tracking link shows the new status at once (incident 7)
    assert track.get(f"/api/track/{booked['tracking_token']}", host=HOST).json()["status"] == to_status


@pytest.mark.parametrize("from_status, to_status", FORBIDDEN)
def test_every_forbidden_move_is_422_and_changes_nothing(public, board, staff_cookie, from_status, to_status):
    booked = book(public)
    walk_to(board, staff_cookie, booked["job_id"], from_status)
    reply = move(board, staff_cookie, booked["job_id"], from_status, to_status)
    assert reply.status == 422 and reply.json()["error"] == "move_not_allowed"
    job = client("dynamodb").get_item(TableName=JOBS, Key={"pk": {"S": f"JOB#{booked['job_id']}"}})["Item"]
    assert job["job_status"]["S"] == from_status


def test_a_stale_from_is_a_conflict_naming_the_current_status(public, board, staff_cookie):
    """Incident 6: two dispatchers; the second one's move is refused, not silently applied."""
    booked = book(public)
    assert move(board, staff_cookie, booked["job_id"], "pending_pickup", "ready_for_pickup").status == 200
    stale = move(board, staff_cookie, booked["job_id"], "pending_pickup", "cancelled")
    assert stale.status == 409
    assert stale.json()["fields"] == {"current": "ready_for_pickup"} and "Ready for pickup" in stale.json()["message"]


def test_unknown_jobs_and_statuses(board, staff_cookie):
    assert move(board, staff_cookie, "JNOSUCH2", "pending_pickup", "ready_for_pickup").status == 404
    assert move(board, staff_cookie, "JNOSUCH2", "lost", "ready_for_pickup").status == 422
    reply = board.post("/api/jobs/JX/status", {"to": "completed"}, headers={"cookie": staff_cookie}, host=HOST)
    assert reply.status == 422 and "from" in reply.json()["fields"]


def test_a_status_change_is_two_calls_and_tracking_one(public, track, board, staff_cookie, calls):
    booked = book(public)
    calls.clear()
    assert move(board, staff_cookie, booked["job_id"], "pending_pickup", "ready_for_pickup").status == 200
    # The session's read (handlers.shared.auth), the job's, then the job and its tracking copy together.
    assert len(calls.of("dynamodb")) <= 3 and calls.writes() == ["TransactWriteItems"]
    calls.clear()
    track.get(f"/api/track/{booked['tracking_token']}", host=HOST)
    assert calls.of("dynamodb") == ["GetItem"]


def test_staff_list_jobs_by_status_and_enter_a_priced_job(public, track, board, staff_cookie):
    book(public, name="Ana")
    created = board.post("/api/jobs", booking(name="Bo", email=None, price_cents=60000), headers={"cookie": staff_cookie}, host=HOST)
    assert created.status == 201
    job = created.json()["job"]
    assert job["price_cents"] == 60000 and job["source"] == "staff" and job["tracking_url"].startswith(f"https://{HOST}/track/")
    listed = board.get("/api/jobs", headers={"cookie": staff_cookie}, query="status=pending_pickup", host=HOST).json()["jobs"]
    assert sorted(j["name"] for j in listed) == ["Ana", "Bo"]
    assert board.get("/api/jobs", headers={"cookie": staff_cookie}, query="status=bogus", host=HOST).status == 422
    view = track.get(f"/api/track/{job['tracking_token']}", host=HOST).json()
    assert "600" not in json.dumps(view)


def job_row(job_id: str) -> dict:
    return storage.from_stream(client("dynamodb").get_item(TableName=JOBS, Key={"pk": {"S": f"JOB#{job_id}"}}, ConsistentRead=True)["Item"])


def test_a_job_entered_and_moved_by_staff_names_who_did_it_and_when(public, track, board, sign_in, staff_account):
    """The job keeps its moves, each with who made it; the board's card shows the last one."""
    ben = sign_in("dispatch", email="ben@staff.example", name="Ben")
    cy = sign_in("dispatch", email="cy@staff.example", name="Cy")
    ben_id, cy_id = (staff_account.directory.find(e).id for e in ("ben@staff.example", "cy@staff.example"))
    created = board.post("/api/jobs", booking(name="Bo"), headers={"cookie": ben}, host=HOST)
    assert created.status == 201, created.text
    job = created.json()["job"]
    assert (job["by_staff"], job["by_name"], job["last_move"]) == (ben_id, "Ben", None)
    assert created.json()["time_zone"] == "America/Los_Angeles"
    assert job_row(job["job_id"])["updated_by"] == {"by_staff": ben_id, "by_name": "Ben"}

    first = move(board, cy, job["job_id"], "pending_pickup", "ready_for_pickup").json()["job"]
    assert first["last_move"]["by_name"] == "Cy" and first["updated_by"] == {"by_staff": cy_id, "by_name": "Cy"}
    second = move(board, ben, job["job_id"], "ready_for_pickup", "cancelled")
    assert second.status == 200, second.text
    last = second.json()["job"]["last_move"]
    assert {k: last[k] for k in ("from", "to", "by_staff", "by_name")} == {
        "from": "ready_for_pickup", "to": "cancelled", "by_staff": ben_id, "by_name": "Ben"}
    assert last["at"] == second.json()["job"]["updated_at"]

    stored = job_row(job["job_id"])
    assert [(m["from"], m["to"], m["by_staff"], m["by_name"]) for m in stored["moves"]] == [
        ("pending_pickup", "ready_for_pickup", cy_id, "Cy"), ("ready_for_pickup", "cancelled", ben_id, "Ben")]
    assert (stored["by_staff"], stored["by_name"]) == (ben_id, "Ben")  # who entered it stays
    assert stored["updated_by"] == {"by_staff": ben_id, "by_name": "Ben"}
    listed = board.get("/api/jobs", headers={"cookie": cy}, query="status=cancelled", host=HOST).json()
    assert listed["jobs"][0]["last_move"] == last and listed["time_zone"] == "America/Los_Angeles"
    # The customer's tracking copy names no staff member.
    tracked = track.get(f"/api/track/{job['tracking_token']}", host=HOST).text
    assert "Ben" not in tracked and "Cy" not in tracked and ben_id not in tracked


def test_a_customers_own_booking_names_no_staff_member(public, board, staff_cookie):
    booked = book(public)
    stored = job_row(booked["job_id"])
    assert not {"by_staff", "by_name", "updated_by", "moves"} & set(stored)
    [card] = board.get("/api/jobs", headers={"cookie": staff_cookie}, query="status=pending_pickup", host=HOST).json()["jobs"]
    assert (card["by_name"], card["last_move"]) == (None, None)


def stream_record(event_name: str, new: dict, old: dict | None = None, sequence: str = "1") -> dict:
    change = {"Keys": {"pk": new["pk"]}, "NewImage": new, "SequenceNumber": sequence, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    if old:
        change["OldImage"] = old
    return {"eventName": event_name, "eventSource": "aws:dynamodb", "dynamodb": change}


def job_item() -> dict:
    return next(i for i in items() if i["pk"]["S"].startswith("JOB#"))


def test_the_customer_is_mailed_on_booking_and_on_each_status_change_once(public, board, staff_cookie, function, sent_mail):
    booked = book(public)
    notify = function("dispatch-notify")
    created = job_item()
    assert notify.invoke({"Records": [stream_record("INSERT", created)]}) == {"batchItemFailures": []}
    move(board, staff_cookie, booked["job_id"], "pending_pickup", "ready_for_pickup")
    moved = job_item()
    batch = {"Records": [stream_record("MODIFY", moved, created, "2")]}
    notify.invoke(batch)
    notify.invoke(batch)  # the stream retries a batch: still one mail
    mails = sent_mail()
    assert [m.subject for m in mails] == [f"Your pickup is booked ({booked['job_id']})", f"Your pickup {booked['job_id']}: Ready for pickup"]
    assert all(m.destinations["ToAddresses"] == ["mark@example.com"] for m in mails)
    assert f"/track/{booked['tracking_token']}" in mails[1].body


def test_no_mail_without_an_address_or_without_a_status_change(public, function, sent_mail):
    book(public, email=None)
    notify = function("dispatch-notify")
    job = job_item()
    handled = {"batchItemFailures": []}  # skipped on purpose, not failed (a failure would be retried and mailed later)
    assert notify.invoke({"Records": [stream_record("INSERT", job), stream_record("MODIFY", job, job, "2")]}) == handled
    track_item = next(i for i in items() if i["pk"]["S"].startswith("TRACK#"))
    assert notify.invoke({"Records": [stream_record("INSERT", track_item, None, "3")]}) == handled
    assert sent_mail() == []


@pytest.fixture
def texts():
    """The texts SNS accepted, [(phone, message)]."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.sns.models import sns_backends

    return lambda: list(sns_backends[DEFAULT_ACCOUNT_ID]["us-west-2"].sms_messages.values())


def test_a_booking_with_a_phone_and_consent_gets_one_mail_and_one_text(public, function, sent_mail, texts):
    from email.utils import parseaddr

    from handlers.shared import sms

    booked = book(public, texts=True)
    job = job_item()
    assert job["texts"] == {"BOOL": True}
    assert function("dispatch-notify").invoke({"Records": [stream_record("INSERT", job)]}) == {"batchItemFailures": []}
    [mail] = sent_mail()
    assert parseaddr(mail.source)[0] == "QuickDumpNow"  # dispatch's own name, not the charter company's
    assert "<p>QuickDumpNow</p>" in mail.body and "Charters" not in mail.body  # signed with it too
    [(phone, text)] = texts()
    assert phone == "+16195550142"
    assert text.startswith("QuickDumpNow: ") and sms.fits(text), text  # one segment
    assert f"/track/{booked['tracking_token']}" in text and booked["job_id"] in text
    assert "Mark" not in text and "Soderblom" not in text  # nothing the booker typed goes to a phone nobody confirmed


def test_no_text_without_consent_and_no_message_at_all_without_an_address_or_consent(public, function, sent_mail, texts):
    book(public)  # a phone, as always, but the box not ticked
    notify = function("dispatch-notify")
    job = job_item()
    assert "texts" in job and job["texts"] == {"BOOL": False}
    notify.invoke({"Records": [stream_record("INSERT", job)]})
    assert len(sent_mail()) == 1 and texts() == []


def test_a_job_taken_by_phone_texts_only_when_staff_ticked_the_customers_consent(board, staff_cookie, function, texts):
    notify = function("dispatch-notify")
    for sequence, agreed in (("1", False), ("2", True)):
        taken = board.post("/api/jobs", booking(email=None, texts=agreed), headers={"cookie": staff_cookie}, host=HOST)
        assert taken.status == 201 and taken.json()["job"]["texts"] is agreed
        item = client("dynamodb").get_item(TableName=JOBS, Key={"pk": {"S": f"JOB#{taken.json()['job']['job_id']}"}})["Item"]
        notify.invoke({"Records": [stream_record("INSERT", item, None, sequence)]})
    [(_, text)] = texts()
    assert text.startswith("QuickDumpNow: Pickup ")


@pytest.mark.parametrize("value", ["on", "yes", 1, None])
def test_consent_to_texts_is_a_json_boolean(public, value):
    reply = public.post("/api/bookings", booking(texts=value) if value is not None else {**booking(), "texts": None}, host=HOST)
    assert reply.status == 422 and reply.json()["fields"] == {"texts": "Whether we may text you about this pickup should be yes or no."}
    refused_cleanly(reply)
    assert items() == []


def test_a_status_change_redelivered_by_the_stream_goes_once_per_channel(public, board, staff_cookie, function, sent_mail, texts):
    booked = book(public, texts=True)
    notify = function("dispatch-notify")
    created = job_item()
    notify.invoke({"Records": [stream_record("INSERT", created)]})
    move(board, staff_cookie, booked["job_id"], "pending_pickup", "ready_for_pickup")
    moved = job_item()
    record = stream_record("MODIFY", moved, created, "2")
    assert notify.invoke({"Records": [record]}) == {"batchItemFailures": []}
    assert notify.invoke({"Records": [record]}) == {"batchItemFailures": []}  # the same record, retried
    replayed = stream_record("MODIFY", moved, created, "7")  # a copy of it under another sequence number
    assert notify.invoke({"Records": [replayed, record]}) == {"batchItemFailures": []}
    assert [m.subject for m in sent_mail()] == [f"Your pickup is booked ({booked['job_id']})", f"Your pickup {booked['job_id']}: Ready for pickup"]
    assert [t.split(" Track")[0] for _, t in texts()] == [
        f"QuickDumpNow: Pickup {booked['job_id']} booked for {booked_day()}.", f"QuickDumpNow: Pickup {booked['job_id']}: Ready for pickup."]


def test_a_message_another_invocation_is_sending_fails_its_record_for_a_retry(public, function, monkeypatch):
    from handlers.shared import notify as notifier

    book(public)
    job = job_item()
    notify = function("dispatch-notify")
    monkeypatch.setattr(notify.module.notify, "notify", lambda **kwargs: notifier.Outcome(email=notifier.BUSY))
    assert notify.invoke({"Records": [stream_record("INSERT", job, None, "9")]}) == {"batchItemFailures": [{"itemIdentifier": "9"}]}


def booked_day() -> str:
    return booking()["preferred_date"]


def test_the_board_shows_the_phone_as_the_shop_writes_it_and_tracking_shows_none(public, track, board, staff_cookie):
    booked = book(public, phone="415-555-0134")
    [job] = board.get("/api/jobs", headers={"cookie": staff_cookie}, query="status=pending_pickup", host=HOST).json()["jobs"]
    assert (job["phone"], job["phone_display"]) == ("+14155550134", "(415) 555-0134")
    view = json.dumps(track.get(f"/api/track/{booked['tracking_token']}", host=HOST).json())
    for private in ("415", "555", "0134"):
        assert private not in view


@pytest.mark.parametrize("price, sentence", [
    (True, "The quoted price should be a whole number."),
    ("95", "The quoted price should be a whole number."),
    (95.5, "The quoted price should be a whole number."),
    (-1, "The quoted price cannot be negative."),
    (10_000_001, "The quoted price can be at most $100,000."),
])
def test_a_quoted_price_is_whole_cents_and_nothing_else(board, staff_cookie, price, sentence):
    reply = board.post("/api/jobs", booking(price_cents=price), headers={"cookie": staff_cookie}, host=HOST)
    assert reply.status == 422
    assert reply.json()["fields"] == {"price_cents": sentence}
    assert items() == []


def test_a_staff_job_gets_the_same_day_check(board, staff_cookie):
    reply = board.post("/api/jobs", booking(preferred_date="9999-12-31"), headers={"cookie": staff_cookie}, host=HOST)
    assert reply.status == 422 and reply.json()["fields"] == {"preferred_date": "We take bookings up to 365 days ahead."}
    assert items() == []


@pytest.mark.parametrize("job_id", ["x" * 600, "JABCDEFGH", "jabcdefg", "J%00ABCDE", "' OR 1=1 --", "\u00a0", "😀" * 30])
def test_a_job_id_that_is_none_of_ours_is_not_found_without_a_read(board, staff_cookie, calls, job_id):
    calls.clear()
    reply = move(board, staff_cookie, job_id, "pending_pickup", "ready_for_pickup")
    assert reply.status == 404 and reply.json()["error"] == "not_found"
    # At most the staff session's read (when the path matches a route at all), and no job's.
    assert calls.of("dynamodb") in ([], ["GetItem"])


@pytest.mark.parametrize("change", [{"from": "pending_pickup\r\nX", "to": "cancelled"}, {"from": True, "to": "cancelled"},
                                    {"from": "p" * 41, "to": "cancelled"}, {"from": "pending_pickup", "to": ["cancelled"]}])
def test_a_garbled_status_change_is_a_422_in_words(public, board, staff_cookie, change):
    booked = book(public)
    reply = board.post(f"/api/jobs/{booked['job_id']}/status", change, headers={"cookie": staff_cookie}, host=HOST)
    assert reply.status == 422
    refused_cleanly(reply)


def test_an_unknown_column_is_refused_in_words(board, staff_cookie):
    reply = board.get("/api/jobs", headers={"cookie": staff_cookie}, query="status=bogus", host=HOST)
    assert reply.status == 422 and reply.json()["fields"] == {"status": "Please choose one of the board's columns."}


class InFlight:
    """The jobs table's client, whose next `conflicts` transactions meet another one in flight."""

    def __init__(self, conflicts: int):
        self.real, self.conflicts, self.tried = client("dynamodb"), conflicts, 0

    def __getattr__(self, name):
        return getattr(self.real, name)

    def transact_write_items(self, **kwargs):
        self.tried += 1
        if self.conflicts:
            self.conflicts -= 1
            reasons = [{"Code": "TransactionConflict" if i == 0 else "None"} for i in range(len(kwargs["TransactItems"]))]
            raise self.real.exceptions.TransactionCanceledException(
                {"Error": {"Code": "TransactionCanceledException", "Message": "Transaction cancelled"},
                 "CancellationReasons": reasons}, "TransactWriteItems")
        return self.real.transact_write_items(**kwargs)


def test_a_move_that_meets_another_transaction_is_tried_again(public, board, staff_cookie, monkeypatch):
    booked = book(public)
    in_flight = InFlight(conflicts=1)
    monkeypatch.setattr(storage, "client", lambda service: in_flight)
    assert move(board, staff_cookie, booked["job_id"], "pending_pickup", "ready_for_pickup").status == 200
    assert in_flight.tried == 2


def test_a_move_that_keeps_meeting_other_transactions_is_a_409_never_a_500(public, board, staff_cookie, monkeypatch):
    booked = book(public)
    monkeypatch.setattr(storage, "client", lambda service: InFlight(conflicts=99))
    reply = move(board, staff_cookie, booked["job_id"], "pending_pickup", "ready_for_pickup")
    assert reply.status == 409 and reply.json()["error"] == "job_busy"
    refused_cleanly(reply)
    assert job_item()["job_status"]["S"] == "pending_pickup"


def test_a_double_submission_meeting_its_twin_in_flight_books_once(public, monkeypatch):
    first = public.post("/api/bookings", booking(request_id="form-77a1c0de"), host=HOST)
    in_flight = InFlight(conflicts=1)
    monkeypatch.setattr(storage, "client", lambda service: in_flight)
    again = public.post("/api/bookings", booking(request_id="form-77a1c0de"), host=HOST)
    assert (first.status, again.status) == (201, 200) and again.json() == first.json()
    assert len([i for i in items() if i["pk"]["S"].startswith("JOB#")]) == 1


def test_a_booking_that_keeps_meeting_other_transactions_is_a_409_and_writes_nothing(public, monkeypatch):
    monkeypatch.setattr(storage, "client", lambda service: InFlight(conflicts=99))
    reply = public.post("/api/bookings", booking(), host=HOST)
    assert reply.status == 409 and reply.json()["error"] == "busy"
    assert items() == []


def test_mail_to_an_address_nobody_confirmed_carries_nothing_the_booker_typed(public, board, staff_cookie, function, sent_mail):
    """Anyone may book with anyone's address: the web booking's name is not mailed; staff's is."""
    book(public, name="Cheap pills at evil.example")
    web = job_item()
    notify = function("dispatch-notify")
    notify.invoke({"Records": [stream_record("INSERT", web)]})
    taken = board.post("/api/jobs", booking(name="Ana Reyes", email="ana@example.com"), headers={"cookie": staff_cookie}, host=HOST)
    staff = client("dynamodb").get_item(TableName=JOBS, Key={"pk": {"S": f"JOB#{taken.json()['job']['job_id']}"}})["Item"]
    notify.invoke({"Records": [stream_record("INSERT", staff, None, "2")]})
    web_mail, staff_mail = sent_mail()
    assert "evil" not in web_mail.body and "Hello," in web_mail.body
    assert "Hello Ana Reyes," in staff_mail.body
