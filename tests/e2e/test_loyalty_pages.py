"""Loyalty through local mode in a real browser: sign up, confirm from the outbox, a signed POS
sale earns points, redeem at the desk, reverse it."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PHONE = "+6591112222"


def pos_sale(local, sale_id: str, total: str, phone: str = PHONE):
    raw = json.dumps({"sale_id": sale_id, "phone": phone, "total": total, "items": [], "occurred_at": "2026-11-22T10:00:00+08:00"})
    stamp = str(int(time.time()))
    secret = local.index["credentials"]["pos_hmac_secret"]
    signature = "sha256=" + hmac.new(secret.encode(), f"{stamp}.{raw}".encode(), hashlib.sha256).hexdigest()
    return local.request("loyalty", "POST", "/api/pos/sales", body=raw.encode(),
                         headers={"Content-Type": "application/json", "X-Timestamp": stamp, "X-Signature": signature})


def sender_name(mail: dict) -> str:
    """The display name of a mail's From (RFC 2047-encoded when it is not ASCII: "Café")."""
    from email.header import decode_header, make_header
    from email.utils import parseaddr

    return str(make_header(decode_header(parseaddr(mail["from"])[0])))


def test_sign_up_confirm_earn_redeem_and_reverse(local, page):
    page.goto(local.url("loyalty", "/"))
    expect(page.locator("header [data-system-name]")).to_have_text("Harbor Bean Café")  # the café's name, not the stack's
    expect(page.locator("h1")).to_have_text("Join Harbor Bean Café rewards")
    # The program from the owner's rules.txt, in words.
    expect(page.locator("#ladder li")).to_have_text(["100 points — Free drink", "180 points — Two pastries", "300 points — Bag of house beans"])
    expect(page.locator("#earning")).to_contain_text("1 point for every dollar you spend on a visit of $3 or more")
    page.fill("#name", "Ana")
    page.fill("#phone", "+65 9111 2222")
    page.fill("#email", "ana.e2e@example.com")
    page.click("#signup button[type=submit]")
    expect(page.locator("#joined-message")).to_contain_text("look for our mail")

    mail = local.mails(lambda m: m["to"] == "ana.e2e@example.com")[-1]
    assert sender_name(mail) == "Harbor Bean Café" and mail["subject"] == "Confirm your e-mail for Harbor Bean Café rewards"
    confirm = re.search(r"http://loyalty\.localhost:\d+/confirm/#t=\S+", mail["text"]).group(0)
    page.goto(confirm)
    expect(page.locator("#outcome")).to_have_text("Your e-mail is confirmed")

    earned = pos_sale(local, "E2E-1", "150.00")
    assert earned.status == 200, earned.body
    assert earned.json() == {"member_id": PHONE, "decision": "add_and_reward", "points_added": 150, "balance": 150}
    assert pos_sale(local, "E2E-1", "150.00").json() == earned.json()  # the till retries: credited once
    assert pos_sale(local, "E2E-2", "150.00", phone=PHONE).status == 200
    stale = local.request("loyalty", "POST", "/api/pos/sales", body=b"{}", headers={"X-Timestamp": "1", "X-Signature": "sha256=00"})
    assert stale.status == 401

    page.goto(local.url("loyalty", "/desk/"))
    local.sign_in(page)
    expect(page.locator("header [data-system-name]")).to_have_text("Harbor Bean Café")
    page.fill("#phone", "+65 9111-2222")  # read on the server, whatever the spacing
    page.click("#lookup button")
    expect(page.locator("#balance")).to_have_text("300")
    expect(page.locator("#member-phone")).to_have_text("+65 9111 2222")  # not in the shop's country: international
    page.click('[data-redeem="beans-bag"]')
    expect(page.locator("#desk-message")).to_contain_text("New balance 0")
    expect(page.locator("#desk-message")).to_contain_text("Redeemed by Owner")  # the signed-in person's name
    expect(page.locator("#balance")).to_have_text("0")
    expect(page.locator('[data-reward="free-drink"] button')).to_have_count(0)  # nothing claimable at 0

    page.once("dialog", lambda dialog: dialog.accept("Wrong member"))
    page.click("[data-reverse]")
    expect(page.locator("#desk-message")).to_contain_text("the points are back")
    expect(page.locator("#balance")).to_have_text("300")
    expect(page.locator("td", has_text="reversed")).to_be_visible()
    expect(page.locator(".reversed-by")).to_contain_text("reversed by Owner")


