"""Staff referral API: stats per vendor, and outreach that sends once, only after approval."""

from __future__ import annotations

from datetime import datetime, timezone
from urllib.parse import urlencode

import pytest

from handlers.shared.aws import client

OUTREACH = "mainstreet-dev-outreach"


NOON_LA = datetime(2026, 7, 1, 19, 0, tzinfo=timezone.utc)  # outside the dev stack's quiet hours (21:00-08:00)
NIGHT_LA = datetime(2026, 7, 2, 5, 30, tzinfo=timezone.utc)  # 22:30 in Los Angeles


@pytest.fixture
def api(function, monkeypatch):
    """The staff API, its clock at noon in the business's zone (outreach is marketing: quiet hours hold it)."""
    api = function("referral-api")
    monkeypatch.setattr(api.module, "now_utc", lambda: NOON_LA)
    return api


@pytest.fixture
def click(function):
    return function("referral-click")


def outreach_items() -> list[dict]:
    return client("dynamodb").scan(TableName=OUTREACH)["Items"]


@pytest.mark.parametrize("method, path", [
    ("GET", "/api/referrals/stats"),
    ("GET", "/api/referrals/outreach"),
    ("POST", "/api/referrals/outreach"),
    ("GET", "/api/referrals/outreach/20260101T000000Z-abcdef12"),
    ("POST", "/api/referrals/outreach/20260101T000000Z-abcdef12/approve"),
])
def test_staff_endpoints_need_a_session(api, method, path):
    reply = api.request(method, path, json_body={} if method == "POST" else None)
    assert reply.status == 401 and reply.json()["error"] == "unauthorized"


def test_stats_per_vendor_clicks_uniques_bots_last_click_and_daily_series(api, click, staff_cookie):
    click.get("/ref/solare")
    click.get("/ref/solare")
    click.get("/ref/solare", headers={"cloudfront-viewer-address": "192.0.2.1:9"})
    click.get("/ref/solare", headers={"user-agent": "Slackbot-LinkExpanding 1.0"})
    click.get("/ref/whoever")
    reply = api.get("/api/referrals/stats", headers={"cookie": staff_cookie}, query="days=7")
    assert reply.status == 200
    data = reply.json()
    rows = {row["code"]: row for row in data["vendors"]}
    assert len(rows) == 8  # the seven vendors and the orphan row
    solare = rows["solare"]
    assert (solare["clicks"], solare["unique_visitors"], solare["bot_hits"]) == (3, 2, 1)
    assert solare["last_click"] and solare["name"] == "Solare"
    assert solare["daily"] == [{"date": data["until"], "clicks": 3, "bot_hits": 1, "unique_visitors": 2}]
    assert rows["_orphan"]["clicks"] == 1 and rows["_orphan"]["orphan"] is True
    assert rows["puesto"]["clicks"] == 0 and rows["puesto"]["daily"] == []


@pytest.mark.parametrize("days", ["abc", "0", "91", "-1", "7.5", str(10**9), "1" * 5000, " 7", "1_0", "\u0663", ""])
def test_stats_reject_a_bad_window_in_a_sentence(api, staff_cookie, days):
    reply = api.get("/api/referrals/stats", headers={"cookie": staff_cookie}, query=urlencode({"days": days}))
    assert reply.status == 422
    assert reply.json()["fields"] == {"days": "Please choose a number of days from 1 to 90."}


@pytest.mark.parametrize("days", ["1", "7", "90"])
def test_stats_take_a_window_of_one_to_ninety_days(api, staff_cookie, days):
    reply = api.get("/api/referrals/stats", headers={"cookie": staff_cookie}, query=f"days={days}")
    assert reply.status == 200 and reply.json()["days"] == int(days)


def test_a_batch_is_rendered_for_review_and_nothing_is_sent(api, staff_cookie, sent_mail):
    reply = api.post("/api/referrals/outreach", {"subject": "Your link to us", "note": "See you at the dock!"},
                     headers={"cookie": staff_cookie})
    assert reply.status == 201
    batch, mails = reply.json()["batch"], reply.json()["mails"]
    assert batch["status"] == "pending_review" and batch["mail_count"] == 7
    solare = next(m for m in mails if m["code"] == "solare")
    assert solare["to"] == "events@solare.example" and solare["subject"] == "Your link to us"
    assert "https://ops.example.test/ref/solare" in solare["html"] and "https://ops.example.test/ref/solare" in solare["text"]
    assert "See you at the dock!" in solare["text"] and "Solare events team" in solare["html"]
    assert all(m["status"] == "queued" for m in mails)
    assert sent_mail() == []


