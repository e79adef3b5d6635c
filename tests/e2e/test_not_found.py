"""Through local mode's real front door: a missing page is the site's 404 page with status 404
(the bucket fails over to the staff-session function), while a function's own 403 or JSON 404
reaches the client exactly as the function sent it (issue 11, defect 8)."""

from __future__ import annotations

from ops import harness

SITE_404 = (harness.ROOT / "site" / "_shared" / "404.html").read_bytes()


def test_a_missing_page_and_an_unknown_guest_code_get_the_404_page(local):
    for site, path in (("ops", "/no/such/page.html"), ("dispatch", "/nothing/here/"), ("brand", "/g/ZZZZZZZZZ")):
        answer = local.request(site, "GET", path)
        assert answer.status == 404 and answer.body == SITE_404, (site, path)
        assert answer.headers["content-type"] == "text/html; charset=utf-8"
        assert answer.headers["cache-control"] == "public, max-age=10"
        assert "frame-ancestors" in answer.headers["content-security-policy"]
    head = local.request("loyalty", "HEAD", "/no/such/page.html")
    assert head.status == 404 and head.body == b""


def test_a_staff_apis_403_stays_its_json(local):
    refused = local.request("ops", "POST", "/api/session", body={"email": "someone@staff.example", "password": "whatever it is"}, headers={"Origin": "https://evil.example"})
    assert refused.status == 403 and refused.headers["content-type"] == "application/json"
    assert refused.json()["error"] == "cross_site"


def test_a_functions_json_404_stays_json(local):
    cookie = local.staff_cookie("ops")
    answer = local.request("ops", "GET", "/api/charters/events/E0000000000", headers={"Cookie": cookie})
    assert answer.status == 404 and answer.headers["content-type"] == "application/json"
    assert answer.json()["message"] == "That charter was not found."
