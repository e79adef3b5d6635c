"""Concurrent clicks on DynamoDB Local (AWS's engine; moto is not concurrency-safe): every
click counted exactly once, by atomic ADDs inside one transaction per click.

Lambda runs concurrent requests in separate execution environments, so each concurrent caller
here is a separate process (forked with the handler loaded), never a thread sharing one module.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor

STATS, CLICKS = "mainstreet-dev-referral-stats", "mainstreet-dev-referral-clicks"
PER_WORKER, WORKERS = 40, 8
_click = None  # the handler client the forked workers inherit


def burst(worker: int) -> list[int]:
    from handlers.shared import aws

    aws.client.cache_clear()  # a new environment makes its own connections
    statuses = []
    for i in range(PER_WORKER):
        code = "solare" if i % 4 else "nobody"  # every fourth click is an orphan
        agent = {"user-agent": "Twitterbot/1.0"} if i % 10 == 0 else {}
        address = {"cloudfront-viewer-address": f"198.51.100.{worker}:{i}"}
        statuses.append(_click.get(f"/ref/{code}", headers={**agent, **address}).status)
    return statuses


def test_concurrent_clicks_are_counted_exactly(function, on_dynamodb_local):
    global _click
    _click = function("referral-click")
    with ProcessPoolExecutor(WORKERS, mp_context=multiprocessing.get_context("fork")) as pool:
        statuses = [s for batch in pool.map(burst, range(WORKERS)) for s in batch]
    assert statuses == [302] * (PER_WORKER * WORKERS)

    ddb = on_dynamodb_local

    def total(vendor):
        item = ddb.get_item(TableName=STATS, Key={"pk": {"S": "TOTAL"}, "sk": {"S": vendor}}, ConsistentRead=True)["Item"]
        return int(item.get("clicks", {"N": "0"})["N"]), int(item.get("bot_hits", {"N": "0"})["N"])

    # Per worker, i in 0..39: orphans where i % 4 == 0 (10), bots where i % 10 == 0 (i = 0, 10, 20, 30);
    # so solare has 28 human clicks and 2 bot hits, the orphan row 8 and 2.
    assert total("solare") == (WORKERS * 28, WORKERS * 2)
    assert total("_orphan") == (WORKERS * 8, WORKERS * 2)
    assert ddb.scan(TableName=CLICKS, Select="COUNT", ConsistentRead=True)["Count"] == PER_WORKER * WORKERS
    day = ddb.query(TableName=STATS, KeyConditionExpression="pk = :pk",
                    ExpressionAttributeValues={":pk": {"S": "DAY#solare"}}, ConsistentRead=True)["Items"][0]
    assert int(day["clicks"]["N"]) == WORKERS * 28
    assert len(day["visitors"]["SS"]) == WORKERS  # one address and agent per worker
