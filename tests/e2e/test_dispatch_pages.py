"""Dispatch in a real browser against local mode: book, track, drag a card, watch the tracking
page change, and find the customer's mails in the outbox."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

DAY = (datetime.now(ZoneInfo("America/Los_Angeles")).date() + timedelta(days=3)).isoformat()


def book_in_browser(local, page, name="Mark Ortiz", email="mark@example.com", phone="+1 619 555 0142", texts=False) -> tuple[str, str]:
    page.goto(local.url("dispatch", "/book/"))
    page.fill("#name", name)
    page.fill("#phone", phone)
    if texts:
        page.check("#texts")
    page.fill("#email", email)
    page.fill("#address", "4140 Soderblom Ave, San Diego")
    page.fill("#items", "An old sofa and two mattresses")
    page.fill("#preferred_date", DAY)
    page.select_option("#window", "morning")
    page.click("#booking button[type=submit]")
    link = page.locator("#tracking-link")
    expect(link).to_be_visible()
    return page.locator("#job-id").inner_text(), link.get_attribute("href")


def sign_in(local, page, path="/dashboard/"):
    page.goto(local.url("dispatch", path))
    local.sign_in(page)


def test_book_track_drag_and_watch_the_tracking_page_change(local, new_page):
    customer, tracker, dispatcher = (new_page() for _ in range(3))
    job_id, tracking_url = book_in_browser(local, customer, email="watch@example.com")
    assert re.match(rf"^http://dispatch\.localhost:{local.port}/track/[A-Za-z0-9_-]{{32}}$", tracking_url)

    tracker.goto(tracking_url)
    expect(tracker.locator("#status")).to_have_text("Booked")
    expect(tracker.locator(".steps li.current")).to_have_text("Booked")

    sign_in(local, dispatcher)
    card = dispatcher.locator(f'.job[data-job="{job_id}"]')
    expect(card).to_be_visible()
    expect(card.locator("xpath=ancestor::section")).to_have_attribute("data-status", "pending_pickup")
    dispatcher.drag_and_drop(f'.job[data-job="{job_id}"]', '.column[data-status="ready_for_pickup"]')
    moved = dispatcher.locator(f'.column[data-status="ready_for_pickup"] .job[data-job="{job_id}"]')
    expect(moved).to_be_visible()
    expect(moved.locator(".last-change")).to_contain_text("moved to Ready for pickup by Owner")

    # The open tracking page updates itself, no reload.
    expect(tracker.locator("#status")).to_have_text("Ready for pickup")
    expect(tracker.locator(".steps li.done")).to_have_text("Booked")

    mails = local.mails(lambda m: m["to"] == "watch@example.com", count=2)
    assert [m["subject"] for m in mails] == [f"Your pickup is booked ({job_id})", f"Your pickup {job_id}: Ready for pickup"]
    assert all(tracking_url in m["text"] for m in mails)
    # The mail's link opens the tracking page.
    customer.goto(f"http://localhost:{local.port}/_local/outbox")
    link = customer.locator("article.mail", has_text=f"{job_id}: Ready for pickup").locator("pre.text a").first
    link.scroll_into_view_if_needed()  # the mails' frames settle the layout as they load
    link.click()
    expect(customer).to_have_url(tracking_url)
    expect(customer.locator("#status")).to_have_text("Ready for pickup")


def test_a_customer_who_ticked_texts_gets_a_text_and_a_mail_in_dispatchs_name(local, page):
    page.goto(local.url("dispatch", "/book/"))
    expect(page.locator("header [data-system-name]")).to_have_text("QuickDumpNow")  # names.dispatch, not the charter company
    job_id, tracking_url = book_in_browser(local, page, email="texts@example.com", phone="(619) 555-0177", texts=True)
    [text] = local.mails(lambda m: m.get("channel") == "sms" and "+16195550177" in str(m["to"]))
    assert text["text"].startswith(f"QuickDumpNow: Pickup {job_id} booked") and text["text"].endswith(tracking_url), text
    assert len(text["text"]) <= 160
    [mail] = local.mails(lambda m: m["to"] == "texts@example.com")
    assert mail["from"].startswith("QuickDumpNow <") and mail["text"].rstrip().endswith("QuickDumpNow")
    # Without the box ticked, no text: once the mail is in the outbox, its one notify() call is over.
    job_id, _ = book_in_browser(local, page, email="no-texts@example.com", phone="(619) 555-0178")
    local.mails(lambda m: m["to"] == "no-texts@example.com")
    assert not [m for m in local.outbox() if "+16195550178" in str(m["to"])]


def test_the_dispatcher_who_lost_the_race_is_told(local, new_page):
    customer, dispatcher = new_page(), new_page()
    job_id, _ = book_in_browser(local, customer, email="race@example.com")
    sign_in(local, dispatcher)
    expect(dispatcher.locator(f'.job[data-job="{job_id}"]')).to_be_visible()
    # Another dispatcher cancels the job first, through the same API.
    cookie = local.staff_cookie("dispatch")
    moved = local.request("dispatch", "POST", f"/api/jobs/{job_id}/status", headers={"Cookie": cookie},
                          body={"from": "pending_pickup", "to": "cancelled"})
    assert moved.status == 200
    dispatcher.drag_and_drop(f'.job[data-job="{job_id}"]', '.column[data-status="ready_for_pickup"]')
    expect(dispatcher.locator("#banner")).to_contain_text("Someone else moved this job first: it is now Cancelled")
    expect(dispatcher.locator(f'.column[data-status="cancelled"] .job[data-job="{job_id}"]')).to_be_visible()


def test_the_booking_form_shows_each_field_error_from_the_api(local, page):
    page.goto(local.url("dispatch", "/book/"))
    page.fill("#name", "Mark")
    page.fill("#phone", "call me")
    page.fill("#email", "mark-at-example")
    page.click("#booking button[type=submit]")
    expect(page.locator('[data-error-for="phone"]')).to_contain_text("phone number")
    expect(page.locator('[data-error-for="email"]')).to_contain_text("e-mail")
    expect(page.locator('[data-error-for="address"]')).to_be_visible()
    expect(page.locator('[data-error-for="name"]')).to_be_hidden()
    expect(page.locator("#phone")).to_have_attribute("aria-invalid", "true")


def test_a_bad_tracking_link_says_so(local, page):
    page.goto(local.url("dispatch", "/track/not-a-real-link"))
    expect(page.locator("h1")).to_have_text("We could not find that pickup")


def test_booking_and_tracking_work_on_a_phone(local, phone):
    job_id, tracking_url = book_in_browser(local, phone, email="phone@example.com")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.goto(tracking_url)
    expect(phone.locator("#status")).to_have_text("Booked")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390


def test_the_board_moves_cards_on_a_phone_with_the_card_menu(local, phone, new_page):
    customer = new_page()
    job_id, _ = book_in_browser(local, customer, email="menu@example.com")
    sign_in(local, phone)
    card = phone.locator(f'.job[data-job="{job_id}"]')
    expect(card).to_be_visible()
    card.locator("select").select_option("ready_for_pickup")
    expect(phone.locator(f'.column[data-status="ready_for_pickup"] .job[data-job="{job_id}"]')).to_be_visible()


def test_the_add_job_form_shows_each_field_error_next_to_its_field(local, page):
    sign_in(local, page)
    page.click(".new-job summary")
    page.fill("#nj-name", "Ana Reyes")
    page.fill("#nj-phone", "1234567")
    page.fill("#nj-price", "ninety")
    page.click("#new-job button[type=submit]")
    # The price is checked here (it is typed in dollars), before anything is sent.
    expect(page.locator('#new-job [data-error-for="price_cents"]')).to_have_text("Please give the price in dollars, like 95 or 95.50.")
    expect(page.locator("#nj-price")).to_have_attribute("aria-invalid", "true")
    page.fill("#nj-price", "95.50")
    page.click("#new-job button[type=submit]")
    expect(page.locator('#new-job [data-error-for="phone"]')).to_contain_text("That is not a phone number we can call")
    expect(page.locator('#new-job [data-error-for="address"]')).to_have_text("Please fill in the pickup address.")
    expect(page.locator('#new-job [data-error-for="preferred_date"]')).to_have_text("Please fill in the pickup day.")
    expect(page.locator('#new-job [data-error-for="price_cents"]')).to_be_hidden()
    expect(page.locator('#new-job [data-error-for="name"]')).to_be_hidden()
    expect(page.locator("#nj-phone")).to_have_attribute("aria-invalid", "true")

    page.fill("#nj-phone", "(415) 555-0134")
    page.fill("#nj-address", "12 Pier Rd, San Diego")
    page.fill("#nj-items", "A piano")
    page.fill("#nj-date", "9999-12-31")  # checked once the rest is right: the day's range depends on today
    page.click("#new-job button[type=submit]")
    expect(page.locator('#new-job [data-error-for="preferred_date"]')).to_have_text("We take bookings up to 365 days ahead.")
    expect(page.locator('#new-job [data-error-for="phone"]')).to_be_hidden()

    page.fill("#nj-date", DAY)
    page.click("#new-job button[type=submit]")
    card = page.locator(".job", has_text="Ana Reyes")
    expect(card).to_contain_text("$95.50")
    expect(card.locator('a[href="tel:+14155550134"]')).to_have_text("(415) 555-0134")
    expect(page.locator("#new-job .field-error:visible")).to_have_count(0)
