"""Counting sign-in and reset attempts, per account and per client, in the staff-sessions table.

Every attempt is counted *before* Cognito is asked, in one atomic conditional update per counter,
so guesses sent together are counted together: however many arrive at once, at most the limit of
them reach Cognito in a window. A counter row (`FAIL#<what>#<hash>`, sort key `COUNT`) counts the
attempts of a 15-minute window that opens with the first; the attempt that reaches the limit and
fails locks the counter for 15 minutes (`locked_until`), exactly once (that one mails the owners).
A successful sign-in clears its account's counter and gives its client back the attempt, so an
office full of staff signing in never locks itself out.

Unknown addresses are counted and locked like real ones: a lockout says nothing about whether an
account exists. A reset by mailed code counts on counters of its own, so someone guessing an
account's password cannot also stop its owner from resetting it. Rows carry a TTL; the times are
checked here, never left to TTL's deletion.
"""

from __future__ import annotations

import hashlib
import ipaddress
import time
from dataclasses import dataclass, field

from handlers.shared.aws import client
from handlers.shared.errors import ApiError

WINDOW_SECONDS = 15 * 60
LOCK_SECONDS = 15 * 60
ACCOUNT_LIMIT = 5
# One office shares an address; a guesser trying many accounts from one address is stopped too.
CLIENT_LIMIT = 20
# Codes mailed and codes tried, per account and per client: each sends or checks a Cognito mail.
RESET_LIMIT = 5
RESET_CLIENT_LIMIT = 10


def _hashed(text: str) -> str:
    return hashlib.sha256(text.strip().lower().encode()).hexdigest()[:32]


