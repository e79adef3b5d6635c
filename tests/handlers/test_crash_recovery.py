"""Every fan-out finishes, exactly once, after a crash (issue 10), through the real handlers on moto.

A worker "dies" by raising `Died`, a BaseException: nothing after that point runs, not even the
release a failing step gets, just as when Lambda kills a process at its timeout. Then the
handler is retried, as its caller would (marketplace, stream, staff, Lambda's async retry), with
the claims' clock moved past the lease when the dead worker's claim has to lapse; at the end
each side effect has happened exactly once.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from handlers.shared import claims
from handlers.shared.aws import client
from ops import harness


class Died(BaseException):
    """The process was killed here."""


class Clock:
    def __init__(self):
        self.at = time.time()

    def __call__(self) -> float:
        return self.at

    def past_the_lease(self) -> None:
        self.at += claims.LEASE_S + 1


@pytest.fixture
def clock(monkeypatch):
    ticking = Clock()
    monkeypatch.setattr(claims, "now", ticking)
    return ticking


@pytest.fixture
def mail_dies(monkeypatch):
    """mail_dies("a@b") → the next mail to that address kills the worker instead of going."""
    from handlers.shared import mail

    real, doomed = mail.send, []

    def send(**kwargs):
        if kwargs["to"] in doomed:
            doomed.remove(kwargs["to"])
            raise Died(kwargs["to"])
        return real(**kwargs)

    monkeypatch.setattr(mail, "send", send)
    return doomed.append


def recipients(sent_mail) -> Counter:
    return Counter(d for m in sent_mail() for d in m.destinations["ToAddresses"])


# -- charters: intake's guest page, crew mails and ops mail ------------------------------------

CHARTER = {
    "source": "boatsetter", "external_id": "BS-CRASH-1",
    "date": (datetime.now(ZoneInfo("America/Los_Angeles")).date() + timedelta(days=10)).isoformat(),
    "start_time": "17:30", "duration_hours": 3, "guest_name": "Dana Whitfield", "guest_email": "dana@example.com",
    "guest_count": 6, "gross_revenue": "840.75",
    "crew": [{"name": "Sam Rivera", "email": "sam@crew.example", "role": "captain"},
             {"name": "Ada Chen", "email": "ada@crew.example", "role": "deckhand"}],
}
CHARTER_MAIL = ["sam@crew.example", "ada@crew.example", "ops@dev.mainstreet.example"]


@pytest.mark.parametrize("dies_at", ["guest page", *CHARTER_MAIL])
def test_a_charter_intake_killed_at_any_step_finishes_every_step_once(function, sent_mail, mail_dies, clock, monkeypatch, dies_at):
    intake = function("charter-intake")
    real_publish, published, doomed = intake.module.publish_guest_page, [], [dies_at == "guest page"]

    def publish(event):
        if doomed[0]:
            doomed[0] = False
            raise Died("guest page")
        real_publish(event)
        published.append(event["event_id"])

    monkeypatch.setattr(intake.module, "publish_guest_page", publish)
    if dies_at != "guest page":
        mail_dies(dies_at)

    def book():
        return intake.post("/api/bookings", CHARTER, headers={"x-api-key": harness.TEST_SERVICE_KEY}, host="ops.example.test")

    with pytest.raises(Died):
        book()
    early = book()  # the marketplace retries at once: the dead worker's step is still under its lease
    assert early.status == 503 and early.json()["error"] == "in_progress" and early.headers["Retry-After"] == str(claims.LEASE_S)
    clock.past_the_lease()
    answers = [book(), book()]
    assert [a.status for a in answers] == [200, 200] and answers[0].json() == answers[1].json()
    assert len(published) == 1
    pages = client("s3").list_objects_v2(Bucket="mainstreet-dev-brand-site-123456789012", Prefix="g/")["Contents"]
    assert [p["Key"] for p in pages] == [f"g/{answers[0].json()['guest_code'].lower()}.html"]
    assert recipients(sent_mail) == Counter(CHARTER_MAIL)


# -- dispatch: the notifier on the jobs table's stream -----------------------------------------

def stream_batch(job: dict, sequence: str) -> dict:
    change = {"Keys": {"pk": job["pk"]}, "NewImage": job, "SequenceNumber": sequence, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    return {"Records": [{"eventName": "INSERT", "eventSource": "aws:dynamodb", "dynamodb": change}]}


def test_a_notifier_killed_mid_send_mails_once_on_the_streams_retry(function, sent_mail, mail_dies, clock):
    day = (datetime.now(ZoneInfo("America/Los_Angeles")).date() + timedelta(days=2)).isoformat()
    booked = function("dispatch-booking").post("/api/bookings", {
        "name": "Mark Ortiz", "phone": "+1 619 555 0142", "email": "mark@example.com", "address": "4140 Soderblom Ave, San Diego",
        "items": "Old sofa", "preferred_date": day}, host="dispatch.example.test").json()
    job = client("dynamodb").get_item(TableName="mainstreet-dev-jobs", Key={"pk": {"S": f"JOB#{booked['job_id']}"}})["Item"]
    notify = function("dispatch-notify")
    mail_dies("mark@example.com")
    with pytest.raises(Died):
        notify.invoke(stream_batch(job, "100"))
    # The dead worker's claim on the mail (the notifier's message row) holds until its lease lapses:
    # the batch retried as it was, and a replayed copy of its record, both fail their record, so
    # the stream tries them again. (Whose claim it was is not known to the notifier: a stream
    # record's retry waits out the lease like any other try.)
    assert notify.invoke(stream_batch(job, "100")) == {"batchItemFailures": [{"itemIdentifier": "100"}]}
    assert notify.invoke(stream_batch(job, "101")) == {"batchItemFailures": [{"itemIdentifier": "101"}]}
    assert sent_mail() == []
    clock.past_the_lease()  # SES never got the mail (no Send event on its row): the retry sends it
    assert notify.invoke(stream_batch(job, "100")) == {"batchItemFailures": []}
    assert notify.invoke(stream_batch(job, "101")) == {"batchItemFailures": []}
    assert [m.subject for m in sent_mail()] == [f"Your pickup is booked ({booked['job_id']})"]


# -- referrals: vendor outreach, approved by staff ---------------------------------------------

@pytest.fixture
def outreach_api(function, monkeypatch):
    """The referral API at noon in Los Angeles: outreach is marketing, which quiet hours would hold."""
    from datetime import timezone

    api = function("referral-api")
    monkeypatch.setattr(api.module, "now_utc", lambda: datetime(2026, 7, 1, 19, 0, tzinfo=timezone.utc))
    return api


def test_an_outreach_approval_killed_mid_batch_sends_each_mail_once_when_approved_again(outreach_api, staff_cookie, sent_mail, mail_dies, clock):
    api = outreach_api
    cookie = {"cookie": staff_cookie}
    created = api.post("/api/referrals/outreach", {}, headers=cookie).json()
    batch_id, addresses = created["batch"]["id"], [m["to"] for m in created["mails"]]
    mail_dies(addresses[2])
    with pytest.raises(Died):
        api.post(f"/api/referrals/outreach/{batch_id}/approve", headers=cookie)
    assert len(sent_mail()) == 2

    early = api.post(f"/api/referrals/outreach/{batch_id}/approve", headers=cookie).json()
    assert early["batch"]["status"] == "sending" and early["batch"]["sent_count"] == 6  # the dead worker's mail waits
    assert [m["status"] for m in early["mails"]].count("sending") == 1
    clock.past_the_lease()
    done = api.post(f"/api/referrals/outreach/{batch_id}/approve", headers=cookie).json()
    assert done["batch"]["status"] == "sent" and done["batch"]["sent_count"] == 7
    assert all(m["status"] == "sent" and m["message_id"] for m in done["mails"])
    again = api.post(f"/api/referrals/outreach/{batch_id}/approve", headers=cookie)
    assert again.status == 409 and again.json()["error"] == "already_approved"
    assert recipients(sent_mail) == Counter(addresses)


def test_an_outreach_mail_that_failed_is_sent_when_approved_again(outreach_api, staff_cookie, sent_mail, monkeypatch):
    from handlers.shared import mail

    api = outreach_api
    cookie = {"cookie": staff_cookie}
    created = api.post("/api/referrals/outreach", {}, headers=cookie).json()
    batch_id, addresses = created["batch"]["id"], [m["to"] for m in created["mails"]]
    real, failures = mail.send, [addresses[4]]

    def flaky(**kwargs):
        if kwargs["to"] in failures:
            failures.remove(kwargs["to"])
            raise RuntimeError("SES throttled")
        return real(**kwargs)

    monkeypatch.setattr(mail, "send", flaky)
    first = api.post(f"/api/referrals/outreach/{batch_id}/approve", headers=cookie).json()
    assert (first["batch"]["status"], first["batch"]["sent_count"], first["batch"]["failed_count"]) == ("partly_sent", 6, 1)
    second = api.post(f"/api/referrals/outreach/{batch_id}/approve", headers=cookie).json()
    assert (second["batch"]["status"], second["batch"]["sent_count"], second["batch"]["failed_count"]) == ("sent", 7, 0)
    assert recipients(sent_mail) == Counter(addresses)


# -- loyalty: reward mail from the bus ---------------------------------------------------------

def test_a_reward_mail_killed_mid_send_goes_once_on_lambdas_retry(function, sent_mail, mail_dies, clock):
    phone, ledger = "+6591234567", "mainstreet-dev-loyalty-ledger"
    client("dynamodb").put_item(TableName="mainstreet-dev-loyalty-members", Item={
        "phone": {"S": phone}, "name": {"S": "Ana Lim"}, "email": {"S": "ana@example.com"}, "opted_in": {"BOOL": False},
        "balance": {"N": "110"}, "status": {"S": "active"}})
    dispatch = function("loyalty-email-dispatch")
    event = {"version": "0", "id": "8f7c2a51-reward", "detail-type": "reward_earned", "source": "mainstreet.loyalty",
             "detail": {"phone": phone, "reward_id": "free-drink", "balance": 110}}
    mail_dies("ana@example.com")
    with pytest.raises(Died):
        dispatch.invoke(event)
    with pytest.raises(claims.InProgress):  # an error, so Lambda retries the event later
        dispatch.invoke(event)
    clock.past_the_lease()
    assert dispatch.invoke(event) == {"outcome": "sent", "channels": {"email": "sent"}}
    assert dispatch.invoke(event) == {"outcome": "sent_before", "channels": {"email": "sent_before"}}  # the bus delivered it twice
    assert recipients(sent_mail) == Counter(["ana@example.com"])
    rows = client("dynamodb").query(TableName=ledger, KeyConditionExpression="phone = :p",
                                    ExpressionAttributeValues={":p": {"S": phone}}, ConsistentRead=True)["Items"]
    assert [(r["entry"]["S"], r["reason"]["S"], r["points_change"]["N"]) for r in rows] == [
        ("mail#reward_earned#8f7c2a51-reward", "mail:reward_earned", "0")]
    assert rows[0]["day"]["S"]  # on the by-day index now that it went
