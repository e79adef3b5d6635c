"""The front door forwards to a function exactly what the behaviour's origin request policy
allows, as CloudFront does: a behaviour that drops a header fails locally as it fails on AWS."""

from __future__ import annotations

import textwrap

import pytest
from moto import mock_aws

from ops import harness
from ops.local.frontdoor import FrontDoor, Request, load_sites
from ops.local.materialize import replay
from ops.local.workers import Reply

PASSCODE_COOKIE = "ms_staff=signed-session-token"


class Recorder:
    """Stands in for the worker pool: keeps the event each function would have received."""

    def __init__(self):
        self.events: list[tuple[str, dict]] = []

    def __call__(self, function: str, event: dict) -> Reply:
        self.events.append((function, event))
        return Reply(result={"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": "{}"})


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


def test_pages_come_from_the_bucket_through_the_edge_rewrite_with_security_headers(dev_graph):
    with mock_aws():
        replay(dev_graph)
        import boto3

        door = FrontDoor(load_sites(dev_graph), boto3.client("s3", region_name="us-west-2"), invoke=Recorder(), log=lambda line: None)
        page = door.handle("ops", request("/referrals/"))
        assert page.status == 200 and b"Referral clicks" in page.body
        headers = dict(page.headers)
        assert headers["Content-Type"] == "text/html; charset=utf-8"
        assert "frame-ancestors" in headers["Content-Security-Policy"]
        missing = door.handle("ops", request("/nothing-here.txt"))
        assert missing.status == 404 and b"could not find" in missing.body
        assert door.handle("ops", request("/referrals")).status == 301


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