def test_the_reward_mail_goes_out_through_the_bus(local):
    phone = "+6593334444"
    local.request("loyalty", "POST", "/api/members", body={"phone": phone, "name": "Bo", "email": "bo.e2e@example.com"})
    assert pos_sale(local, "E2E-BO-1", "120.00", phone=phone).json()["decision"] == "add_and_reward"
    rewarded = local.mails(lambda m: m["to"] == "bo.e2e@example.com" and "is ready" in m["subject"])
    # Bo never tapped the confirmation link: the name the form was given is not repeated to the address.
    assert rewarded[0]["subject"] == "There, your Free drink is ready"
    assert sender_name(rewarded[0]) == "Harbor Bean Café" and rewarded[0]["text"].rstrip().endswith("Harbor Bean Café")
    assert not [m for m in local.outbox() if m["channel"] == "sms" and m["to"] == phone]  # Bo did not ask for texts


def test_the_sign_up_form_with_a_members_number_says_what_any_sign_up_hears_and_changes_nothing(local, page):
    phone = "+6593335555"
    local.request("loyalty", "POST", "/api/members", body={"phone": phone, "name": "Cy", "email": "cy.e2e@example.com"})
    confirm = re.search(r"/confirm/#t=(\S+)", local.mails(lambda m: m["to"] == "cy.e2e@example.com")[-1]["text"]).group(1)
    assert local.request("loyalty", "POST", "/api/confirm", body={"token": confirm}).status == 200
    page.goto(local.url("loyalty", "/"))
    page.fill("#name", "Mallory")
    page.fill("#phone", "+65 9333 5555")
    page.fill("#email", "mallory.e2e@example.com")
    page.click("#signup button[type=submit]")
    expect(page.locator("#joined-message")).to_have_text(
        "Thanks! Give your number at the counter and your points add up. "
        "If you gave an e-mail address, look for our mail and tap its link to confirm it.")
    told = local.mails(lambda m: m["to"] == "cy.e2e@example.com" and "Someone used your number" in m["subject"])
    assert "Mallory" not in told[-1]["text"]
    assert not [m for m in local.outbox() if m["to"] == "mallory.e2e@example.com"]


def test_a_member_who_ticked_texts_gets_the_reward_as_a_text_too(local, page):
    page.goto(local.url("loyalty", "/"))
    page.fill("#name", "Di")
    page.fill("#phone", "(415) 555-0177")
    page.check("#texts")
    page.click("#signup button[type=submit]")
    expect(page.locator("#joined")).to_be_visible()
    assert pos_sale(local, "E2E-DI-1", "120.00", phone="415-555-0177").json()["decision"] == "add_and_reward"
    [text] = local.mails(lambda m: m["channel"] == "sms" and m["to"] == "+14155550177")
    assert text["text"] == "Harbor Bean Café: There, your Free drink is ready"


def test_sign_up_and_the_desk_work_on_a_phone(local, phone):
    phone.goto(local.url("loyalty", "/"))
    phone.fill("#name", "Cy")
    phone.fill("#phone", "(415) 555-0166")  # the way people in the shop's country (US) write it
    phone.click("#signup button[type=submit]")
    expect(phone.locator("#joined")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    assert pos_sale(local, "E2E-CY-1", "120.00", phone="415-555-0166").status == 200
    phone.goto(local.url("loyalty", "/desk/"))
    local.sign_in(phone)
    phone.fill("#phone", "+1 415 555 0166")
    phone.click("#lookup button")
    expect(phone.locator("#balance")).to_have_text("120")
    expect(phone.locator("#member-phone")).to_have_text("(415) 555-0166")
    lookups = []
    phone.on("request", lambda r: lookups.append(r.url) if "/api/members" in r.url else None)
    phone.click("#lookup button")
    expect(phone.locator("#balance")).to_have_text("120")
    assert lookups and all(url.endswith("/api/members/lookup") for url in lookups)  # the number stays out of the URL
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