def client_of(address: str) -> str:
    """What counts as one client: an IPv4 address, or an IPv6 address's /64 (one line's prefix,
    which its owner can fill with addresses at will)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    return str(ipaddress.ip_network(f"{ip}/64", strict=False)) if ip.version == 6 else str(ip)


def _row(key: str) -> dict:
    return {"pk": {"S": key}, "sk": {"S": "COUNT"}}


def _number(item: dict, name: str) -> int:
    return int(item.get(name, {}).get("N", "0"))


@dataclass(frozen=True)
class Counter:
    key: str
    limit: int
    is_account: bool


def sign_in_counters(email: str, address: str) -> list[Counter]:
    return [Counter(f"FAIL#account#{_hashed(email)}", ACCOUNT_LIMIT, True),
            Counter(f"FAIL#client#{_hashed(client_of(address))}", CLIENT_LIMIT, False)]


def reset_counters(email: str, address: str) -> list[Counter]:
    return [Counter(f"FAIL#reset#{_hashed(email)}", RESET_LIMIT, True),
            Counter(f"FAIL#reset-client#{_hashed(client_of(address))}", RESET_CLIENT_LIMIT, False)]


def too_many(wait: int, *, reset_works: bool = True) -> ApiError:
    minutes = max(1, round(wait / 60))
    then = f"Wait {minutes} minute{'s' if minutes != 1 else ''} and try again"
    return ApiError(429, "too_many_attempts",
                    f"Too many tries. {then}{', or reset your password' if reset_works else ''}.",
                    headers={"Retry-After": str(wait)})


def _count(table: str, key: str, now: int) -> dict:
    """Add one attempt to `key`'s window, opening a new window when the last one is over (and
    its lock, if any, has run out); the counter as it now stands."""
    dynamodb = client("dynamodb")
    values = {":one": {"N": "1"}, ":ends": {"N": str(now + WINDOW_SECONDS)}, ":now": {"N": str(now)},
              ":expires": {"N": str(now + WINDOW_SECONDS + LOCK_SECONDS)}}
    for _ in range(3):
        try:
            return dynamodb.update_item(
                TableName=table, Key=_row(key),
                UpdateExpression="ADD attempts :one SET window_ends = if_not_exists(window_ends, :ends), expires_at = :expires",
                ConditionExpression="attribute_not_exists(pk) OR window_ends > :now",
                ExpressionAttributeValues=values, ReturnValues="ALL_NEW")["Attributes"]
        except dynamodb.exceptions.ConditionalCheckFailedException:
            pass
        try:  # the window is over: this attempt opens the next one, unless a lock still runs
            item = {**_row(key), "attempts": {"N": "1"}, "window_ends": values[":ends"], "expires_at": values[":expires"]}
            dynamodb.put_item(TableName=table, Item=item, ReturnValuesOnConditionCheckFailure="ALL_OLD",
                              ConditionExpression="window_ends <= :now AND (attribute_not_exists(locked_until) OR locked_until <= :now)",
                              ExpressionAttributeValues={":now": values[":now"]})
            return item
        except dynamodb.exceptions.ConditionalCheckFailedException as exc:
            old = exc.response.get("Item") or dynamodb.get_item(TableName=table, Key=_row(key), ConsistentRead=True).get("Item") or {}
            if _number(old, "locked_until") > now:
                return old  # locked: counted no further, answered with the lock's end
            # else another attempt opened the new window first: count into it
    raise RuntimeError(f"could not count an attempt on {key}")


@dataclass
class Attempt:
    table: str
    counted: list[tuple[Counter, int]] = field(default_factory=list)

    def failed(self) -> bool:
        """The attempt was refused: a counter it brought to its limit locks now. True when that
        locked an account (exactly one attempt per lockout sees True)."""
        dynamodb, now = client("dynamodb"), int(time.time())
        locked_account = False
        for counter, attempts in self.counted:
            if attempts == counter.limit:
                dynamodb.update_item(
                    TableName=self.table, Key=_row(counter.key),
                    UpdateExpression="SET locked_until = :until, expires_at = :expires",
                    ExpressionAttributeValues={":until": {"N": str(now + LOCK_SECONDS)},
                                               ":expires": {"N": str(now + 2 * LOCK_SECONDS)}})
                locked_account = locked_account or counter.is_account
        return locked_account

    def succeeded(self) -> None:
        """The person proved who they are: their account's count starts again, and the client's
        attempt is given back (the client's count is for guesses)."""
        dynamodb = client("dynamodb")
        for counter, _ in self.counted:
            if counter.is_account:
                dynamodb.delete_item(TableName=self.table, Key=_row(counter.key))
            else:
                _give_back(dynamodb, self.table, counter.key)


def _give_back(dynamodb, table: str, key: str) -> None:
    try:
        dynamodb.update_item(TableName=table, Key=_row(key), UpdateExpression="ADD attempts :less",
                             ConditionExpression="attempts > :none",
                             ExpressionAttributeValues={":less": {"N": "-1"}, ":none": {"N": "0"}})
    except dynamodb.exceptions.ConditionalCheckFailedException:
        pass  # a new window opened meanwhile: nothing to give back


def begin(table: str, counters: list[Counter], *, reset_works: bool = True) -> Attempt:
    """Count an attempt on every counter, or answer 429 (with Retry-After) when one of them is
    locked or already at its limit in this window."""
    now = int(time.time())
    attempt, wait = Attempt(table), 0
    for counter in counters:
        item = _count(table, counter.key, now)
        attempts, locked_until = _number(item, "attempts"), _number(item, "locked_until")
        attempt.counted.append((counter, attempts))
        if locked_until > now:
            wait = max(wait, locked_until - now)
        elif attempts > counter.limit:
            wait = max(wait, _number(item, "window_ends") - now)
    if wait:
        raise too_many(wait + 1, reset_works=reset_works)
    return attempt


def clear(table: str, counters: list[Counter]) -> None:
    """Lift what counts against the accounts among `counters` (their clients' counts stay)."""
    dynamodb = client("dynamodb")
    for counter in counters:
        if counter.is_account:
            dynamodb.delete_item(TableName=table, Key=_row(counter.key))


def notice_due(table: str) -> bool:
    """True at most once per lock window: whether to mail the owners about a lockout now."""
    dynamodb, now = client("dynamodb"), int(time.time())
    try:
        dynamodb.put_item(TableName=table, Item={**_row("FAIL#owners-told"), "until": {"N": str(now + LOCK_SECONDS)},
                                                 "expires_at": {"N": str(now + 2 * LOCK_SECONDS)}},
                          ConditionExpression="attribute_not_exists(pk) OR #until <= :now",
                          ExpressionAttributeNames={"#until": "until"}, ExpressionAttributeValues={":now": {"N": str(now)}})
    except dynamodb.exceptions.ConditionalCheckFailedException:
        return False
    return True
