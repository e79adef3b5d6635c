"""Table streams locally: what Lambda's event source mappings do on AWS. Each mapping the
program declares polls its table's stream on DynamoDB Local and hands the function batches of
records; records the function reports as failed are handed to it again, a few times."""

from __future__ import annotations

import threading
import time
from typing import Any, Callable

POLL_S = 0.3
RETRIES = 3


class StreamPoller:
    def __init__(self, table: str, function: str, batch_size: int, dynamodb, streams, invoke: Callable[[str, dict], Any],
                 log: Callable[[str], None], region: str):
        self.table, self.function, self.batch_size = table, function, batch_size
        self.dynamodb, self.streams = dynamodb, streams
        self.invoke, self.log, self.region = invoke, log, region
        self.iterators: dict[str, str] = {}
        self.done_shards: set[str] = set()
        self._stop = threading.Event()

    def _iterator(self, stream_arn: str, shard_id: str) -> str:
        # From the shard's start: the tables are new at each start (or, with --persist, the
        # handlers' own idempotency makes a replayed record harmless). DynamoDB Local also
        # refuses LATEST iterators taken on an empty shard.
        return self.streams.get_shard_iterator(
            StreamArn=stream_arn, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]

    def _refresh_shards(self, stream_arn: str) -> None:
        for shard in self.streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]:
            shard_id = shard["ShardId"]
            if shard_id not in self.iterators and shard_id not in self.done_shards:
                self.iterators[shard_id] = self._iterator(stream_arn, shard_id)

    def _deliver(self, stream_arn: str, records: list[dict]) -> None:
        for record in records:
            change = record.get("dynamodb", {})
            when = change.get("ApproximateCreationDateTime")
            if hasattr(when, "timestamp"):
                change["ApproximateCreationDateTime"] = int(when.timestamp())
            record.update(eventSourceARN=stream_arn, awsRegion=self.region, eventSource="aws:dynamodb")
        for start in range(0, len(records), self.batch_size):
            batch = records[start:start + self.batch_size]
            for attempt in range(RETRIES + 1):
                reply = self.invoke(self.function, {"Records": batch})
                failed = {f["itemIdentifier"] for f in ((reply.result or {}).get("batchItemFailures") or [])}
                if not reply.error and not failed:
                    break
                batch = batch if reply.error else [r for r in batch if r["dynamodb"]["SequenceNumber"] in failed]
                if attempt == RETRIES:
                    self.log(f"stream {self.table} → {self.function}: gave up on {len(batch)} records")
                time.sleep(0.5 * (attempt + 1))

    def loop(self) -> None:
        stream_arn = self.dynamodb.describe_table(TableName=self.table)["Table"]["LatestStreamArn"]
        while not self._stop.wait(POLL_S):
            try:
                self._refresh_shards(stream_arn)
                for shard_id, iterator in list(self.iterators.items()):
                    try:
                        page = self.streams.get_records(ShardIterator=iterator, Limit=100)
                    except self.streams.exceptions.TrimmedDataAccessException:
                        self.iterators[shard_id] = self._iterator(stream_arn, shard_id)
                        continue
                    if page.get("Records"):
                        self._deliver(stream_arn, page["Records"])
                    if page.get("NextShardIterator"):
                        self.iterators[shard_id] = page["NextShardIterator"]
                    else:
                        del self.iterators[shard_id]
                        self.done_shards.add(shard_id)
            except Exception as exc:  # the engine restarting, a shard expiring: poll again
                self.log(f"stream {self.table}: {exc}")
                time.sleep(1)

    def start(self) -> None:
        threading.Thread(target=self.loop, name=f"stream-{self.table}", daemon=True).start()

    def stop(self) -> None:
        self._stop.set()


def from_graph(graph, dynamodb, streams, invoke, log, region) -> list[StreamPoller]:
    tables = {t.outputs["streamArn"]: t.inputs["name"] for t in graph.of_type("aws:dynamodb/table:Table")}
    functions = {f.inputs["name"]: f.name for f in graph.of_type("aws:lambda/function:Function")}
    pollers = []
    for mapping in graph.of_type("aws:lambda/eventSourceMapping:EventSourceMapping"):
        table = tables.get(mapping.inputs["eventSourceArn"])
        if table:
            pollers.append(StreamPoller(table, functions[mapping.inputs["functionName"]], int(mapping.inputs.get("batchSize", 10)),
                                        dynamodb, streams, invoke, log, region))
    return pollers
