"""The referral staff pages in a real browser against local mode: the outreach form says what is
wrong next to what is wrong, and nothing is prepared until it is right."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_the_outreach_form_shows_each_problem_next_to_its_field(local, page):
    page.goto(local.url("ops", "/referrals/outreach/"))
    local.sign_in(page)
    expect(page.locator("#new-batch")).to_be_visible()
    batches = page.locator("#batches tr").count()
    for box in page.locator("input[name=vendor]").all():
        box.uncheck()
    page.fill("#subject", " \t ")
    page.click("#new-batch button[type=submit]")

    expect(page.locator("#subject-error")).to_have_text("Please fill in the subject.")
    expect(page.locator("#vendors-error")).to_have_text("Please choose at least one vendor to write to.")
    expect(page.locator("#note-error")).to_be_hidden()
    expect(page.locator("#form-error")).to_be_hidden()
    expect(page.locator("#subject")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#subject")).to_be_focused()
    assert page.locator("#batches tr").count() == batches  # nothing prepared

    page.fill("#subject", "Your link to us")
    page.fill("#note", "Bell\u0007")
    page.click("#new-batch button[type=submit]")
    expect(page.locator("#note-error")).to_have_text("Please use only letters, digits, spaces and punctuation.")
    expect(page.locator("#subject-error")).to_be_hidden()
    expect(page.locator("#subject")).not_to_have_attribute("aria-invalid", "true")

    page.fill("#note", "")
    page.check('input[value="solare"]')
    page.click("#new-batch button[type=submit]")
    expect(page.frame_locator("iframe.preview-frame").locator("article.mail")).to_have_count(1)
    expect(page.locator("#subject-error")).to_be_hidden()
    expect(page.locator("#vendors-error")).to_be_hidden()


def test_an_unknown_batch_in_the_address_says_so_and_keeps_the_form(local, page):
    page.goto(local.url("ops", "/referrals/outreach/#20260101T000000Z-00000000"))
    local.sign_in(page)
    expect(page.locator("#batch .error")).to_have_text("That outreach batch was not found.")
    expect(page.locator("#new-batch")).to_be_visible()


def test_approving_a_batch_someone_else_sent_says_so(local, page):
    cookie = local.staff_cookie()
    created = local.request("ops", "POST", "/api/referrals/outreach", headers={"Cookie": cookie},
                            body={"vendor_codes": ["puesto"], "subject": "Approved twice"})
    assert created.status == 201, created.body
    batch_id = created.json()["batch"]["id"]
    page.goto(local.url("ops", f"/referrals/outreach/#{batch_id}"))
    local.sign_in(page)
    expect(page.locator("#approve")).to_be_visible()
    expect(page.locator("#sender-name")).to_have_text("JADA Partners")
    sent_before = len(local.outbox())
    other_tab = local.request("ops", "POST", f"/api/referrals/outreach/{batch_id}/approve", headers={"Cookie": cookie})
    assert other_tab.status == 200

    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#approve")
    # (local mode runs without quiet hours in these tests: held outreach is test_referral_api.py's)
    expect(page.locator("#batch-error")).to_have_text("This batch was already approved; it is sent.")
    expect(page.locator("#batch-status")).to_have_text("sent")
    expect(page.locator('#mail-states [data-code="puesto"] .state')).to_have_text("sent")
    assert len(local.outbox()) - sent_before == 1
    [mail] = [m for m in local.outbox()[sent_before:]]
    assert "JADA Partners" in mail["from"] and mail["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
