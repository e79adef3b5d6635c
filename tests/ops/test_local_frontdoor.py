"""The front door forwards to a function exactly what the behaviour's origin request policy
allows, as CloudFront does: a behaviour that drops a header fails locally as it fails on AWS."""

from __future__ import annotations

import importlib
import json
import sys
import textwrap

import pytest
from moto import mock_aws

from ops import harness
from ops.local.events import LambdaContext
from ops.local.frontdoor import FrontDoor, Request, load_sites
from ops.local.materialize import replay
from ops.local.workers import Reply

PASSCODE_COOKIE = "ms_staff=signed-session-token"


class Recorder:
    """Stands in for the worker pool: keeps the event each function would have received, and
    answers 200 `{}`, or what `answers[function](event)` returns for the functions it names."""

    def __init__(self, answers: dict | None = None):
        self.events: list[tuple[str, dict]] = []
        self.answers = answers or {}

    def __call__(self, function: str, event: dict) -> Reply:
        self.events.append((function, event))
        if function in self.answers:
            return Reply(result=self.answers[function](event))
        return Reply(result={"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": "{}"})


def real_handler(graph, name: str, monkeypatch, replaced_ids: dict[str, str]):
    """`name`'s own handler, run in this process with the environment the program gives it (in
    moto, after `replay`): event → its Function URL result."""
    from handlers.shared import secrets

    fn = graph.named("aws:lambda/function:Function", name)
    for key, value in fn.inputs["environment"]["variables"].items():
        monkeypatch.setenv(key, replaced_ids.get(value, value))
    module_name = fn.inputs["handler"].rsplit(".", 1)[0]
    sys.modules.pop(module_name, None)
    secrets.secret_value.cache_clear()
    module = importlib.import_module(module_name)
    return lambda event: module.handler(event, LambdaContext(function_name=name))


@pytest.fixture
def on_s3(dev_graph, monkeypatch):
    """on_s3(answers) → a front door over the dev stack's pages in moto; `staff-session` (the
    sites' not-found origin) runs its real handler, other functions answer as `answers` says."""
    import boto3

    from handlers.shared import secrets

    with mock_aws():
        ids = replay(dev_graph).replaced_ids

        def door(answers: dict | None = None) -> tuple[FrontDoor, Recorder]:
            recorder = Recorder({"staff-session": real_handler(dev_graph, "staff-session", monkeypatch, ids), **(answers or {})})
            return FrontDoor(load_sites(dev_graph), boto3.client("s3", region_name="us-west-2"), invoke=recorder, log=lambda line: None), recorder

        yield door
    secrets.secret_value.cache_clear()


def front(graph) -> tuple[FrontDoor, Recorder]:
    recorder = Recorder()
    return FrontDoor(load_sites(graph), s3=None, invoke=recorder, log=lambda line: None), recorder


def request(path: str, method: str = "GET", **headers: str) -> Request:
    sent = {"host": "ops.localhost:8080", "user-agent": "Mozilla/5.0 Test", "cookie": PASSCODE_COOKIE,
            "x-api-key": "k", "origin": "http://ops.localhost:8080"}
    sent.update(headers)
    return Request(method, path, "days=7", sent, b"")


def test_a_function_receives_only_what_its_behaviour_forwards(dev_graph):
    door, recorder = front(dev_graph)
    door.handle("ops", request("/api/referrals/stats"))
    function, event = recorder.events[-1]
    assert function == "referral-api"
    assert event["cookies"] == [PASSCODE_COOKIE]
    assert event["headers"]["origin"] == "http://ops.localhost:8080"  # forwarded for the same-site check
    assert event["headers"]["x-forwarded-host"] == "ops.localhost:8080"  # from edge/api.js
    assert event["headers"]["cloudfront-forwarded-proto"] == "http"  # what CloudFront says of the viewer
    assert "x-api-key" not in event["headers"] and "host" not in event["headers"]
    assert event["headers"]["user-agent"] == "Amazon CloudFront"  # not forwarded: CloudFront's own
    assert event["headers"]["x-origin-verify"]  # the origin's custom header
    assert event["rawQueryString"] == "days=7"


