"""The charter pages say what went wrong in plain words: a crew link withdrawn while its page is
open, and the staff page's failures (issue 10)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import DAY, post_booking

pytestmark = pytest.mark.browser


def crew_link(local, external_id: str) -> str:
    mail = local.mails(lambda m: m["to"] == f"sam+{external_id.lower()}@crew.example")[-1]
    return re.search(r"http://ops\.localhost:\d+/crew/#t=\S+", mail["text"]).group(0)


def test_a_link_withdrawn_while_its_page_is_open_says_so_when_used(local, page):
    answer = post_booking(local, "BS-E2E-ERR-1").json()
    page.goto(crew_link(local, "BS-E2E-ERR-1"))
    expect(page.locator("h1")).to_have_text(f"Charter on {DAY}")
    cookie = local.staff_cookie("ops")
    assert local.request("ops", "POST", f"/api/charters/events/{answer['event_id']}/crew/c1/revoke", headers={"Cookie": cookie}).status == 200
    page.click("#acknowledge")
    expect(page.locator("#problem")).to_have_text("This link no longer works")
    expect(page.locator("#problem-message")).to_have_text("This link was replaced or withdrawn. Ask the office for a new one.")


def test_the_staff_page_says_when_a_charter_is_not_there(local, page):
    page.goto(local.url("ops", "/charters/#E0000000000"))
    local.sign_in(page)
    expect(page.locator("#event-error")).to_have_text("That charter was not found.")
