"""My points in a real browser on a phone: a one-time code from the outbox opens the member's own
points; a reward mail's personal link opens them too, and leaves no token in the address bar."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.test_loyalty_pages import pos_sale

pytestmark = pytest.mark.browser


def no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "the page scrolls sideways"


def test_a_member_sees_their_points_with_a_code_texted_to_them(local, phone):
    number = "+6594440001"
    local.request("loyalty", "POST", "/api/members", body={"phone": number, "name": "Eve"})
    assert pos_sale(local, "E2E-PTS-1", "130.00", phone=number).status == 200
    phone.goto(local.url("loyalty", "/points/"))
    expect(phone.locator("header [data-system-name]")).to_have_text("Harbor Bean Café")
    phone.fill("#phone", "+65 9444 0001")
    phone.click("#ask button[type=submit]")
    expect(phone.locator("#sent")).to_contain_text("If this number is a member, a code is on its way")
    [text] = local.mails(lambda m: m["channel"] == "sms" and m["to"] == number and "code" in m["text"])
    phone.fill("#code", "000000" if "000000" not in text["text"] else "111111")
    phone.click("#verify button[type=submit]")
    expect(phone.locator("#verify-error")).to_contain_text("That code is not right")
    phone.fill("#code", re.search(r"\b(\d{6})\b", text["text"]).group(1))
    phone.click("#verify button[type=submit]")
    expect(phone.locator("#balance")).to_have_text("130")
    expect(phone.locator("#tier")).to_have_text("Free drink")
    expect(phone.locator("#next")).to_have_text("50 more points for Two pastries.")
    expect(phone.locator("#rewards li").first).to_contain_text("ready: ask at the counter")
    expect(phone.locator("#visits tr")).to_have_count(1)
    expect(phone.locator("#visits")).to_contain_text("+130 points")
    no_sideways_scroll(phone)

    phone.fill("#d-name", "Evie")
    phone.click("#details button[type=submit]")
    expect(phone.locator("#details-message")).to_have_text("Saved.")
    expect(phone.locator("#d-name")).to_have_value("Evie")


def test_a_stranger_hears_the_same_and_no_code_goes_anywhere(local, phone):
    before = len(local.outbox())
    phone.goto(local.url("loyalty", "/points/"))
    phone.fill("#phone", "+65 9444 0999")
    phone.click("#ask button[type=submit]")
    expect(phone.locator("#sent")).to_contain_text("If this number is a member, a code is on its way")
    assert not [m for m in local.outbox()[before:] if m["to"] == "+6594440999"]


def test_a_reward_mails_personal_link_opens_the_members_points(local, phone):
    number = "+6594440002"
    local.request("loyalty", "POST", "/api/members", body={"phone": number, "name": "Fay", "email": "fay.e2e@example.com"})
    confirm = re.search(r"/confirm/#t=([A-Za-z0-9_.-]+)", local.mails(lambda m: m["to"] == "fay.e2e@example.com")[-1]["text"]).group(1)
    assert local.request("loyalty", "POST", "/api/confirm", body={"token": confirm}).status == 200
    assert pos_sale(local, "E2E-PTS-2", "110.00", phone=number).json()["decision"] == "add_and_reward"
    reward = local.mails(lambda m: m["to"] == "fay.e2e@example.com" and "is ready" in m["subject"])[-1]
    link = re.search(r"http://loyalty\.localhost:\d+/points/#t=[A-Za-z0-9_.-]+", reward["text"]).group(0)
    phone.goto(link)
    expect(phone.locator("#balance")).to_have_text("110")
    assert "#t=" not in phone.url  # the token left the address bar
    no_sideways_scroll(phone)
