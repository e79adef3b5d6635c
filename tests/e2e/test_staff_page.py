"""The owner's staff page (site/ops/staff/, site/ops/assets/staff.js) in a real browser on a phone's
width, against local mode's Cognito (moto), with Cognito's invitations in the local outbox.

Every person a test adds has an address of its own: local mode runs once for all browser tests.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def invited(local, email: str) -> str:
    """The temporary password in Cognito's invitation to `email`."""
    mail = local.mails(lambda m: m["to"] == email and m["subject"] == "Your temporary password")[-1]
    return re.search(r"temporary password is (\S+)\.$", mail["text"]).group(1)


def signed_in_as_new(local, email: str, name: str, roles: list[str], password: str) -> str:
    """An account made through the API, its first sign-in done; the cookie of that session."""
    made = local.request("ops", "POST", "/api/staff", headers={"Cookie": local.staff_cookie()},
                         body={"email": email, "name": name, "roles": roles})
    assert made.status == 201, made.body
    temporary = invited(local, email)
    done = local.request("ops", "POST", "/api/session", body={"email": email, "password": temporary, "new_password": password})
    assert done.status == 200, done.body
    return done.headers["set-cookie-all"][0].split(";")[0]


def still_signed_in(local, cookie: str) -> bool:
    return local.request("ops", "GET", "/api/session", headers={"Cookie": cookie}).json()["signed_in"]


def person(page, email: str):
    return page.locator(f'.staff-person[data-email="{email}"]')


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def open_staff_page(local, page):
    page.goto(local.url("ops", "/staff/"))
    local.sign_in(page)
    expect(page.locator("h1", has_text="Staff")).to_be_visible()


def test_the_owner_adds_a_person_once_however_often_the_button_is_pressed(local, phone):
    email = "pia.e2e@staff.example"
    open_staff_page(local, phone)
    me = person(phone, local.index["credentials"]["staff_email"])
    expect(me).to_contain_text("(you)")
    expect(me.locator("[data-ask]")).to_have_count(0)  # no disabling oneself
    expect(me.locator('input[value="owner"]')).to_be_disabled()  # nor taking away one's own owner role
    posts = []
    phone.on("request", lambda r: posts.append(r) if r.method == "POST" and r.url.endswith("/api/staff") else None)
    phone.fill("#new-name", "Pia Pickups")
    phone.fill("#new-email", email)
    phone.check('#add-staff input[value="dispatch"]')
    phone.check('#add-staff input[value="charters"]')
    phone.dblclick("#add-staff button[type=submit]")
    expect(phone.locator("[data-notice]")).to_contain_text("Cognito has mailed them a temporary password")
    expect(person(phone, email)).to_contain_text("Invited")
    expect(person(phone, email).locator("[data-name]")).to_have_text("Pia Pickups")
    expect(person(phone, email).locator('input[value="dispatch"]')).to_be_checked()
    expect(person(phone, email).locator('input[value="charters"]')).to_be_checked()
    assert len(posts) == 1
    assert invited(local, email)
    assert fits_the_screen(phone)

    # The same address again: the API's words, in the form, and nobody new.
    phone.fill("#new-name", "Pia Again")
    phone.fill("#new-email", email.upper())
    phone.check('#add-staff input[value="owner"]')
    phone.click("#add-staff button[type=submit]")
    expect(phone.locator("#add-staff .error")).to_contain_text("already has a staff account")
    expect(person(phone, email)).to_have_count(1)
    # No roles: refused in the API's words too.
    phone.uncheck('#add-staff input[value="owner"]')
    phone.fill("#new-email", "nobody.e2e@staff.example")
    phone.click("#add-staff button[type=submit]")
    expect(phone.locator("#add-staff .error")).to_be_visible()
    expect(person(phone, "nobody.e2e@staff.example")).to_have_count(0)


def test_roles_are_saved_per_person_and_sign_them_out(local, phone):
    email = "rex.e2e@staff.example"
    cookie = signed_in_as_new(local, email, "Rex Roles", ["referrals"], "rex's own long password")
    open_staff_page(local, phone)
    card = person(phone, email)
    save = card.locator("[data-save-roles]")
    expect(save).to_be_disabled()  # nothing changed yet
    card.locator('input[value="loyalty-desk"]').check()
    card.locator('input[value="referrals"]').uncheck()
    expect(save).to_be_enabled()
    save.click()
    expect(phone.locator("[data-notice]")).to_contain_text("Rex Roles's roles are now: loyalty-desk")
    expect(person(phone, email).locator('input[value="loyalty-desk"]')).to_be_checked()
    expect(person(phone, email).locator('input[value="referrals"]')).not_to_be_checked()
    assert not still_signed_in(local, cookie)
    # Unticking every role is refused in the API's words.
    person(phone, email).locator('input[value="loyalty-desk"]').uncheck()
    person(phone, email).locator("[data-save-roles]").click()
    expect(person(phone, email).locator(".error")).to_be_visible()
    assert fits_the_screen(phone)


