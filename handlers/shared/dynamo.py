"""DynamoDB's typed values to and from plain Python, for the storage modules."""

from __future__ import annotations

import time
from typing import Any, Optional

# A transaction that lost only to another one in flight on the same items is tried again: the
# other commits or fails within milliseconds.
WRITE_ATTEMPTS = 3


class Busy(Exception):
    """Another transaction on the same items kept winning: nothing was written, try again."""


def s(value: str) -> dict:
    return {"S": value}


def n(value: int | float) -> dict:
    return {"N": str(value)}


def plain(item: dict) -> dict[str, Any]:
    from boto3.dynamodb.types import TypeDeserializer

    deserializer = TypeDeserializer()
    return {k: deserializer.deserialize(v) for k, v in item.items()}


def typed(record: dict) -> dict:
    """DynamoDB's item form of `record`; None values are left out (an absent attribute)."""
    from boto3.dynamodb.types import TypeSerializer

    serializer = TypeSerializer()
    return {k: serializer.serialize(v) for k, v in record.items() if v is not None}


def transact(dynamodb, items: list[dict]) -> Optional[list[dict]]:
    """Write `items` in one transaction with the `dynamodb` client: None when applied, else each
    item's cancellation reason ({"Code", "Item"?}). A conflict with another transaction in flight
    is tried again; Busy when it keeps losing."""
    for attempt in range(WRITE_ATTEMPTS):
        if attempt:
            time.sleep(0.05 * attempt)
        try:
            dynamodb.transact_write_items(TransactItems=items)
            return None
        except dynamodb.exceptions.TransactionCanceledException as exc:
            reasons = exc.response.get("CancellationReasons") or []
            if not any(r.get("Code") == "TransactionConflict" for r in reasons):
                return reasons
    raise Busy()
