"""Local mode's control endpoints (/_local/: the credentials, the outbox, invoking a function)
answer on the machine's bare name only; on a site's host, /_local/ is that site's path like any
other, so a site's pages and scripts never see the credentials."""

from __future__ import annotations

import http.client
import json
import threading
from http.server import ThreadingHTTPServer

import pytest

from ops.local.frontdoor import Response
from ops.local.server import LocalSystem, is_control_host

PASSWORD = "k7xq-m2pd-4tzv-9hwe"


class SiteStandIn:
    """Stands in for the front door: records what reached a site."""

    def __init__(self):
        self.seen: list[tuple[str, str, str]] = []

    def handle(self, site: str, request) -> Response:
        self.seen.append((site, request.method, request.path))
        return Response(404, [("Content-Type", "text/html")], b"<p>the site's own 404</p>")


@pytest.fixture
def served():
    system = LocalSystem("dev", port=0)
    system.credentials = {"staff_email": "owner@example.com", "staff_password": PASSWORD, "service_key": "k" * 43, "pos_hmac_secret": "f" * 64}
    system.sites = {"ops": object(), "brand": object()}
    system.frontdoor = SiteStandIn()
    system.index = lambda: {"sites": {"ops": "http://ops.localhost/"}, "credentials": dict(system.credentials)}
    server = ThreadingHTTPServer(("127.0.0.1", 0), system._handler_class())
    system.port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()

    def request(host: str, path: str, method: str = "GET") -> tuple[int, bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", system.port, timeout=10)
        connection.request(method, path, body=b"{}" if method == "POST" else None,
                           headers={"Host": host.format(port=system.port)})
        response = connection.getresponse()
        answer = response.status, response.read()
        connection.close()
        return answer

    yield request, system
    server.shutdown()
    server.server_close()


def test_the_index_and_its_credentials_answer_on_the_bare_name(served):
    request, _ = served
    for host in ("localhost:{port}", "127.0.0.1:{port}", "LOCALHOST:{port}"):
        status, body = request(host, "/_local/")
        assert status == 200 and json.loads(body)["credentials"]["staff_password"] == PASSWORD, host
    status, body = request("localhost:{port}", "/")
    assert status == 200 and PASSWORD.encode() in body


@pytest.mark.parametrize("path", ["/_local/", "/_local", "/_local/outbox.json", "/_local/outbox"])
def test_on_a_site_host_local_paths_are_the_sites_own(served, path):
    request, system = served
    status, body = request("ops.localhost:{port}", path)
    assert (status, body) == (404, b"<p>the site's own 404</p>")
    assert PASSWORD.encode() not in body
    assert system.frontdoor.seen == [("ops", "GET", path)]


def test_on_a_site_host_no_function_is_invoked_through_local(served):
    request, system = served
    status, body = request("ops.localhost:{port}", "/_local/functions/anything/invoke", method="POST")
    assert status == 404 and system.frontdoor.seen == [("ops", "POST", "/_local/functions/anything/invoke")]


@pytest.mark.parametrize("host", ["nosuch.localhost:{port}", "evil.example:{port}", "localhost.evil.example:{port}", ""])
def test_other_names_see_neither_the_index_nor_the_staff_password(served, host):
    request, system = served
    for path in ("/_local/", "/"):
        status, body = request(host, path)
        assert status == 404 and PASSWORD.encode() not in body, (host, path)
    assert system.frontdoor.seen == []


@pytest.mark.parametrize("host, control", [
    ("localhost", True), ("localhost:8080", True), ("127.0.0.1:8080", True), ("Localhost:1", True),
    ("ops.localhost:8080", False), ("localhost.example:8080", False), ("127.0.0.2:8080", False),
    ("[::1]:8080", False), ("", False),
])
def test_control_hosts(host, control):
    assert is_control_host(host) is control


def _raw(system, lines: list[str], body: bytes = b"") -> tuple[int, bytes]:
    """A request written by hand (headers no client library would send)."""
    connection = http.client.HTTPConnection("127.0.0.1", system.port, timeout=30)
    connection.connect()
    connection.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
    response = http.client.HTTPResponse(connection.sock)
    response.begin()
    answer = response.status, response.read()
    connection.close()
    return answer


@pytest.mark.parametrize("headers", [
    ["Origin: https://evil.example", "Content-Type: text/plain"],
    ["Origin: http://ops.localhost:8080"],  # a site's own pages are not the machine's tools
    ["Sec-Fetch-Site: cross-site"],
    ["Origin: null"],
])
def test_a_web_page_cannot_make_local_control_do_anything(served, headers):
    """A cross-site POST is sent by a browser without asking first: it must not run a schedule or
    invoke a function (the page cannot read the answer, but the write would happen)."""
    _, system = served
    ran = []
    system.scheduler = type("Scheduler", (), {"run": lambda self, name: ran.append(name)})()
    status, body = _raw(system, ["POST /_local/schedules/referral-digest/run HTTP/1.1", f"Host: localhost:{system.port}",
                                 *headers, "Content-Length: 2"], b"{}")
    assert status == 403 and b"not from web pages" in body
    assert ran == []


@pytest.mark.parametrize("length, status", [("99999999999", 413), ("-5", 400), ("ten", 400), ("1e3", 400)])
def test_a_content_length_no_function_could_take_is_refused_without_reading_it(served, length, status):
    _, system = served
    answer, _ = _raw(system, ["POST /api/anything HTTP/1.1", f"Host: ops.localhost:{system.port}", f"Content-Length: {length}"])
    assert answer == status
    assert system.frontdoor.seen == []


def test_a_function_invoke_with_a_payload_that_is_not_json_is_400(served):
    _, system = served
    system.graph = type("Graph", (), {"of_type": lambda self, typ: [
        type("Fn", (), {"name": "earn", "inputs": {"name": "mainstreet-dev-loyalty-earn"}})()]})()
    status, body = _raw(system, ["POST /_local/functions/mainstreet-dev-loyalty-earn/invoke HTTP/1.1",
                                 f"Host: localhost:{system.port}", "Content-Length: 1"], b"{")
    assert status == 400 and json.loads(body)["error"] == "invalid_json"
