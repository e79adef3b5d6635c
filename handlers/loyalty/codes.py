"""Every DynamoDB expression of the "my points" page's one-time codes (table loyalty-codes, key
`key`, rows gone by themselves after `expires`, DynamoDB's TTL; every read checks it too, since
TTL deletes late).

CODE#<phone>           the one live code: its HMAC (never the code), when it was made, until when
SENT#<phone>#<hour>    codes asked for this clock hour (any number, member or not: no oracle)
TRIED#<phone>#<hour>   codes tried this hour; a right code gives its try back, so it counts wrong ones

Every counter moves by a conditional ADD: two requests at once cannot both take the last try.
"""

from __future__ import annotations

import hmac
from typing import Optional

from handlers.shared.aws import client
from handlers.shared.dynamo import n as _n
from handlers.shared.dynamo import s as _s

CODE_TTL_S = 600
RESEND_AFTER_S = 30  # a second press within it sends no second code (a double-click)
SENDS_PER_HOUR = 5
WRONG_PER_HOUR = 5


def hour(now: int) -> str:
    return str(now // 3600)


def take(table: str, kind: str, phone: str, now: int, limit: int) -> bool:
    """One more of `kind` this hour, if fewer than `limit` were taken: True when taken."""
    dynamodb = client("dynamodb")
    try:
        dynamodb.update_item(TableName=table, Key={"key": _s(f"{kind}#{phone}#{hour(now)}")},
                             UpdateExpression="ADD taken :one SET expires = if_not_exists(expires, :expires)",
                             ConditionExpression="attribute_not_exists(taken) OR taken < :limit",
                             ExpressionAttributeValues={":one": _n(1), ":limit": _n(limit), ":expires": _n(now + 3600)})
    except dynamodb.exceptions.ConditionalCheckFailedException:
        return False
    return True


def give_back(table: str, kind: str, phone: str, now: int) -> None:
    client("dynamodb").update_item(TableName=table, Key={"key": _s(f"{kind}#{phone}#{hour(now)}")},
                                   UpdateExpression="ADD taken :minus", ConditionExpression="taken > :zero",
                                   ExpressionAttributeValues={":minus": _n(-1), ":zero": _n(0)})


def digest(key: str, phone: str, code: str) -> str:
    return hmac.new(key.encode(), f"{phone}:{code}".encode(), "sha256").hexdigest()


def store(table: str, phone: str, code_hash: str, now: int) -> bool:
    """The new live code for `phone`, replacing the last one, unless the last one is under
    RESEND_AFTER_S old (False: a double press; the first code stands)."""
    dynamodb = client("dynamodb")
    try:
        dynamodb.put_item(TableName=table, Item={"key": _s(f"CODE#{phone}"), "hash": _s(code_hash), "made": _n(now),
                                                  "expires": _n(now + CODE_TTL_S)},
                          ConditionExpression="attribute_not_exists(#k) OR made < :recent",
                          ExpressionAttributeNames={"#k": "key"}, ExpressionAttributeValues={":recent": _n(now - RESEND_AFTER_S)})
    except dynamodb.exceptions.ConditionalCheckFailedException:
        return False
    return True


def use(table: str, phone: str, code_hash: str, now: int) -> bool:
    """The live code, if it is this one and still fresh, used up: True once, for one caller."""
    dynamodb = client("dynamodb")
    try:
        dynamodb.delete_item(TableName=table, Key={"key": _s(f"CODE#{phone}")},
                             ConditionExpression="#h = :h AND expires > :now",
                             ExpressionAttributeNames={"#h": "hash"}, ExpressionAttributeValues={":h": _s(code_hash), ":now": _n(now)})
    except dynamodb.exceptions.ConditionalCheckFailedException:
        return False
    return True


def live(table: str, phone: str) -> Optional[dict]:
    item = client("dynamodb").get_item(TableName=table, Key={"key": _s(f"CODE#{phone}")}, ConsistentRead=True).get("Item")
    return {k: next(iter(v.values())) for k, v in item.items()} if item else None
