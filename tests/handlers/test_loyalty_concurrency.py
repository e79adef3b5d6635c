"""Many tills and desks at once, on DynamoDB Local (AWS's engine; moto is not concurrency-safe):
earns, retried sales, redeems and reverses on the same members. Afterwards every balance equals
the sum of its ledger, none is negative, each sale was credited once, and no redeem overdrew.

Each worker is its own process, as concurrent Lambda environments are.
"""

from __future__ import annotations

import multiprocessing
import random
from collections import Counter
from concurrent.futures import ProcessPoolExecutor

MEMBERS, LEDGER = "mainstreet-dev-loyalty-members", "mainstreet-dev-loyalty-ledger"
PHONES = ("+6591230001", "+6591230002", "+6591230003")  # real Singapore mobile numbers (the desk checks)
WORKERS, STEPS = 8, 30
_earn = _desk = _cookie = None


def work(worker: int) -> dict:
    from handlers.shared import aws

    aws.client.cache_clear()
    rng = random.Random(worker)
    outcome: Counter = Counter()
    mine: list[str] = []
    for step in range(STEPS):
        phone = PHONES[rng.randrange(len(PHONES))]
        roll = rng.random()
        if roll < 0.5:
            sale_id = f"W{worker}-S{step}"
            sale = {"sale_id": sale_id, "phone": phone, "total": "40.00", "items": [], "occurred_at": "2026-11-22T10:00:00Z"}
            for _ in range(2 if roll < 0.2 else 1):  # some tills retry the same sale
                answer = _earn.invoke(sale)
                outcome[f"earn:{answer['decision']}"] += 1
            outcome[f"sale:{sale_id}:{phone}"] = 1
        elif roll < 0.85:
            reply = _desk.post("/api/redeem", {"phone": phone, "reward_id": "free-drink"}, headers={"cookie": _cookie})
            outcome[f"redeem:{reply.status}"] += 1
            if reply.status == 200:
                mine.append(reply.json()["redemption_id"])
        elif mine:
            reply = _desk.post(f"/api/redemptions/{mine.pop()}/reverse", {"reason": "test reverse"}, headers={"cookie": _cookie})
            outcome[f"reverse:{reply.status}"] += 1
    return dict(outcome)


def test_concurrent_earns_retries_redeems_and_reverses_keep_every_balance_exact(function, on_dynamodb_local, staff_cookie):
    global _earn, _desk, _cookie
    _earn, _desk, _cookie = function("loyalty-earn"), function("loyalty-redeem"), staff_cookie
    for phone in PHONES:  # start everyone with enough for a few redeems
        _earn.invoke({"sale_id": f"seed-{phone[1:]}", "phone": phone, "total": "300.00", "items": [], "occurred_at": "2026-11-22T09:00:00Z"})
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(WORKERS, mp_context=context) as pool:
        results = list(pool.map(work, range(WORKERS)))
    totals: Counter = Counter()
    for result in results:
        totals.update(result)
    assert totals["redeem:200"] > 0 and totals["redeem:409"] > 0, totals  # some redeems hit an empty balance
    assert totals["reverse:200"] > 0
    statuses = {k for k in totals if k.startswith(("redeem:", "reverse:"))}
    assert statuses <= {"redeem:200", "redeem:409", "reverse:200", "reverse:409"}, statuses

    ddb = on_dynamodb_local
    sales_by_phone = Counter(key.split(":")[2] for key in totals if key.startswith("sale:"))
    for phone in PHONES:
        member = ddb.get_item(TableName=MEMBERS, Key={"phone": {"S": phone}}, ConsistentRead=True)["Item"]
        rows = ddb.query(TableName=LEDGER, KeyConditionExpression="phone = :p", ExpressionAttributeValues={":p": {"S": phone}},
                         ConsistentRead=True)["Items"]
        balance = int(member["balance"]["N"])
        assert balance == sum(int(r["points_change"]["N"]) for r in rows), phone
        assert balance >= 0
        kinds = Counter(r["entry"]["S"].split("#")[0] for r in rows)
        assert kinds["sale"] == sales_by_phone[phone] + 1  # each sale once (+ the seed), retries included
        assert kinds["redeem"] >= kinds["reverse"]


RACES = 20


def race(worker: int) -> list[tuple[str, str, dict]]:
    """Every worker sends the same sale ids, each with a phone of its own choosing: tills retrying
    a sale with a mistyped number, at the same moment."""
    from handlers.shared import aws

    aws.client.cache_clear()
    rng = random.Random(1000 + worker)
    answers = []
    for n in range(RACES):
        phone = PHONES[rng.randrange(len(PHONES))]
        sale = {"sale_id": f"RACE-{n}", "phone": phone, "total": "40.00", "items": [], "occurred_at": "2026-11-22T10:00:00Z"}
        answers.append((sale["sale_id"], phone, _earn.invoke(sale)))
    return answers