def test_vendor_data_is_escaped_in_the_mail_and_the_preview(api, staff_cookie):
    reply = api.post("/api/referrals/outreach", {"note": "<script>alert(1)</script>"}, headers={"cookie": staff_cookie})
    batch_id = reply.json()["batch"]["id"]
    mail = reply.json()["mails"][0]
    assert "<script>" not in mail["html"] and "&lt;script&gt;" in mail["html"]
    preview = api.get(f"/api/referrals/outreach/{batch_id}/preview", headers={"cookie": staff_cookie})
    assert preview.status == 200 and preview.headers["Content-Type"].startswith("text/html")
    assert "<script>alert" not in preview.text
    assert preview.text.count("<iframe") == 7 and "Board &amp; Brew" in preview.text


def test_a_batch_for_some_vendors(api, staff_cookie):
    reply = api.post("/api/referrals/outreach", {"vendor_codes": ["puesto", "smallgoods"]}, headers={"cookie": staff_cookie})
    assert reply.status == 201 and sorted(m["code"] for m in reply.json()["mails"]) == ["puesto", "smallgoods"]


@pytest.mark.parametrize("body, field, sentence", [
    ({"subject": "Hi"}, "subject", "The subject needs at least 3 characters."),
    ({"subject": "x" * 151}, "subject", "The subject is too long: at most 150 characters, please."),
    ({"subject": "   "}, "subject", "Please fill in the subject."),
    ({"subject": "\u00a0\t\n"}, "subject", "Please fill in the subject."),
    ({"subject": "Hello\u0000there"}, "subject", "Please use only letters, digits, spaces and punctuation."),
    ({"subject": "Hi\u202eereht"}, "subject", "Please use only letters, digits, spaces and punctuation."),
    ({"subject": 5}, "subject", "The subject should be text."),
    ({"note": 5}, "note", "The note should be text."),
    ({"note": "x" * 2001}, "note", "The note is too long: at most 2000 characters, please."),
    ({"note": "a\u0007b"}, "note", "Please use only letters, digits, spaces and punctuation."),
    ({"vendor_codes": ["solare", "nobody"]}, "vendor_codes",
     "We have no vendor with the code nobody. Please choose vendors from the list."),
    ({"vendor_codes": ["nobody", "noone"]}, "vendor_codes",
     "We have no vendors with the codes nobody, noone. Please choose vendors from the list."),
    ({"vendor_codes": []}, "vendor_codes", "Please choose at least one vendor to write to."),
    ({"vendor_codes": "solare"}, "vendor_codes", "Please choose the vendors from the list."),
    ({"vendor_codes": [1, 2]}, "vendor_codes", "Please choose the vendors from the list."),
    ({"vendor_codes": [True]}, "vendor_codes", "Please choose the vendors from the list."),
    ({"vendor_codes": ["../etc"]}, "vendor_codes",
     "Please choose the vendors from the list: one of these is not a vendor code."),
    ({"vendor_codes": ["solare"] * 101}, "vendor_codes", "Please choose at most 100 vendors at a time."),
])
def test_a_bad_batch_request_names_the_field_in_a_sentence_and_writes_nothing(api, staff_cookie, body, field, sentence):
    reply = api.post("/api/referrals/outreach", body, headers={"cookie": staff_cookie})
    assert reply.status == 422
    assert reply.json()["fields"] == {field: sentence}
    assert outreach_items() == []


def test_every_field_problem_is_named_at_once(api, staff_cookie):
    reply = api.post("/api/referrals/outreach", {"subject": " ", "note": 1, "vendor_codes": []}, headers={"cookie": staff_cookie})
    assert reply.status == 422 and set(reply.json()["fields"]) == {"subject", "note", "vendor_codes"}


def test_vendor_codes_are_read_as_the_page_sends_them(api, staff_cookie):
    reply = api.post("/api/referrals/outreach", {"vendor_codes": ["Solare", " puesto ", "solare"], "subject": "  Your   link "},
                     headers={"cookie": staff_cookie})
    assert reply.status == 201
    assert sorted(m["code"] for m in reply.json()["mails"]) == ["puesto", "solare"]
    assert reply.json()["batch"]["subject"] == "Your link"