def test_the_referral_behaviour_forwards_the_viewer_address_and_user_agent(dev_graph):
    door, recorder = front(dev_graph)
    door.handle("ops", request("/ref/solare"))
    function, event = recorder.events[-1]
    assert function == "referral-click"
    assert event["headers"]["user-agent"] == "Mozilla/5.0 Test"
    assert event["headers"]["cloudfront-viewer-address"].startswith("127.0.0.1:")
    assert "cookies" not in event  # the click needs no cookie, so none is sent


MISCONFIGURED = textwrap.dedent(
    """
    # The seed's mistake, made on purpose: the staff API behaviour forgets to forward the cookie.
    import runpy
    import components.systems.platform, components.systems.referrals
    from components.blocks.site import Forward

    forgetful = Forward(headers=("Origin", "Content-Type"))
    components.systems.platform.STAFF_FORWARD = forgetful
    components.systems.referrals.STAFF_FORWARD = forgetful
    runpy.run_path({main!r}, run_name="__main__")
    """
)


@pytest.fixture
def misconfigured_graph(tmp_path):
    import components.systems.platform
    import components.systems.referrals

    # Put back exactly what was there: a later run in this process must see the real forwarding.
    original = components.systems.platform.STAFF_FORWARD, components.systems.referrals.STAFF_FORWARD
    program = tmp_path / "misconfigured.py"
    program.write_text(MISCONFIGURED.format(main=str(harness.ROOT / "__main__.py")))
    try:
        yield harness.run("dev", program=program)
    finally:
        components.systems.platform.STAFF_FORWARD, components.systems.referrals.STAFF_FORWARD = original


def test_a_behaviour_that_drops_a_header_fails_locally_as_on_aws(misconfigured_graph):
    """SPEC incident 1: CloudFront dropped what the function needed; locally it is dropped too."""
    door, recorder = front(misconfigured_graph)
    door.handle("ops", request("/api/referrals/stats"))
    _, event = recorder.events[-1]
    assert "cookies" not in event and "cookie" not in event["headers"]


def test_behaviours_match_in_cloudfronts_order_and_methods_are_enforced(dev_graph):
    door, recorder = front(dev_graph)
    assert door.sites["ops"].behaviour_for("/ref/solare").pattern == "/ref/*"
    assert door.sites["ops"].behaviour_for("/api/session").pattern == "/api/session"
    assert door.sites["ops"].behaviour_for("/api/sessions").pattern == "*"
    assert door.sites["ops"].behaviour_for("/referrals/").pattern == "*"
    denied = door.handle("ops", request("/index.html", method="POST"))
    assert denied.status == 403 and recorder.events == []


def test_pages_come_from_the_bucket_through_the_edge_rewrite_with_security_headers(on_s3):
    door, _ = on_s3()
    page = door.handle("ops", request("/referrals/"))
    assert page.status == 200 and b"Referral clicks" in page.body
    headers = dict(page.headers)
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert "frame-ancestors" in headers["Content-Security-Policy"]
    missing = door.handle("ops", request("/nothing-here.txt"))
    assert missing.status == 404 and b"could not find" in missing.body
    assert door.handle("ops", request("/referrals")).status == 301


# -- a missing page, and a function's own errors (issue 11, defect 8) ---------------------------
SITE_404 = (harness.ROOT / "site" / "_shared" / "404.html").read_bytes()


def answer(status: int, body: dict):
    return lambda event: {"statusCode": status, "headers": {"Content-Type": "application/json"}, "body": json.dumps(body)}


def test_a_functions_403_reaches_the_viewer_as_the_function_sent_it(on_s3):
    """A staff API's refusal stays its JSON 403: no error page replaces it, nothing fails over."""
    refused = {"error": "cross_site", "message": "This request must come from the site's own pages.", "fields": {}}
    door, recorder = on_s3({"referral-api": answer(403, refused)})
    response = door.handle("ops", request("/api/referrals/batches", method="POST", origin="https://evil.example"))
    assert response.status == 403 and json.loads(response.body) == refused
    assert dict(response.headers)["Content-Type"] == "application/json"
    assert response.origin == "function:referral-api"
    assert [function for function, _ in recorder.events] == ["referral-api"]
    forbidden = door.handle("ops", request("/api/referrals/stats"))  # a GET: still no failover
    assert forbidden.status == 403 and json.loads(forbidden.body)["error"] == "cross_site"


