"""DynamoDB's typed values to and from plain Python, for the storage modules."""

from __future__ import annotations

from typing import Any


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