def test_approving_sends_each_mail_once_and_a_second_approval_sends_nothing(api, staff_cookie, sent_mail):
    created = api.post("/api/referrals/outreach", {}, headers={"cookie": staff_cookie}).json()
    batch_id = created["batch"]["id"]
    reply = api.post(f"/api/referrals/outreach/{batch_id}/approve", headers={"cookie": staff_cookie})
    assert reply.status == 200
    assert reply.json()["batch"]["status"] == "sent" and reply.json()["batch"]["sent_count"] == 7
    assert all(m["status"] == "sent" and m["message_id"] for m in reply.json()["mails"])
    sent = sent_mail()
    assert len(sent) == 7
    assert sorted(d for m in sent for d in m.destinations["ToAddresses"])[0] == "catering@puesto.example"

    again = api.post(f"/api/referrals/outreach/{batch_id}/approve", headers={"cookie": staff_cookie})
    assert again.status == 409 and again.json()["error"] == "already_approved"
    assert len(sent_mail()) == 7


def test_a_batch_names_who_made_it_and_who_approved_it(api, sign_in, staff_account):
    rita = sign_in("referrals", email="rita@staff.example", name="Rita")
    olive = sign_in("owner", email="olive@staff.example", name="Olive")
    rita_id, olive_id = (staff_account.directory.find(e).id for e in ("rita@staff.example", "olive@staff.example"))
    created = api.post("/api/referrals/outreach", {}, headers={"cookie": rita})
    assert created.status == 201, created.text
    batch = created.json()["batch"]
    assert (batch["by_staff"], batch["by_name"], batch["approved_by"]) == (rita_id, "Rita", None)
    approved = api.post(f"/api/referrals/outreach/{batch['id']}/approve", headers={"cookie": olive})
    assert approved.status == 200, approved.text
    assert approved.json()["batch"]["approved_by"] == {"by_staff": olive_id, "by_name": "Olive"}
    assert approved.json()["batch"]["approved_at"] and approved.json()["time_zone"] == "America/Los_Angeles"

    stored = next(i for i in outreach_items() if i["pk"]["S"] == "BATCH")
    assert (stored["by_staff"]["S"], stored["by_name"]["S"]) == (rita_id, "Rita")
    assert stored["approved_by"]["M"] == {"by_staff": {"S": olive_id}, "by_name": {"S": "Olive"}}
    # Approving again (a resumed send) does not change who approved it.
    api.post(f"/api/referrals/outreach/{batch['id']}/approve", headers={"cookie": rita})
    listed = api.get("/api/referrals/outreach", headers={"cookie": rita}).json()
    assert listed["batches"][0]["approved_by"]["by_name"] == "Olive" and listed["time_zone"] == "America/Los_Angeles"
    shown = api.get(f"/api/referrals/outreach/{batch['id']}", headers={"cookie": rita}).json()
    assert (shown["batch"]["by_name"], shown["batch"]["approved_by"]["by_name"]) == ("Rita", "Olive")


def test_approving_an_unknown_batch_is_404(api, staff_cookie):
    for batch_id in ("20260101T000000Z-00000000", "../etc"):
        reply = api.post(f"/api/referrals/outreach/{batch_id}/approve", headers={"cookie": staff_cookie})
        assert reply.status == 404


def test_batches_are_listed_newest_first(api, staff_cookie):
    first = api.post("/api/referrals/outreach", {"subject": "First batch"}, headers={"cookie": staff_cookie}).json()["batch"]
    second = api.post("/api/referrals/outreach", {"subject": "Second batch"}, headers={"cookie": staff_cookie}).json()["batch"]
    listed = api.get("/api/referrals/outreach", headers={"cookie": staff_cookie}).json()["batches"]
    assert [b["id"] for b in listed][:2] == sorted([first["id"], second["id"]], reverse=True)


# -- outreach through the notifier: marketing --------------------------------------------------

