"""Dispatch under generated bad requests (tests/handlers/badinput.py): the booking form, tracking
links, the flow and the dispatcher's board answer a 4xx in the house shape (a GET that happens to
be good: any status under 500) and write nothing."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from hypothesis import given, strategies as st

from handlers.dispatch.models import Booking, StaffJob
from tests.handlers.badinput import EXAMPLES, bad_requests, generated, path_segments, refused_cleanly, snapshot_tables
from tests.handlers.test_dispatch import HOST, booking

BOOKING_FIELDS = tuple(Booking.model_fields)
STAFF_JOB_FIELDS = tuple(StaffJob.model_fields)
# Path parameters as a client may send them: percent-encoded, or raw (a "/" then misses the route).
segments = st.one_of(path_segments.map(lambda s: quote(s, safe="")), path_segments)


def with_headers(request: dict, **headers) -> dict:
    return {**request, "headers": {**request["headers"], **headers}}


def cookie(staff_cookie: str, signed_in: bool) -> dict:
    return {"cookie": staff_cookie} if signed_in else {}


@pytest.fixture
def booked(function):
    """A job on the board, so that a bad request that wrote to it would show."""
    reply = function("dispatch-booking").post("/api/bookings", booking(request_id="form-0a1b2c3d4e"), host=HOST)
    assert reply.status == 201, reply.text
    return reply.json()


@bad_requests(fields=BOOKING_FIELDS, examples=80)
def test_bookings(function, request):
    public = function("dispatch-booking")
    before = snapshot_tables()
    reply = public.request("POST", "/api/bookings", host=HOST, **request)
    refused_cleanly(reply)
    assert snapshot_tables() == before


def test_tracking_links(function, booked):
    track = function("dispatch-track")

    @generated(EXAMPLES * 2)
    @given(token=st.one_of(segments, st.text(alphabet="ABCabc0123456789-_", min_size=31, max_size=33)))
    def run(token):
        reply = track.get(f"/api/track/{token}", host=HOST)
        refused_cleanly(reply)
        assert reply.status in (404, 410)

    run()


@bad_requests()
def test_the_flow(function, request):
    reply = function("dispatch-track").request("GET", "/api/flow", host=HOST, **request)
    assert reply.status < 500


@pytest.mark.parametrize("signed_in", [True, False])
def test_listing_jobs(function, staff_cookie, booked, signed_in):
    board = function("dispatch-board")

    @generated(EXAMPLES)
    @given(query=st.one_of(segments.map(lambda s: "status=" + s), segments, st.just("status=pending_pickup&status=x")))
    def run(query):
        reply = board.get("/api/jobs", query=query, headers=cookie(staff_cookie, signed_in), host=HOST)
        assert reply.status < 500
        if reply.status != 200:
            refused_cleanly(reply)
        if not signed_in:
            assert reply.status == 401

    run()


@pytest.mark.parametrize("signed_in", [True, False])
def test_entering_jobs(function, staff_cookie, booked, signed_in):
    board = function("dispatch-board")

    @bad_requests(fields=STAFF_JOB_FIELDS)
    def run(request):
        before = snapshot_tables()
        reply = board.request("POST", "/api/jobs", host=HOST, **with_headers(request, **cookie(staff_cookie, signed_in)))
        refused_cleanly(reply)
        if not signed_in:
            assert reply.status == 401
        assert snapshot_tables() == before

    run()


@pytest.mark.parametrize("signed_in", [True, False])
def test_moving_jobs(function, staff_cookie, booked, signed_in):
    board = function("dispatch-board")
    job_ids = st.one_of(segments, st.just(booked["job_id"]))

    @bad_requests(fields=("from", "to"))
    def with_bodies(request):
        run(request)

    @generated(EXAMPLES)
    @given(job_id=job_ids, request=st.one_of(
        st.just({"headers": {"content-type": "application/json"}, "body": b'{"from": "pending_pickup", "to": "cancelled"}'}),
        st.just({"headers": {"content-type": "application/json"}, "body": b'{"from": "completed", "to": "pending_pickup"}'}),
    ))
    def with_ids(job_id, request):
        if job_id == booked["job_id"] and b'"cancelled"' in request["body"]:
            return  # a good request
        run(request, job_id)

    def run(request, job_id=booked["job_id"]):
        before = snapshot_tables()
        reply = board.request("POST", f"/api/jobs/{job_id}/status", host=HOST,
                              **with_headers(request, **cookie(staff_cookie, signed_in)))
        refused_cleanly(reply)
        if not signed_in:  # or no route at all: a raw "/" or control character in the id
            assert reply.status in (401, 404)
        assert snapshot_tables() == before

    with_bodies()
    with_ids()
