"""Staff sign-in in a real browser (site/_shared/app.js), against local mode's Cognito (moto) with
the mail Cognito would send in the local outbox.

Every test but the owner's own uses an account of its own: the other browser tests sign in as the
local owner, whose password must not change, and refused attempts count towards lockouts.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def invite(local, email: str, name: str, roles: list[str]) -> str:
    """A new account, made as the owner makes one on the staff page; its temporary password, read
    from Cognito's invitation in the outbox."""
    made = local.request("ops", "POST", "/api/staff", headers={"Cookie": local.staff_cookie()},
                         body={"email": email, "name": name, "roles": roles})
    assert made.status == 201, made.body
    mail = local.mails(lambda m: m["to"] == email and m["subject"] == "Your temporary password")[-1]
    assert mail["from"] == "no-reply@verificationemail.com"
    return re.search(r"temporary password is (\S+)\.$", mail["text"]).group(1)


def activated(local, email: str, name: str, roles: list[str], password: str) -> None:
    """A new account whose first sign-in (a password of its own in place of the mailed one) is done."""
    temporary = invite(local, email, name, roles)
    first = local.request("ops", "POST", "/api/session", body={"email": email, "password": temporary})
    assert first.status == 409 and first.json()["error"] == "new_password_required", first.body
    done = local.request("ops", "POST", "/api/session", body={"email": email, "password": temporary, "new_password": password})
    assert done.status == 200, done.body


def test_the_local_owner_signs_in_and_the_header_names_them(local, page):
    page.goto(local.url("ops", "/"))
    expect(page.locator("#staff-email")).to_have_attribute("autocomplete", "username")
    expect(page.locator("#staff-password")).to_have_attribute("autocomplete", "current-password")
    posts = []
    page.on("request", lambda r: posts.append(r) if r.method == "POST" and r.url.endswith("/api/session") else None)
    page.fill("#staff-email", local.index["credentials"]["staff_email"])
    page.fill("#staff-password", local.index["credentials"]["staff_password"])
    page.dblclick(".sign-in button[type=submit]")  # the button is disabled while its request runs
    expect(page.locator("h1", has_text="Operations")).to_be_visible()
    expect(page.locator("header .staff-who [data-staff-name]")).to_have_text("Owner")
    assert len(posts) == 1
    page.reload()  # the session cookie holds: no form this time
    expect(page.locator("h1", has_text="Operations")).to_be_visible()
    expect(page.locator(".sign-in")).to_have_count(0)


def test_a_new_account_chooses_its_own_password_at_first_sign_in(local, page):
    email = "nina.e2e@staff.example"
    temporary = invite(local, email, "Nina New", ["referrals"])
    page.goto(local.url("ops", "/referrals/"))
    local.sign_in(page, email=email, password=temporary)
    expect(page.locator(".sign-in h2")).to_have_text("Choose your password")
    expect(page.locator("#staff-new-password")).to_have_attribute("autocomplete", "new-password")
    page.fill("#staff-new-password", "nina's own long password")
    page.fill("#staff-new-password-again", "nina's own long passwort")
    page.click(".sign-in button[type=submit]")
    expect(page.locator(".sign-in .error")).to_contain_text("not the same")
    page.fill("#staff-new-password-again", "nina's own long password")
    page.click(".sign-in button[type=submit]")
    expect(page.locator('tr[data-code="_orphan"]')).to_have_count(1)  # her page: referral stats
    expect(page.locator(".staff-who [data-staff-name]")).to_have_text("Nina New")
    # The mailed password did its one job; her own is the one that works now.
    assert local.request("ops", "POST", "/api/session", body={"email": email, "password": temporary}).status == 401
    local.staff_cookie(email=email, password="nina's own long password")


def test_a_forgotten_password_is_replaced_with_the_code_from_the_mail(local, page):
    email = "rosa.e2e@staff.example"
    activated(local, email, "Rosa Reset", ["referrals"], "rosa's first long password")
    page.goto(local.url("ops", "/referrals/"))
    page.fill("#staff-email", email)
    page.click("text=Forgot password?")
    expect(page.locator("#reset-email")).to_have_value(email)
    page.click(".sign-in button[type=submit]")
    expect(page.locator("#reset-code")).to_be_visible()
    expect(page.locator(".sign-in .notice")).to_contain_text("a code is on its way")
    mail = local.mails(lambda m: m["to"] == email and m["subject"] == "Your verification code")[-1]
    code = re.search(r"Your verification code is (\d{6})\.", mail["text"]).group(1)
    page.fill("#reset-code", code)
    page.fill("#reset-password", "rosa's second long password")
    page.fill("#reset-password-again", "rosa's second long password")
    page.click(".sign-in button[type=submit]")
    expect(page.locator(".sign-in .notice")).to_contain_text("Your password is changed")
    expect(page.locator("#staff-email")).to_have_value(email)
    page.fill("#staff-password", "rosa's second long password")
    page.click(".sign-in button[type=submit]")
    expect(page.locator(".staff-who [data-staff-name]")).to_have_text("Rosa Reset")
    # The code was good once.
    again = local.request("ops", "POST", "/api/session/reset/confirm",
                          body={"email": email, "code": code, "new_password": "rosa's third long password"})
    assert again.status == 400 and again.json()["error"] == "reset_refused"


def test_signing_out_ends_the_session_for_a_copied_cookie_too(local, page):
    page.goto(local.url("ops", "/referrals/"))
    local.sign_in(page)
    expect(page.locator('tr[data-code="_orphan"]')).to_have_count(1)
    cookie = next(c for c in page.context.cookies() if c["name"] == "ms_staff")
    copied = f"ms_staff={cookie['value']}"
    assert local.request("ops", "GET", "/api/referrals/stats?days=7", headers={"Cookie": copied}).status == 200
    page.click(".staff-who [data-sign-out]")
    expect(page.locator("#staff-password")).to_be_visible()
    expect(page.locator(".staff-who")).to_have_count(0)
    assert local.request("ops", "GET", "/api/referrals/stats?days=7", headers={"Cookie": copied}).status == 401


def test_a_page_the_account_may_not_use_says_so_in_the_apis_words(local, page):
    email = "dora.e2e@staff.example"
    activated(local, email, "Dora Dispatch", ["dispatch"], "dora's own long password")
    refused = local.request("ops", "GET", "/api/referrals/stats?days=7",
                            headers={"Cookie": local.staff_cookie(email=email, password="dora's own long password")})
    assert refused.status == 403 and refused.json()["error"] == "forbidden"
    page.goto(local.url("ops", "/referrals/"))
    local.sign_in(page, email=email, password="dora's own long password")
    expect(page.get_by_text(refused.json()["message"])).to_be_visible()


def test_too_many_wrong_passwords_show_the_apis_message(local, page):
    email = "guessed.e2e@staff.example"
    for _ in range(5):
        answer = local.request("ops", "POST", "/api/session", body={"email": email, "password": "a wrong guess"})
        assert answer.status == 401, answer.body
    page.goto(local.url("ops", "/"))
    local.sign_in(page, email=email, password="yet another guess")
    expect(page.locator(".sign-in .error")).to_contain_text("Too many tries. Wait 15 minutes")
    expect(page.locator(".sign-in button[type=submit]")).to_be_enabled()