def test_a_functions_json_404_stays_json(on_s3):
    missing = {"error": "not_found", "message": "That charter was not found.", "fields": {}}
    door, recorder = on_s3({"charter-staff": answer(404, missing)})
    response = door.handle("ops", request("/api/charters/events/E0000000000"))
    assert response.status == 404 and json.loads(response.body) == missing
    assert [function for function, _ in recorder.events] == ["charter-staff"]


@pytest.mark.parametrize("site, path", [("ops", "/no/such/page.html"), ("ops", "/nothing/"), ("brand", "/g/ZZZZZZZZZ"),
                                        ("brand", "/g/not-a-code"), ("ops", "/_deploy/manifest.json")])
def test_a_missing_page_fails_over_to_the_404_page_with_status_404(on_s3, site, path):
    door, recorder = on_s3()
    response = door.handle(site, request(path))
    assert response.status == 404 and response.body == SITE_404
    headers = dict(response.headers)
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert headers["Cache-Control"] == "public, max-age=10"
    assert "frame-ancestors" in headers["Content-Security-Policy"]  # the behaviour's headers, as for any page
    assert response.origin == "function:staff-session"
    [(function, event)] = recorder.events
    assert function == "staff-session" and event["requestContext"]["http"]["method"] == "GET"
    # What CloudFront sends the second origin: the request after the edge rewrite, with the
    # origin's own header and nothing the pages behaviour does not forward.
    assert event["rawPath"] != "/api/session" and event["headers"]["x-origin-verify"]
    assert "cookies" not in event and event["rawQueryString"] == ""


def test_a_head_of_a_missing_page_is_a_404_without_a_body(on_s3):
    door, _ = on_s3()
    response = door.handle("ops", request("/no/such/page.html", method="HEAD"))
    assert response.status == 404 and response.body == b"" and response.origin == "function:staff-session"


def test_a_page_that_exists_never_reaches_the_404_origin(on_s3):
    door, recorder = on_s3()
    assert door.handle("ops", request("/referrals/")).status == 200
    assert door.handle("brand", request("/shared/404.html")).status == 200  # still published, as a page
    assert recorder.events == []


def test_custom_error_responses_would_replace_a_functions_error_too(on_s3):
    """Why the sites have none: on CloudFront an error response applies to every origin, so a
    403→404 page rule turns a staff API's JSON 403 into the HTML page. Local mode does the same."""
    door, _ = on_s3({"referral-api": answer(403, {"error": "forbidden"})})
    door.sites["ops"].error_pages = {403: (404, "/shared/404.html")}
    response = door.handle("ops", request("/api/referrals/stats"))
    assert response.status == 404 and response.body == SITE_404


FORGOT_THE_KEY = textwrap.dedent(
    """
    # Seed 001's incident, made on purpose: the booking API behaviour does not forward X-Api-Key.
    import runpy
    import components.systems.charters
    from components.blocks.site import Forward

    components.systems.charters.SERVICE_FORWARD = Forward(headers=("Content-Type",))
    runpy.run_path({main!r}, run_name="__main__")
    """
)


def test_a_booking_api_that_drops_the_service_key_fails_locally_as_on_aws(dev_graph, tmp_path):
    """SPEC incident 1, exactly: with the header not forwarded the intake never sees the key."""
    import components.systems.charters

    door, recorder = front(dev_graph)
    door.handle("ops", request("/api/bookings", method="POST"))
    assert recorder.events[-1][1]["headers"]["x-api-key"] == "k"
    original = components.systems.charters.SERVICE_FORWARD
    program = tmp_path / "forgot_the_key.py"
    program.write_text(FORGOT_THE_KEY.format(main=str(harness.ROOT / "__main__.py")))
    try:
        broken = harness.run("dev", program=program)
    finally:
        components.systems.charters.SERVICE_FORWARD = original
    door, recorder = front(broken)
    door.handle("ops", request("/api/bookings", method="POST"))
    assert "x-api-key" not in recorder.events[-1][1]["headers"]
