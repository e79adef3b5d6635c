"""Long URIs and large headers through local mode's HTTP front door: up to CloudFront's limits
(URL 8,192 bytes, request line plus headers 20,480 bytes) they get the answer CloudFront would
give; beyond them a 4xx, as from CloudFront. Never a dropped connection (njs used to cut the
edge runner's output at about 2 KB, and the front door then closed the socket)."""

from __future__ import annotations

import http.client
import threading
from http.server import ThreadingHTTPServer

import boto3
import pytest
from moto import mock_aws

from ops.local.frontdoor import MAX_REQUEST_BYTES, MAX_URL_BYTES, FrontDoor, load_sites
from ops.local.materialize import replay
from ops.local.server import LocalSystem
from tests.ops.test_local_frontdoor import Recorder


@pytest.fixture
def served(dev_graph):
    with mock_aws():
        replay(dev_graph)
        recorder = Recorder()
        system = LocalSystem("dev", port=0)
        system.sites = load_sites(dev_graph)
        system.frontdoor = FrontDoor(system.sites, boto3.client("s3", region_name="us-west-2"), invoke=recorder, log=lambda line: None)
        server = ThreadingHTTPServer(("127.0.0.1", 0), system._handler_class())
        port = server.server_address[1]
        threading.Thread(target=server.serve_forever, daemon=True).start()

        def request(path: str, headers: dict[str, str] | None = None) -> tuple[int, http.client.HTTPMessage, bytes]:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            connection.request("GET", path, headers={"Host": f"ops.localhost:{port}", **(headers or {})})
            response = connection.getresponse()
            answer = response.status, response.msg, response.read()  # headers: any case
            connection.close()
            return answer

        try:
            yield request, recorder
        finally:
            server.shutdown()
            server.server_close()


def padding(total: int) -> dict[str, str]:
    """About `total` bytes of headers: a big cookie and a few custom headers."""
    chunk = total // 4
    return {"Cookie": "ms_staff=signed-session-token; pad=" + "c" * (chunk - 40),
            **{f"X-Pad-{i}": "p" * (chunk - 12) for i in range(3)}}


def test_a_7_kb_uri_is_redirected_by_the_pages_function(served):
    request, _ = served
    path = "/referrals/" + "a" * 7000
    status, headers, _ = request(path)
    assert status == 301 and headers["Location"] == path + "/"


def test_a_7_kb_uri_reaches_a_function_whole(served):
    request, recorder = served
    query = "q=" + "b" * 7000
    status, _, _ = request("/api/referrals/stats?" + query)
    assert status == 200
    function, event = recorder.events[-1]
    assert function == "referral-api" and event["rawQueryString"] == query


def test_15_kb_of_headers_get_the_page_and_reach_a_function(served):
    request, recorder = served
    headers = padding(15_000)
    assert 14_000 < sum(len(k) + len(v) + 4 for k, v in headers.items()) < 16_000
    status, _, body = request("/referrals/", headers)
    assert status == 200 and b"Referral clicks" in body
    status, _, _ = request("/api/referrals/stats", headers)
    assert status == 200
    _, event = recorder.events[-1]
    assert "ms_staff=signed-session-token" in event["cookies"]


def test_just_under_both_limits_together_is_answered(served):
    request, _ = served
    path = "/referrals/" + "a" * (MAX_URL_BYTES - 20)
    status, _, _ = request(path, padding(MAX_REQUEST_BYTES - MAX_URL_BYTES - 1_000))
    assert status == 301


def test_a_uri_over_cloudfronts_limit_is_414(served):
    request, recorder = served
    status, _, _ = request("/api/referrals/" + "a" * MAX_URL_BYTES)
    assert status == 414 and recorder.events == []


def test_headers_over_cloudfronts_limit_are_a_4xx_and_reach_no_function(served):
    request, recorder = served
    status, _, body = request("/api/referrals/stats", padding(MAX_REQUEST_BYTES + 4_000))
    assert 400 <= status < 500 and b"Too Large" in body
    assert recorder.events == []


def test_far_over_the_limits_still_gets_an_answer(served):
    request, _ = served
    status, _, _ = request("/" + "a" * 100_000)
    assert 400 <= status < 500
