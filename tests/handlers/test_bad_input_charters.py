"""Charters under generated bad requests (tests/handlers/badinput.py): the marketplace intake,
the crew magic-link API and the staff API answer a 4xx in the house shape and write nothing."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from hypothesis import assume, given, strategies as st

from ops import harness
from tests.handlers.badinput import EXAMPLES, bad_requests, generated, path_segments, refused_cleanly, requests, snapshot_tables
from tests.handlers.test_charters import BOOKING, OPS_HOST, TABLE, crew_token

BOOKING_FIELDS = tuple(BOOKING) + ("meeting_point",)
KEY = harness.TEST_SERVICE_KEY


def charter_items() -> list[str]:
    """The charters table, the only one these functions may write: checked after every example
    (cheap); every table is compared once around each run (snapshot_tables scans them all)."""
    from handlers.shared.aws import client

    return sorted(json.dumps(i, sort_keys=True) for i in client("dynamodb").scan(TableName=TABLE, ConsistentRead=True)["Items"])


def with_headers(request: dict, **headers) -> dict:
    return {**request, "headers": {**request["headers"], **headers}}


@bad_requests(fields=BOOKING_FIELDS, examples=80)
def test_bookings_with_the_service_key(function, request):
    intake = function("charter-intake")
    before = snapshot_tables()
    reply = intake.request("POST", "/api/bookings", host=OPS_HOST, **with_headers(request, **{"x-api-key": KEY}))
    refused_cleanly(reply)
    assert snapshot_tables() == before


@bad_requests(fields=BOOKING_FIELDS)
def test_bookings_without_the_service_key(function, request):
    intake = function("charter-intake")
    before = snapshot_tables()
    reply = intake.request("POST", "/api/bookings", host=OPS_HOST, **request)
    refused_cleanly(reply)
    assert reply.status == 401
    assert snapshot_tables() == before


@pytest.fixture
def booked(function, sent_mail):
    """A booking made here: its event id and Ada's (c2) crew link, already acknowledged, so a
    repeated yes changes nothing and any write a bad request makes shows."""
    intake, crew = function("charter-intake"), function("charter-crew")
    answer = intake.post("/api/bookings", BOOKING, headers={"x-api-key": KEY}, host=OPS_HOST).json()
    token = crew_token(sent_mail, "ada@crew.example")
    assert crew.post("/api/crew/acknowledge", {"acknowledged": True}, headers={"x-crew-token": token}, host=OPS_HOST).status == 200
    return answer["event_id"], token


def is_a_yes(body: bytes) -> bool:
    """Nothing, {} or {"acknowledged": true} (other keys ignored): all an acknowledgement takes."""
    try:
        data = json.loads(body) if body.strip() else {}
    except ValueError:
        return False
    return isinstance(data, dict) and data.get("acknowledged", True) is True


tokens = st.one_of(st.text(max_size=200), path_segments, st.sampled_from(["", "garbage", "a.b.c", "eyJ9.x", "." * 300]))


@pytest.mark.parametrize("method, path, fields", [("GET", "/api/crew/assignment", ()),
                                                  ("POST", "/api/crew/acknowledge", ("acknowledged",)),
                                                  ("POST", "/api/crew/checklist", ("item", "done"))])
def test_crew_endpoints_with_a_real_link(function, booked, method, path, fields):
    crew = function("charter-crew")
    _, token = booked

    @bad_requests(fields=fields)
    def run(request):
        before = charter_items()
        reply = crew.request(method, path, host=OPS_HOST, **with_headers(request, **{"x-crew-token": token}))
        if reply.status == 200:  # a request that happens to be good: the assignment, or a yes given before
            assert method == "GET" or (path.endswith("acknowledge") and is_a_yes(request["body"])), (request, reply.text)
        else:
            refused_cleanly(reply)
        assert charter_items() == before

    everything = snapshot_tables()
    run()
    assert snapshot_tables() == everything


@pytest.mark.parametrize("method, path, fields", [("GET", "/api/crew/assignment", ()),
                                                  ("POST", "/api/crew/acknowledge", ("acknowledged",)),
                                                  ("POST", "/api/crew/checklist", ("item", "done"))])
def test_crew_endpoints_with_made_up_links(function, booked, method, path, fields):
    crew = function("charter-crew")

    @generated(EXAMPLES)
    @given(token=tokens, request=st.builds(dict, body=st.just(b'{"item": "Deck clean", "done": true}'),
                                           headers=st.just({"content-type": "application/json"})))
    def run(token, request):
        before = charter_items()
        reply = crew.request(method, path, host=OPS_HOST, **with_headers(request, **{"x-crew-token": token}))
        refused_cleanly(reply)
        assert reply.status in (401, 410)
        assert charter_items() == before

    everything = snapshot_tables()
    run()
    assert snapshot_tables() == everything


def staff_paths(event_id: str):
    # As typed (where it stays one segment) and percent-encoded.
    segment = st.one_of(path_segments.filter(lambda s: not set(s) & set("/?#")), path_segments.map(lambda s: quote(s, safe="")))
    ids = st.one_of(segment, st.just(event_id))
    return st.one_of(
        ids.map(lambda e: ("GET", f"/api/charters/events/{e}")),
        ids.map(lambda e: ("GET", f"/api/charters/events/{e}/money")),
        st.tuples(ids, segment, st.sampled_from(["revoke", "reissue"])).map(
            lambda p: ("POST", f"/api/charters/events/{p[0]}/crew/{p[1]}/{p[2]}")),
        segment.map(lambda q: ("GET", "/api/charters/events?month=" + q)),
    )


@pytest.mark.parametrize("signed_in", [True, False])
def test_staff_endpoints_with_made_up_ids_and_bodies(function, booked, staff_cookie, sent_mail, signed_in):
    staff = function("charter-staff")
    event_id, _ = booked
    mails = len(sent_mail())

    @generated(2 * EXAMPLES)
    @given(target=staff_paths(event_id), request=requests())
    def run(target, request):
        method, path = target
        assume("/crew/c1/" not in path and "/crew/c2/" not in path)  # real crew: revoking them is a good request
        path, _, query = path.partition("?")
        if signed_in:
            request = with_headers(request, cookie=staff_cookie)
        before = charter_items()
        reply = staff.request(method, path, query=query, host=OPS_HOST, **request)
        if signed_in and reply.status == 200:  # the real event, or a month's calendar
            assert method == "GET", reply.text
        else:
            refused_cleanly(reply)
        if not signed_in:
            assert reply.status in (401, 404), reply.text  # 404: no such route, before the session is asked for
        assert charter_items() == before

    everything = snapshot_tables()
    run()
    assert snapshot_tables() == everything
    assert len(sent_mail()) == mails