def test_a_sale_id_sent_at_once_with_different_phones_is_credited_to_one_member_once(function, on_dynamodb_local):
    global _earn
    _earn = function("loyalty-earn")
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(WORKERS, mp_context=context) as pool:
        answers = [a for result in pool.map(race, range(WORKERS)) for a in result]

    ddb = on_dynamodb_local
    credited: dict[str, list[str]] = {}
    for phone in PHONES:
        rows = ddb.query(TableName=LEDGER, KeyConditionExpression="phone = :p", ExpressionAttributeValues={":p": {"S": phone}},
                         ConsistentRead=True)["Items"]
        for row in rows:
            credited.setdefault(row["entry"]["S"].removeprefix("sale#"), []).append(phone)
        member = ddb.get_item(TableName=MEMBERS, Key={"phone": {"S": phone}}, ConsistentRead=True).get("Item")
        assert (int(member["balance"]["N"]) if member else 0) == sum(int(r["points_change"]["N"]) for r in rows)
    assert sorted(credited) == sorted(f"RACE-{n}" for n in range(RACES))
    assert all(len(phones) == 1 for phones in credited.values()), credited
    refused = Counter()
    for sale_id, phone, answer in answers:
        if phone == credited[sale_id][0]:
            assert (answer["member_id"], answer["points_added"]) == (phone, 40), answer
        else:
            assert answer in ({"refused": "sale_id_reused"}, {"refused": "busy"}), answer
            refused[answer["refused"]] += 1
    assert refused["sale_id_reused"] > 0, refused


HELD = 6


def review(worker: int) -> Counter:
    """Every desk presses Release on every held sale, while the owner takes points away and
    customers redeem: a held sale is credited once, an adjustment never overdraws."""
    from handlers.shared import aws

    aws.client.cache_clear()
    rng = random.Random(2000 + worker)
    outcome: Counter = Counter()
    for n in rng.sample(range(HELD), HELD):
        phone = PHONES[n % len(PHONES)]
        reply = _desk.post("/api/held/release", {"member_id": phone, "sale_id": f"HELD-{n}"}, headers={"cookie": _cookie})
        outcome[f"release:HELD-{n}:{reply.status}"] += 1
        phone = PHONES[rng.randrange(len(PHONES))]
        if rng.random() < 0.5:
            body = {"phone": phone, "points": -150, "reason": "race test", "request_id": f"adjust-{worker}-{n}"}
            outcome[f"adjust:{_desk.post('/api/members/adjust', body, headers={'cookie': _cookie}).status}"] += 1
        else:
            body = {"phone": phone, "reward_id": "free-drink"}
            outcome[f"redeem:{_desk.post('/api/redeem', body, headers={'cookie': _cookie}).status}"] += 1
    return outcome


def test_releases_adjustments_and_redeems_at_once_keep_every_balance_exact(function, on_dynamodb_local, staff_cookie):
    global _earn, _desk, _cookie
    _earn, _desk, _cookie = function("loyalty-earn"), function("loyalty-redeem"), staff_cookie
    for n in range(HELD):
        held = {"sale_id": f"HELD-{n}", "phone": PHONES[n % len(PHONES)], "total": "450.00", "items": [], "occurred_at": "2026-11-22T09:00:00Z"}
        assert _earn.invoke(held)["decision"] == "hold_for_review"
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(WORKERS, mp_context=context) as pool:
        totals: Counter = sum(pool.map(review, range(WORKERS)), Counter())
    for n in range(HELD):
        assert totals[f"release:HELD-{n}:200"] == 1, totals  # once, whoever pressed first
        assert totals[f"release:HELD-{n}:409"] == WORKERS - 1, totals
    assert totals["adjust:200"] > 0 and totals["adjust:409"] > 0, totals  # some would have overdrawn
    ddb = on_dynamodb_local
    for phone in PHONES:
        member = ddb.get_item(TableName=MEMBERS, Key={"phone": {"S": phone}}, ConsistentRead=True)["Item"]
        rows = ddb.query(TableName=LEDGER, KeyConditionExpression="phone = :p", ExpressionAttributeValues={":p": {"S": phone}},
                         ConsistentRead=True)["Items"]
        balance = int(member["balance"]["N"])
        assert balance == sum(int(r["points_change"]["N"]) for r in rows) and balance >= 0, phone
        assert Counter(r["entry"]["S"].split("#")[0] for r in rows)["release"] == HELD // len(PHONES)
