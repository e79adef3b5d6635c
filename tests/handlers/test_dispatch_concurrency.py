"""Two dispatchers move the same job at the same moment, on DynamoDB Local (AWS's engine):
exactly one move wins, the other gets 409, and the job and its tracking copy agree (incident 6).

Each dispatcher is its own process, as two concurrent Lambda environments would be.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

JOBS = "mainstreet-dev-jobs"
ROUNDS = 12
_board = None
_cookie = None
_start = None


def dispatcher(args: tuple[str, str]) -> int:
    job_id, target = args
    from handlers.shared import aws

    aws.client.cache_clear()
    _start.wait()
    reply = _board.post(f"/api/jobs/{job_id}/status", {"from": "pending_pickup", "to": target}, headers={"cookie": _cookie})
    return reply.status


def test_two_dispatchers_one_wins_the_other_is_told(function, on_dynamodb_local, staff_cookie):
    global _board, _cookie, _start
    public = function("dispatch-booking")
    _board, _cookie = function("dispatch-board"), staff_cookie
    day = (datetime.now(ZoneInfo("America/Los_Angeles")).date() + timedelta(days=1)).isoformat()
    ddb = on_dynamodb_local
    context = multiprocessing.get_context("fork")
    for _ in range(ROUNDS):
        booked = public.post("/api/bookings", {"name": "Lee", "phone": "+16195550100", "address": "1 Harbor Dr, San Diego",
                                               "items": "Boxes", "preferred_date": day}).json()
        _start = context.Event()
        with ProcessPoolExecutor(2, mp_context=context) as pool:
            futures = [pool.submit(dispatcher, (booked["job_id"], target)) for target in ("ready_for_pickup", "cancelled")]
            _start.set()
            statuses = [f.result() for f in futures]
        assert sorted(statuses) == [200, 409], statuses
        winner = ("ready_for_pickup", "cancelled")[statuses.index(200)]
        job = ddb.get_item(TableName=JOBS, Key={"pk": {"S": f"JOB#{booked['job_id']}"}}, ConsistentRead=True)["Item"]
        public_copy = ddb.get_item(TableName=JOBS, Key={"pk": {"S": f"TRACK#{booked['tracking_token']}"}}, ConsistentRead=True)["Item"]
        assert job["job_status"]["S"] == public_copy["status"]["S"] == winner


def customer(args: tuple[str, str]) -> tuple[int, dict]:
    request_id, day = args
    from handlers.shared import aws

    aws.client.cache_clear()
    _start.wait()
    reply = _public.post("/api/bookings", {"name": "Lee", "phone": "+16195550100", "address": "1 Harbor Dr, San Diego",
                                           "items": "Boxes", "preferred_date": day, "request_id": request_id})
    return reply.status, reply.json()


_public = None


def test_a_form_sent_twice_at_once_books_once(function, on_dynamodb_local):
    """A double click: both requests carry the form's request id; one job, both told its number."""
    global _public, _start
    _public = function("dispatch-booking")
    day = (datetime.now(ZoneInfo("America/Los_Angeles")).date() + timedelta(days=1)).isoformat()
    context = multiprocessing.get_context("fork")
    for round_ in range(ROUNDS):
        _start = context.Event()
        with ProcessPoolExecutor(2, mp_context=context) as pool:
            futures = [pool.submit(customer, (f"form-race-{round_:04d}", day)) for _ in range(2)]
            _start.set()
            (first, a), (second, b) = (f.result() for f in futures)
        assert sorted((first, second)) == [200, 201], (a, b)
        assert a == b
    jobs = on_dynamodb_local.scan(TableName=JOBS, FilterExpression="begins_with(pk, :j)",
                                  ExpressionAttributeValues={":j": {"S": "JOB#"}})["Items"]
    assert len(jobs) == ROUNDS
