"""The outbox in local mode: a booking's mail and text land in it, and its buttons try suppression
by hand through the path AWS would take (SES's bounce and a reply STOP, published to the
notifier's topics, reach notify-events, which suppresses the contact for every system)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import DAY

pytestmark = pytest.mark.browser


def book(local, email: str, phone: str) -> None:
    answer = local.request("dispatch", "POST", "/api/bookings", body={
        "name": "Rosa Delgado", "phone": phone, "email": email, "address": "4140 Soderblom Ave, San Diego",
        "items": "A fridge and a washer", "preferred_date": DAY, "window": "morning", "texts": True})
    assert answer.status == 201, answer.body


def entries(local, channel: str, to: str) -> list[dict]:
    return [m for m in local.outbox() if m["channel"] == channel and m["to"] == to]


def press(local, page, channel: str, to: str, button: str, done: str) -> None:
    page.goto(f"http://localhost:{local.port}/_local/outbox")
    entry = page.locator(f"article[data-channel={channel}]", has=page.locator(".to", has_text=to)).first
    entry.get_by_role("button", name=button).click()
    # Back on the outbox, the entry says what was played back and what the notifier made of it.
    reply = page.locator(f"article[data-channel={channel}]", has=page.locator(".to", has_text=to)).first.locator(".reply")
    expect(reply).to_contain_text(done)


def message_rows(local, contact: str | None = None) -> list[dict]:
    """The notifier's message rows (to `contact`), from its table on DynamoDB Local."""
    import boto3

    dynamodb = boto3.client("dynamodb", endpoint_url=local.index["aws_endpoints"]["dynamodb"], region_name=local.index["region"],
                            aws_access_key_id="local", aws_secret_access_key="local")
    table = next(t for t in local.index["tables"] if t.endswith("-notifications"))
    items = dynamodb.scan(TableName=table, ConsistentRead=True)["Items"]
    return [i for i in items if i["pk"]["S"].startswith("MSG#") and contact in (None, i.get("contact", {}).get("S"))]


def test_a_mail_is_accepted_before_its_sender_answers_and_a_bounce_stops_the_next(local, page):
    """Staff invitations go through the notifier: SES's Send event has marked the mail's row
    accepted by the time the request answers; once bounced, the next invitation is not mailed."""
    email = "pat.bounces@example.com"
    cookie = local.staff_cookie()
    made = local.request("ops", "POST", "/api/staff", headers={"Cookie": cookie}, body={"email": email, "name": "Pat", "roles": ["dispatch"]})
    assert made.status == 201, made.body
    account = made.json()["account"]["id"]
    again = local.request("ops", "POST", f"/api/staff/{account}/invite", headers={"Cookie": cookie})
    assert again.status == 200, again.body
    [row] = message_rows(local, email)
    assert row["state"]["S"] == "sent" and "accepted_at" in row
    ours = [m for m in local.outbox() if m["to"] == email and m.get("configuration_set")]  # not Cognito's own invitation
    assert len(ours) == 1 and ours[0]["tags"] == {"message": row["pk"]["S"].removeprefix("MSG#")}

    press(local, page, "email", email, "Bounce", "Bounced")
    again = local.request("ops", "POST", f"/api/staff/{account}/invite", headers={"Cookie": cookie})
    assert again.status == 200, again.body
    assert [m["id"] for m in local.outbox() if m["to"] == email and m.get("configuration_set")] == [ours[0]["id"]]
    # The notifier recorded it suppressed (its row names no contact: found by why and what).
    suppressed = [r for r in message_rows(local) if r["state"]["S"] == "suppressed" and r["why"]["S"] == "bounce"
                  and (r["system"]["S"], r["template"]["S"]) == ("staff", "invitation")]
    assert len(suppressed) == 1


def test_a_bounced_address_gets_no_more_mail_and_a_stopped_phone_no_more_texts(local, page):
    email, phone, other_phone = "rosa.bounces@example.com", "+16195550171", "+16195550172"
    book(local, email, phone)
    mail = local.mails(lambda m: m["channel"] == "email" and m["to"] == email)[0]
    text = local.mails(lambda m: m["channel"] == "sms" and m["to"] == phone)[0]
    assert text["from"] == "+18885550100" and text["text"].startswith("QuickDumpNow: ")
    assert (text["subject"], text["html"], text["attachments"]) == ("", "", [])
    assert mail["from"].startswith("QuickDumpNow") and mail["attachments"] == []

    press(local, page, "email", email, "Bounce", "Bounced")
    expect(page.locator("article[data-channel=email]", has=page.locator(".to", has_text=email)).first.locator(".reply")).to_contain_text("bounce")
    # Booked again with the bounced address (and another phone): the text goes, the mail does not.
    book(local, email, other_phone)
    local.mails(lambda m: m["channel"] == "sms" and m["to"] == other_phone)  # the booking's messages were decided
    assert len(entries(local, "email", email)) == 1

    press(local, page, "sms", phone, "Reply STOP", "Replied STOP")
    # Booked again with the stopped phone (and a new address): the mail goes, the text does not.
    book(local, "rosa.new@example.com", phone)
    local.mails(lambda m: m["channel"] == "email" and m["to"] == "rosa.new@example.com")
    assert len(entries(local, "sms", phone)) == 1
