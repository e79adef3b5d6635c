"""Charters through local mode in a real browser: a marketplace booking with the service key,
the guest page on the brand host, a crew member's magic link from the outbox."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import DAY, post_booking

pytestmark = pytest.mark.browser

def crew_link(local, external_id: str) -> str:
    mail = local.mails(lambda m: m["to"] == f"sam+{external_id.lower()}@crew.example")[-1]
    return re.search(r"http://ops\.localhost:\d+/crew/#t=\S+", mail["text"]).group(0)


def test_the_service_key_reaches_the_intake_through_the_front_door(local):
    assert post_booking(local, "BS-E2E-0", key="wrong").status == 401
    answer = post_booking(local, "BS-E2E-1")
    assert answer.status == 201, answer.body
    again = post_booking(local, "BS-E2E-1")
    assert again.status == 200 and again.json() == answer.json()


def test_guest_page_on_the_brand_host_and_crew_link_from_the_outbox(local, page):
    answer = post_booking(local, "BS-E2E-2").json()
    assert answer["guest_url"] == local.url("brand", f"/g/{answer['guest_code']}")
    page.goto(answer["guest_url"])
    expect(page.locator("h1")).to_have_text("See you aboard, Dana")
    expect(page.locator("#meeting-point")).to_have_text("Dock A, Harbor Island West Marina")
    body = page.locator("body").inner_text()
    assert "840" not in body and "crew.example" not in body
    page.goto(answer["guest_url"].lower())  # codes read from paper come in any case
    expect(page.locator("#date")).to_have_text(DAY)

    page.goto(crew_link(local, "BS-E2E-2"))
    expect(page.locator("h1")).to_have_text(f"Charter on {DAY}")
    page.click("#acknowledge")
    expect(page.locator("#ack")).to_contain_text("Confirmed")
    page.check('input[data-item="Life jackets counted"]')
    expect(page.locator('input[data-item="Life jackets counted"]')).to_be_checked()
    page.reload()
    expect(page.locator('input[data-item="Life jackets counted"]')).to_be_checked()
    expect(page.locator('input[data-item="Deck clean"]')).not_to_be_checked()
    expect(page.locator("#ack")).to_contain_text("Confirmed")
    assert "840" not in page.locator("body").inner_text()


def test_the_charter_pages_and_mails_speak_with_the_charter_companys_name(local, page):
    answer = post_booking(local, "BS-E2E-4").json()
    page.goto(answer["guest_url"])
    expect(page.locator("header.hero p")).to_have_text("Queen of San Diego Charters")  # names.charters
    page.goto(local.url("brand", "/"))
    expect(page.locator("[data-business]")).to_have_text("Queen of San Diego Charters")
    mail = local.mails(lambda m: m["to"] == "sam+bs-e2e-4@crew.example")[-1]
    assert mail["from"].startswith("Queen of San Diego Charters <") and mail["text"].rstrip().endswith("Queen of San Diego Charters")


def test_a_withdrawn_or_altered_link_says_so(local, page):
    answer = post_booking(local, "BS-E2E-3").json()
    link = crew_link(local, "BS-E2E-3")
    page.goto(link[:-4] + "AAAA")
    expect(page.locator("#problem")).to_have_text("This link is not valid")
    cookie = local.staff_cookie("ops")
    assert local.request("ops", "POST", f"/api/charters/events/{answer['event_id']}/crew/c1/revoke", headers={"Cookie": cookie}).status == 200
    page.goto("about:blank")
    page.goto(link)
    expect(page.locator("#problem")).to_have_text("This link no longer works")


def test_a_made_up_guest_code_is_a_404_page(local):
    answer = local.request("brand", "GET", "/g/ZZZZZZZZZ")
    assert answer.status == 404 and b"could not find" in answer.body
