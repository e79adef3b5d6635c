"""handlers.shared.claims on DynamoDB Local (AWS's engine; conditional writes and races are the
point): a step runs once, a crashed claim is taken over after its lease, a failed step is redone,
done is final. Concurrent claimers are separate processes, as concurrent Lambda environments are.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor

import pytest

from handlers.shared import claims

TABLE = "mainstreet-dev-charters"  # any table of the program's: (pk, sk), like most
KEY = {"pk": "EVENT#Etest", "sk": "EVENT"}
START = 1_800_000_000.0
_start = None  # the event the forked claimers wait on


class Clock:
    def __init__(self, at: float = START):
        self.at = at

    def __call__(self) -> float:
        return self.at


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def spot(on_dynamodb_local, clock):
    return claims.Spot(TABLE, KEY, name="guest_page", clock=clock)


def item(ddb) -> dict:
    return ddb.get_item(TableName=TABLE, Key={k: {"S": v} for k, v in KEY.items()}, ConsistentRead=True).get("Item", {})


class Steps:
    """A step that counts its runs, and can fail."""

    def __init__(self, fail: int = 0):
        self.runs, self.fail = 0, fail

    def __call__(self):
        self.runs += 1
        if self.fail:
            self.fail -= 1
            raise RuntimeError("SES throttled")
        return f"run-{self.runs}"


def test_the_first_claim_wins_and_a_live_lease_makes_others_skip(spot, on_dynamodb_local):
    first = claims.claim(spot)
    assert first.outcome == claims.CLAIMED and first.lease_until == int(START) + claims.LEASE_S
    second = claims.claim(spot)
    assert (second.outcome, second.owner, second.lease_until) == (claims.BUSY, first.owner, first.lease_until)
    step = Steps()
    assert claims.once(spot, step) == claims.BUSY and step.runs == 0
    held = item(on_dynamodb_local)["guest_page"]["M"]
    assert held["state"]["S"] == "running" and held["owner"]["S"] == first.owner


def test_done_is_final_even_long_after_the_lease(spot, clock, on_dynamodb_local):
    step = Steps()
    assert claims.once(spot, step) == claims.RAN
    for later in (0, claims.LEASE_S + 1, 365 * 86400):
        clock.at = START + later
        assert claims.once(spot, step) == claims.DONE
    assert step.runs == 1
    assert item(on_dynamodb_local)["guest_page"]["M"]["state"]["S"] == "done"


def test_a_failed_step_is_released_and_the_retry_runs_it(spot, on_dynamodb_local):
    step = Steps(fail=1)
    with pytest.raises(RuntimeError):
        claims.once(spot, step, failed={"status": "failed"})
    left = item(on_dynamodb_local)
    assert "guest_page" not in left and left["status"]["S"] == "failed"  # no lease to wait out
    assert claims.once(spot, step, succeeded=lambda result: {"status": "sent", "result": result}) == claims.RAN
    assert step.runs == 2
    assert item(on_dynamodb_local)["result"]["S"] == "run-2" and item(on_dynamodb_local)["status"]["S"] == "sent"


def _claim_and_die(clock_at: float) -> None:
    from handlers.shared import aws

    aws.client.cache_clear()  # a new environment makes its own connections
    spot = claims.Spot(TABLE, KEY, name="guest_page", clock=Clock(clock_at))
    claims.once(spot, lambda: os._exit(137))  # killed between claim and done, as a Lambda timeout would


def test_a_worker_killed_mid_step_is_taken_over_once_its_lease_lapses(spot, clock, on_dynamodb_local):
    worker = multiprocessing.get_context("fork").Process(target=_claim_and_die, args=(START,))
    worker.start()
    worker.join(30)
    assert worker.exitcode == 137
    assert item(on_dynamodb_local)["guest_page"]["M"]["state"]["S"] == "running"

    step = Steps()
    clock.at = START + claims.LEASE_S  # the last second of the lease: the dead worker might still be running
    assert claims.once(spot, step) == claims.BUSY and step.runs == 0
    clock.at = START + claims.LEASE_S + 1
    assert claims.once(spot, step) == claims.RAN and step.runs == 1
    assert claims.once(spot, step) == claims.DONE and step.runs == 1


def test_a_retry_with_the_same_owner_takes_its_own_claim_back_at_once(spot):
    taken = claims.claim(spot, owner="record-7")
    assert taken.outcome == claims.CLAIMED and taken.owner == "record-7"
    assert claims.claim(spot, owner="record-8").outcome == claims.BUSY  # another record waits for the lease
    step = Steps()
    assert claims.once(spot, step, owner="record-7") == claims.RAN
    assert claims.once(spot, step, owner="record-7") == claims.DONE and step.runs == 1  # done stays done


def test_a_worker_whose_lease_was_taken_over_cannot_settle_the_new_claim(spot, clock, on_dynamodb_local):
    slow = claims.claim(spot)
    clock.at = START + claims.LEASE_S + 1
    fresh = claims.claim(spot)
    assert fresh.outcome == claims.CLAIMED and fresh.owner != slow.owner
    assert claims.release(spot, slow) is False and claims.done(spot, slow) is False
    assert item(on_dynamodb_local)["guest_page"]["M"]["owner"]["S"] == fresh.owner
    assert claims.done(spot, fresh) is True


def test_only_if_refuses_without_claiming(on_dynamodb_local, clock):
    ddb = on_dynamodb_local
    ddb.put_item(TableName=TABLE, Item={"pk": {"S": "EVENT#Etest"}, "sk": {"S": "CREW#c1"}, "link_version": {"N": "2"}})
    crew = {"pk": "EVENT#Etest", "sk": "CREW#c1"}
    stale = claims.Spot(TABLE, crew, name="mail_v1", only_if=("link_version = :version", {":version": 1}), clock=clock)
    current = claims.Spot(TABLE, crew, name="mail_v2", only_if=("link_version = :version", {":version": 2}), clock=clock)
    step = Steps()
    assert claims.once(stale, step) == claims.REFUSED and step.runs == 0
    assert claims.once(current, step) == claims.RAN and step.runs == 1


def _claimer(_: int) -> str:
    from handlers.shared import aws

    aws.client.cache_clear()
    _start.wait()
    spot = claims.Spot(TABLE, KEY, name="guest_page")

    def step():  # counted in the table, where every process can see it
        aws.client("dynamodb").update_item(TableName=TABLE, Key={"pk": {"S": "RUNS"}, "sk": {"S": "RUNS"}},
                                           UpdateExpression="ADD runs :one", ExpressionAttributeValues={":one": {"N": "1"}})

    return claims.once(spot, step)


def test_concurrent_claimers_run_the_step_exactly_once(on_dynamodb_local):
    global _start
    context = multiprocessing.get_context("fork")
    for round_ in range(5):
        on_dynamodb_local.delete_item(TableName=TABLE, Key={k: {"S": v} for k, v in KEY.items()})
        _start = context.Event()
        with ProcessPoolExecutor(8, mp_context=context) as pool:
            futures = [pool.submit(_claimer, i) for i in range(8)]
            _start.set()
            outcomes = [f.result() for f in futures]
        assert outcomes.count(claims.RAN) == 1, outcomes
        assert set(outcomes) <= {claims.RAN, claims.BUSY, claims.DONE}
        runs = on_dynamodb_local.get_item(TableName=TABLE, Key={"pk": {"S": "RUNS"}, "sk": {"S": "RUNS"}}, ConsistentRead=True)
        assert runs["Item"]["runs"]["N"] == str(round_ + 1)
