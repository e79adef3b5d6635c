"""The desk in a real browser: held sales released and rejected, a customer enrolled at the
counter, the owner's adjustment, and the history in words."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.test_loyalty_pages import pos_sale

pytestmark = pytest.mark.browser


def test_held_sales_are_released_or_rejected_from_the_desk(local, page):
    keep, refuse = "+6595550001", "+6595550002"
    assert pos_sale(local, "E2E-HELD-1", "450.00", phone=keep).json()["decision"] == "hold_for_review"
    assert pos_sale(local, "E2E-HELD-2", "420.00", phone=refuse).json()["decision"] == "hold_for_review"
    page.goto(local.url("loyalty", "/desk/"))
    local.sign_in(page)
    kept = page.locator('[data-held="E2E-HELD-1"]')
    expect(kept).to_contain_text("The sale's total is over $400")
    expect(kept).to_contain_text("450 points")
    kept.locator("[data-release]").click()
    expect(page.locator("#held-message, #no-held").first).to_contain_text("Released: 450 points by Owner")
    expect(page.locator('[data-held="E2E-HELD-1"]')).to_have_count(0)

    page.once("dialog", lambda dialog: dialog.accept("Staff discount sale"))
    page.locator('[data-held="E2E-HELD-2"] [data-reject]').click()
    expect(page.locator('[data-held="E2E-HELD-2"]')).to_have_count(0)

    page.fill("#phone", "+65 9555 0001")
    page.click("#lookup button")
    expect(page.locator("#balance")).to_have_text("450")
    expect(page.locator("#history")).to_contain_text("Held sale E2E-HELD-1 released by Owner")
    page.fill("#phone", "+65 9555 0002")
    page.click("#lookup button")
    expect(page.locator("#balance")).to_have_text("0")


def test_enrol_redeem_adjust_and_the_history_in_words(local, page):
    page.goto(local.url("loyalty", "/desk/"))
    local.sign_in(page)
    page.click("details.card summary")
    page.fill("#enrol-phone", "+65 9555 0003")
    page.fill("#enrol-name", "Gus")
    page.click("#enrol button[type=submit]")
    expect(page.locator("#enrol [data-error-for=consent]")).to_be_visible()  # the customer's consent is not assumed
    page.check("#enrol-consent")
    page.click("#enrol button[type=submit]")
    expect(page.locator("#enrol-message")).to_contain_text("Enrolled by Owner")
    expect(page.locator("#member-phone")).to_have_text("+65 9555 0003")
    expect(page.locator("#history")).to_contain_text("Enrolled at the counter by Owner")

    assert pos_sale(local, "E2E-GUS-1", "120.00", phone="+6595550003").status == 200
    page.click("#lookup button")
    expect(page.locator("#balance")).to_have_text("120")
    page.click('[data-redeem="free-drink"]')
    expect(page.locator("#desk-message")).to_contain_text("New balance 20")
    expect(page.locator("#history li").first).to_contain_text("Free drink — redeemed by Owner")

    page.fill("#adjust-points", "-5")
    page.fill("#adjust-reason", "Scanned twice")
    page.click("#adjust button[type=submit]")
    expect(page.locator("#balance")).to_have_text("15")
    expect(page.locator("#history li").first).to_contain_text("Adjusted by Owner: Scanned twice")


def test_a_member_moves_to_a_new_number_at_the_desk(local, page):
    assert pos_sale(local, "E2E-HAL-1", "60.00", phone="+6595550004").status == 200
    page.goto(local.url("loyalty", "/desk/"))
    local.sign_in(page)
    page.fill("#phone", "+65 9555 0004")
    page.click("#lookup button")
    expect(page.locator("#balance")).to_have_text("60")
    page.fill("#details-new-phone", "+65 9555 0005")
    page.fill("#details-reason", "Lost her phone")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#details button[type=submit]")
    expect(page.locator("#member-phone")).to_have_text("+65 9555 0005")
    expect(page.locator("#balance")).to_have_text("60")
    expect(page.locator("#history li").first).to_contain_text("Moved from +65 9555 0004 by Owner: Lost her phone")