def test_disabling_asks_first_signs_them_out_everywhere_and_re_enabling_lets_them_back(local, phone):
    email = "dot.e2e@staff.example"
    password = "dot's own long password"
    cookie = signed_in_as_new(local, email, "Dot Disabled", ["dispatch"], password)
    open_staff_page(local, phone)
    card = person(phone, email)
    expect(card).to_contain_text("Active")
    card.locator('[data-ask="disable"]').click()
    expect(card.locator("[data-confirm]")).to_contain_text("Disable Dot Disabled?")
    card.locator("[data-no]").click()  # changed their mind: nothing happens
    expect(card.locator("[data-confirm]")).to_be_hidden()
    assert still_signed_in(local, cookie)

    card.locator('[data-ask="disable"]').click()
    card.locator("[data-yes]").click()
    expect(phone.locator("[data-notice]")).to_contain_text("Dot Disabled is disabled and signed out everywhere")
    expect(person(phone, email)).to_have_attribute("data-state", "disabled")
    assert not still_signed_in(local, cookie)
    refused = local.request("ops", "POST", "/api/session", body={"email": email, "password": password})
    assert refused.status == 401 and refused.json()["error"] == "sign_in_refused"

    person(phone, email).locator('[data-ask="enable"]').click()
    expect(person(phone, email).locator("[data-confirm]")).to_contain_text("Re-enable Dot Disabled?")
    person(phone, email).locator("[data-yes]").click()
    expect(person(phone, email)).to_have_attribute("data-state", "active")
    local.staff_cookie(email=email, password=password)  # signs in again


def test_signed_in_now_lists_sessions_and_one_can_be_ended_but_not_ones_own(local, phone):
    email = "sam.e2e@staff.example"
    cookie = signed_in_as_new(local, email, "Sam Sessions", ["charters"], "sam's own long password")
    open_staff_page(local, phone)
    listed = phone.locator("#signed-in [data-session]", has_text=email)
    expect(listed).to_have_count(1)
    expect(listed).to_contain_text("Sam Sessions")
    expect(listed).to_contain_text("Since")
    expect(listed).to_contain_text("Chrome on Linux")  # the harness's user agent
    mine = phone.locator("#signed-in [data-session]", has_text="This browser")
    expect(mine).to_have_count(1)
    expect(mine.locator("[data-end-session]")).to_have_count(0)
    listed.locator("[data-end-session]").click()
    expect(phone.locator("[data-notice]")).to_contain_text("Sam Sessions's session has ended")
    expect(phone.locator("#signed-in [data-session]", has_text=email)).to_have_count(0)
    assert not still_signed_in(local, cookie)
    assert fits_the_screen(phone)


def test_the_home_page_links_owners_to_the_staff_page_and_others_are_told_no(local, page, new_page):
    page.goto(local.url("ops", "/"))
    local.sign_in(page)
    page.click('main a[href="/staff/"]')
    expect(page.locator("h1", has_text="Staff")).to_be_visible()

    email, password = "nora.e2e@staff.example", "nora's own long password"
    signed_in_as_new(local, email, "Nora Nonowner", ["referrals"], password)
    other = new_page(viewport={"width": 390, "height": 844})
    other.goto(local.url("ops", "/"))
    local.sign_in(other, email=email, password=password)
    expect(other.locator("h1", has_text="Operations")).to_be_visible()
    expect(other.locator('main a[href="/staff/"]')).to_have_count(0)
    other.goto(local.url("ops", "/staff/"))
    expect(other.locator("[role=alert]")).to_contain_text("it needs the owner role")


def test_someone_who_never_signed_in_gets_a_new_invitation_from_the_page(local, phone):
    email = "nia.e2e@example.com"  # a sandbox recipient of the dev stack: mailed as addressed
    made = local.request("ops", "POST", "/api/staff", headers={"Cookie": local.staff_cookie()},
                         body={"email": email, "name": "Nia", "roles": ["dispatch"]})
    assert made.status == 201, made.body
    open_staff_page(local, phone)
    card = person(phone, email)
    card.locator("[data-invite]").click()
    expect(phone.locator("[data-notice]")).to_have_text(f"A new invitation is on its way to {email}.")
    mail = local.mails(lambda m: m["to"] == email and "staff account" in m["subject"])[-1]
    temporary = re.search(r"temporary password: (\S+)", mail["text"]).group(1)
    first = local.request("ops", "POST", "/api/session", body={"email": email, "password": temporary})
    assert first.status == 409 and first.json()["error"] == "new_password_required"
    expect(person(phone, local.index["credentials"]["staff_email"]).locator("[data-invite]")).to_have_count(0)
