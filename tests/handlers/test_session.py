"""Staff sign-in: the passcode (stored as a hash) buys a 12-hour HttpOnly SameSite=Strict cookie."""

from __future__ import annotations

import time

import pytest

from handlers.shared import auth
from ops import harness
from tests.handlers.conftest import HOST


@pytest.fixture
def session(function):
    return function("staff-session")


def test_the_right_passcode_sets_a_strict_http_only_secure_cookie(session):
    reply = session.post("/api/session", {"passcode": harness.TEST_PASSCODE})
    assert reply.status == 200 and reply.json()["signed_in"] is True
    [cookie] = reply.cookies
    attributes = [part.strip() for part in cookie.split(";")]
    assert attributes[0].startswith("ms_staff=") and len(attributes[0]) > 30
    assert {"HttpOnly", "Secure", "SameSite=Strict", "Path=/", "Max-Age=43200"} <= set(attributes)
    assert reply.headers["Cache-Control"] == "no-store"


def test_over_plain_http_the_cookie_is_not_secure_so_the_browser_keeps_it(session):
    # CloudFront (or local mode's front door) names the viewer's scheme; the handler never
    # guesses it from the host name.
    reply = session.post("/api/session", {"passcode": harness.TEST_PASSCODE}, host="ops.localhost:8080",
                         headers={"CloudFront-Forwarded-Proto": "http"})
    assert "Secure" not in [part.strip() for part in reply.cookies[0].split(";")]
    reply = session.post("/api/session", {"passcode": harness.TEST_PASSCODE}, host="ops.localhost:8080",
                         headers={"CloudFront-Forwarded-Proto": "https"})
    assert "Secure" in [part.strip() for part in reply.cookies[0].split(";")]


def test_a_wrong_passcode_is_refused_without_a_cookie(session):
    reply = session.post("/api/session", {"passcode": "guess"})
    assert reply.status == 401 and reply.cookies == []
    assert reply.json() == {"error": "wrong_passcode", "message": "That passcode is not right.", "fields": {"passcode": "not right"}}


@pytest.mark.parametrize("body, status, field", [
    ({}, 422, "passcode"),
    ({"passcode": ""}, 422, "passcode"),
    ({"passcode": 12}, 422, "passcode"),
    ("not json", 400, None),
    ([], 400, None),  # a JSON array where an object is expected is not the request's shape
    (True, 422, "passcode"),
])
def test_bad_sign_in_requests_get_a_clear_4xx(session, body, status, field):
    json_type = {"content-type": "application/json"}
    reply = (session.request("POST", "/api/session", body=body, headers=json_type) if isinstance(body, str)
             else session.post("/api/session", body if body is not True else {"passcode": True}))
    assert reply.status == status
    payload = reply.json()
    assert payload["message"] and payload["error"]
    if field:
        assert field in payload["fields"]


def test_a_sign_in_from_another_site_or_not_in_json_is_refused(session):
    body = '{"passcode": "%s"}' % harness.TEST_PASSCODE
    cross = session.request("POST", "/api/session", body=body,
                            headers={"content-type": "application/json", "origin": "https://evil.example"})
    assert cross.status == 403 and cross.json()["error"] == "cross_site" and cross.cookies == []
    fetched = session.request("POST", "/api/session", body=body,
                              headers={"content-type": "application/json", "sec-fetch-site": "cross-site"})
    assert fetched.status == 403
    plain = session.request("POST", "/api/session", body=body, headers={"content-type": "text/plain"})
    assert plain.status == 415 and plain.cookies == []
    own = session.request("POST", "/api/session", body=body,
                          headers={"content-type": "application/json", "origin": f"https://{HOST}", "sec-fetch-site": "same-origin"})
    assert own.status == 200 and own.cookies


def test_the_cookie_says_signed_in_and_sign_out_clears_it(session, staff_cookie):
    assert session.get("/api/session", headers={"cookie": staff_cookie}).json() == {"signed_in": True}
    assert session.get("/api/session").json() == {"signed_in": False}
    reply = session.request("DELETE", "/api/session", headers={"cookie": staff_cookie})
    assert reply.status == 200 and "Max-Age=0" in reply.cookies[0]


def test_tampered_and_expired_sessions_are_not_signed_in(session, staff_cookie, monkeypatch):
    name, value = staff_cookie.split("=", 1)
    tampered = f"{name}={value[:-2]}{'A' if value[-2] != 'A' else 'B'}{value[-1]}"
    assert session.get("/api/session", headers={"cookie": tampered}).json() == {"signed_in": False}
    later = time.time() + auth.SESSION_SECONDS + 60
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: later)
    assert session.get("/api/session", headers={"cookie": staff_cookie}).json() == {"signed_in": False}


def test_passcode_hashes_verify_in_constant_time_and_reject_other_schemes():
    stored = auth.hash_passcode("open sesame")
    assert stored.startswith("scrypt$") and "open sesame" not in stored
    assert auth.verify_passcode("open sesame", stored)
    assert not auth.verify_passcode("open sesame!", stored)
    assert not auth.verify_passcode("x", "md5$abc")
    assert not auth.verify_passcode("x", "garbage")
    assert auth.hash_passcode("a") != auth.hash_passcode("a")  # salted


# The site's bucket behaviours fail over to this function when S3 has no such page (an origin
# group: components/blocks/site/cdn.py), so any other GET/HEAD path is answered with the 404 page.
SITE_404 = harness.ROOT / "site" / "_shared" / "404.html"


@pytest.mark.parametrize("path", ["/no/such/page.html", "/g/-not-a-guest-code-.html", "/referrals/index.html", "/"])
def test_any_other_path_gets_the_sites_404_page_with_status_404(session, path):
    reply = session.get(path)
    assert reply.status == 404
    assert reply.headers["Content-Type"] == "text/html; charset=utf-8"
    assert reply.text == SITE_404.read_text()
    # Cached briefly, as the old error response was (10 s): a guest page written a moment after
    # someone asked for it appears within seconds.
    assert reply.headers["Cache-Control"] == "public, max-age=10"
    assert reply.cookies == []


def test_a_head_on_a_missing_page_is_a_404_too(session):
    reply = session.request("HEAD", "/no/such/page.html")
    assert reply.status == 404 and reply.headers["Content-Type"] == "text/html; charset=utf-8"


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
def test_other_methods_on_other_paths_stay_a_json_404(session, method):
    reply = session.request(method, "/no/such/page.html", body="{}", headers={"content-type": "application/json"})
    assert reply.status == 404
    assert reply.json() == {"error": "not_found", "message": "There is nothing at this address.", "fields": {}}


def test_the_session_route_itself_never_answers_the_404_page(session):
    reply = session.request("HEAD", "/api/session")
    assert reply.status == 404 and reply.json()["error"] == "not_found"


def test_the_404_page_still_needs_the_origin_header(session):
    reply = session.get("/no/such/page.html", origin=False)
    assert reply.status == 403 and reply.json()["error"] == "forbidden"


def test_the_packaged_404_page_is_the_sites_own():
    """The function reads the page the sites publish at /shared/404.html, packaged with it at the
    same path relative to the code as in the repository."""
    from components.stack.packaging import artifact_files

    page = artifact_files("shared")["site/_shared/404.html"]
    assert page.read_bytes() == SITE_404.read_bytes()
