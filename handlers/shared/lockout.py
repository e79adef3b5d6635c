"""Counting refused sign-ins, per account and per client address, in the staff-sessions table.

A counter row (`FAIL#account#<hash of the address>`, `FAIL#client#<hash of the IP>`, sort key
`COUNT`) counts
refusals in a 15-minute window that opens with the first; the refusal that reaches the limit locks
the key for 15 minutes (`locked_until`). Counting is one atomic conditional update, so concurrent
guesses are all counted and exactly one of them is the one that locks (and mails the owners).
Unknown addresses are counted and locked like real ones: a lockout says nothing about whether an
account exists. Rows carry a TTL; the times are checked here, never left to TTL's deletion.
"""

from __future__ import annotations

import hashlib
import time

from handlers.shared.aws import client
from handlers.shared.errors import ApiError

WINDOW_SECONDS = 15 * 60
LOCK_SECONDS = 15 * 60
ACCOUNT_LIMIT = 5
# One office shares an address; a guesser trying many accounts from one address is stopped too.
CLIENT_LIMIT = 20


def _row(key: str) -> dict:
    return {"pk": {"S": key}, "sk": {"S": "COUNT"}}


def _keys(email: str, address: str | None) -> list[tuple[str, int]]:
    def hashed(text: str) -> str:
        return hashlib.sha256(text.strip().lower().encode()).hexdigest()[:32]

    keys = [(f"FAIL#account#{hashed(email)}", ACCOUNT_LIMIT)]
    if address is not None:
        keys.append((f"FAIL#client#{hashed(address)}", CLIENT_LIMIT))
    return keys


def locked(table: str, email: str, address: str) -> int:
    """Seconds until the account or the client address may try again (0: it may now)."""
    dynamodb, now = client("dynamodb"), time.time()
    wait = 0
    for key, _ in _keys(email, address):
        item = dynamodb.get_item(TableName=table, Key=_row(key), ConsistentRead=True).get("Item") or {}
        until = int(item.get("locked_until", {}).get("N", "0"))
        wait = max(wait, int(until - now) + 1 if until > now else 0)
    return wait


def too_many(wait: int) -> ApiError:
    minutes = max(1, round(wait / 60))
    return ApiError(429, "too_many_attempts",
                    f"Too many wrong tries. Wait {minutes} minute{'s' if minutes != 1 else ''} and try again, "
                    "or reset your password.", headers={"Retry-After": str(wait)})


def _count(table: str, key: str, now: int) -> int:
    """Add one refusal to `key`'s window (opening a new window when the last one is over)."""
    dynamodb = client("dynamodb")
    for _ in range(3):
        try:
            item = dynamodb.update_item(
                TableName=table, Key=_row(key),
                UpdateExpression="ADD failures :one SET window_ends = if_not_exists(window_ends, :ends), expires_at = :expires",
                ConditionExpression="attribute_not_exists(pk) OR window_ends > :now",
                ExpressionAttributeValues={":one": {"N": "1"}, ":ends": {"N": str(now + WINDOW_SECONDS)},
                                           ":now": {"N": str(now)}, ":expires": {"N": str(now + WINDOW_SECONDS + LOCK_SECONDS)}},
                ReturnValues="ALL_NEW")["Attributes"]
            return int(item["failures"]["N"])
        except dynamodb.exceptions.ConditionalCheckFailedException:
            pass
        try:  # the window is over: this refusal opens the next one
            dynamodb.put_item(
                TableName=table,
                Item={**_row(key), "failures": {"N": "1"}, "window_ends": {"N": str(now + WINDOW_SECONDS)},
                      "expires_at": {"N": str(now + WINDOW_SECONDS + LOCK_SECONDS)}},
                ConditionExpression="window_ends <= :now AND (attribute_not_exists(locked_until) OR locked_until <= :now)",
                ExpressionAttributeValues={":now": {"N": str(now)}})
            return 1
        except dynamodb.exceptions.ConditionalCheckFailedException:
            continue  # another refusal opened it first: count into that one
    return 1


def failed(table: str, email: str, address: str) -> bool:
    """Count a refused attempt; True when it locked the account (exactly once per lockout)."""
    dynamodb, now = client("dynamodb"), int(time.time())
    account_locked = False
    for key, limit in _keys(email, address):
        if _count(table, key, now) == limit:
            dynamodb.update_item(
                TableName=table, Key=_row(key),
                UpdateExpression="SET locked_until = :until, expires_at = :expires",
                ExpressionAttributeValues={":until": {"N": str(now + LOCK_SECONDS)}, ":expires": {"N": str(now + 2 * LOCK_SECONDS)}})
            account_locked = account_locked or key.startswith("FAIL#account#")
    return account_locked


def succeeded(table: str, email: str) -> None:
    """The person proved who they are: their account's count starts again (the client address's
    does not, or one good account would let its holder guess others forever)."""
    (key, _), = _keys(email, None)
    client("dynamodb").delete_item(TableName=table, Key=_row(key))