def test_outreach_is_marketing_from_the_programs_name_with_one_click_unsubscribe(api, staff_cookie, ses_calls):
    from email.header import decode_header, make_header
    from email.utils import parseaddr

    created = api.post("/api/referrals/outreach", {"vendor_codes": ["solare"]}, headers={"cookie": staff_cookie}).json()
    [reviewed] = created["mails"]
    assert "JADA Partners" in reviewed["text"] and "https://ops.example.test/unsubscribe/" in reviewed["text"]
    api.post(f"/api/referrals/outreach/{created['batch']['id']}/approve", headers={"cookie": staff_cookie})
    [call] = ses_calls
    assert str(make_header(decode_header(parseaddr(call["FromEmailAddress"])[0]))) == "JADA Partners"
    headers = {h["Name"]: h["Value"] for h in call["Content"]["Simple"]["Headers"]}
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert headers["List-Unsubscribe"].startswith("<https://") and "/api/unsubscribe?t=" in headers["List-Unsubscribe"]
    text = call["Content"]["Simple"]["Body"]["Text"]["Data"]
    assert "With thanks,\nJADA Partners" in text and "/unsubscribe/#t=" in text
    assert text.split("No more mail from")[0] == reviewed["text"].split("No more mail from")[0]  # what was reviewed went


def test_outreach_approved_in_quiet_hours_is_held_until_eight_and_says_so(api, function, staff_cookie, sent_mail, monkeypatch):
    monkeypatch.setattr(api.module, "now_utc", lambda: NIGHT_LA)
    cookie = {"cookie": staff_cookie}
    batch_id = api.post("/api/referrals/outreach", {"vendor_codes": ["solare", "puesto"]}, headers=cookie).json()["batch"]["id"]
    held = api.post(f"/api/referrals/outreach/{batch_id}/approve", headers=cookie).json()
    assert (held["batch"]["status"], held["batch"]["sent_count"], held["batch"]["held_count"]) == ("held", 0, 2)
    assert [(m["status"], m["state"]) for m in held["mails"]] == [("held", "held until 08:00 (quiet hours)")] * 2
    assert sent_mail() == []  # deferred, not sent
    again = api.post(f"/api/referrals/outreach/{batch_id}/approve", headers=cookie)
    assert again.status == 409 and again.json()["message"] == "This batch was already approved; its mails wait for the end of quiet hours."
    preview = api.get(f"/api/referrals/outreach/{batch_id}/preview", headers=cookie)
    assert preview.text.count("held until 08:00 (quiet hours)") == 2

    # 08:00: the notifier's schedules hand the mails back, and the page says they went.
    events = function("notify-events")
    for schedule in client("scheduler").list_schedules(NamePrefix="mainstreet-dev-notify-defer")["Schedules"]:
        details = client("scheduler").get_schedule(Name=schedule["Name"])
        assert details["ScheduleExpression"].endswith("T08:00:00)")
        assert events.invoke(__import__("json").loads(details["Target"]["Input"])) == {"outcome": "sent"}
    assert len(sent_mail()) == 2
    shown = api.get(f"/api/referrals/outreach/{batch_id}", headers=cookie).json()
    assert (shown["batch"]["status"], shown["batch"]["sent_count"]) == ("sent", 2)
    assert all(m["state"] == "sent" and m["message_id"] for m in shown["mails"])


def test_outreach_to_an_address_that_bounced_is_not_sent_and_says_why(api, function, staff_cookie, sent_mail):
    from ops.local import channel_events

    notice = channel_events.ses_notice("Bounce", to=["events@solare.example"], source="hello@dev.mainstreet.example", message_id="m")
    function("notify-events").invoke(channel_events.sns_event("arn:aws:sns:us-west-2:123456789012:mainstreet-dev-mailer-events", notice))
    cookie = {"cookie": staff_cookie}
    batch_id = api.post("/api/referrals/outreach", {"vendor_codes": ["solare", "puesto"]}, headers=cookie).json()["batch"]["id"]
    reply = api.post(f"/api/referrals/outreach/{batch_id}/approve", headers=cookie).json()
    states = {m["code"]: (m["status"], m["state"]) for m in reply["mails"]}
    assert states == {"solare": ("suppressed", "not sent: the address bounced before"), "puesto": ("sent", "sent")}
    assert (reply["batch"]["status"], reply["batch"]["sent_count"], reply["batch"]["suppressed_count"]) == ("partly_sent", 1, 1)
    assert [m.destinations["ToAddresses"] for m in sent_mail()] == [["catering@puesto.example"]]
    again = api.post(f"/api/referrals/outreach/{batch_id}/approve", headers=cookie).json()  # nothing more goes
    assert {m["code"]: m["status"] for m in again["mails"]} == {"solare": "suppressed", "puesto": "sent"} and len(sent_mail()) == 1
