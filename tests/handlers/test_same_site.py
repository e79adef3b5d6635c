"""Staff requests that change something come from the site's own pages: a cross-site request is
403 and a non-JSON body 415, even with a valid session cookie, and nothing is written."""

from __future__ import annotations

import json

import pytest

from tests.handlers.badinput import snapshot_tables
from tests.handlers.conftest import HOST

STAFF_WRITES = [
    ("referral-api", "/api/referrals/outreach", {"vendors": ["solare"]}),
    ("dispatch-board", "/api/jobs", {"name": "Ana", "phone": "415 555 0134", "address": "1 Main St", "items": "sofa",
                                     "preferred_date": "2030-01-01"}),
    ("loyalty-redeem", "/api/redeem", {"phone": "415 555 0134", "reward_id": "coffee"}),
    ("charter-staff", "/api/charters/events/E1/crew/C1/revoke", {}),
]


@pytest.mark.parametrize("function_name, path, body", STAFF_WRITES)
@pytest.mark.parametrize("headers", [
    {"origin": "https://evil.example", "content-type": "text/plain"},
    {"origin": "https://evil.example", "content-type": "application/json"},
    {"origin": "null", "content-type": "application/json"},
    {"sec-fetch-site": "cross-site", "content-type": "text/plain"},
    {"origin": f"http://{HOST}", "content-type": "application/json"},  # the site over another scheme
], ids=["evil-text", "evil-json", "null-origin", "fetch-cross-site", "wrong-scheme"])
def test_a_cross_site_staff_write_is_403_with_a_valid_cookie(function, staff_cookie, function_name, path, body, headers):
    client = function(function_name)
    before = snapshot_tables()
    reply = client.request("POST", path, body=json.dumps(body), headers={"cookie": staff_cookie, **headers})
    assert reply.status == 403 and reply.json()["error"] == "cross_site", reply.text
    assert snapshot_tables() == before


@pytest.mark.parametrize("function_name, path, body", STAFF_WRITES)
def test_a_staff_write_from_the_sites_own_page_in_text_plain_is_415(function, staff_cookie, function_name, path, body):
    client = function(function_name)
    before = snapshot_tables()
    reply = client.request("POST", path, body=json.dumps(body),
                           headers={"cookie": staff_cookie, "origin": f"https://{HOST}", "content-type": "text/plain"})
    assert reply.status == 415 and reply.json()["error"] == "unsupported_media_type", reply.text
    assert snapshot_tables() == before


def test_reads_and_the_sites_own_writes_go_through(function, staff_cookie):
    api = function("referral-api")
    assert api.get("/api/referrals/stats", headers={"cookie": staff_cookie, "origin": "https://evil.example"}).status == 200
    own = api.request("POST", "/api/referrals/outreach", body=json.dumps({"vendors": ["solare"]}),
                      headers={"cookie": staff_cookie, "origin": f"https://{HOST}", "sec-fetch-site": "same-origin",
                               "content-type": "application/json"})
    assert own.status < 400, own.text
