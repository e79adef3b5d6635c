"""A side effect done at most once, and finished after a crash: a step (a guest page, one mail) is
claimed on an item of the system's own table before it runs and recorded as done only after it
succeeded.

The claim is one map attribute on that item (`Spot.name`; one item can hold several steps):

  {"state": "running", "owner": <who>, "lease_until": <unix s>, "at": <stamp>}   a worker runs the step
  {"state": "done", "owner": <who>, "at": <stamp>}                               for good

Every transition is one conditional UpdateItem, so a claimer needs that action and no other:

  claim    absent, or running with a lapsed lease   -> running, ours   (else DONE, BUSY or REFUSED)
  done     running and ours                          -> done
  release  running and ours                          -> absent          (the next try redoes the step)

The lease is a few times the function's timeout: Lambda stops a worker at its timeout, so once the
lease has lapsed the worker that claimed is gone and a retry may take the step over. While the
lease is live the step may still be running, so a concurrent try skips it (BUSY) and the caller
says "later" in its own way (a 503, a failed stream record, an error Lambda retries).
"""

from __future__ import annotations

import secrets
import time
from datetime import datetime, timezone
from typing import Any, Callable, Mapping, NamedTuple, Optional

from handlers.shared.aws import client
from handlers.shared.log import logger

# Four times the 30 s timeout of the slowest function that claims (charter-intake, dispatch-notify,
# referral-api, loyalty-email-dispatch); a longer timeout there wants a longer lease here.
LEASE_S = 120

CLAIMED, RAN, DONE, BUSY, REFUSED = "claimed", "ran", "done", "busy", "refused"


def now() -> float:
    """The claims' clock (tests move it past a lease)."""
    return time.time()


class Spot(NamedTuple):  # a NamedTuple, not a dataclass: cheaper at cold start
    """Where a step's claim lives: the item (table and key, string attributes) and the attribute.

    `only_if` is a further condition on the item, with its values, that the claim also needs (a
    crew mail only for the link version that is current); `clock` defaults to `now`.
    """

    table: str
    key: Mapping[str, str]
    name: str = "claim"
    lease_s: int = LEASE_S
    only_if: Optional[tuple[str, Mapping[str, Any]]] = None
    clock: Optional[Callable[[], float]] = None

    def now(self) -> float:
        return (self.clock or now)()


class Claim(NamedTuple):
    outcome: str  # CLAIMED (ours, run the step), DONE, BUSY (someone's lease is live) or REFUSED (only_if)
    owner: str
    lease_until: int  # ours when CLAIMED, the holder's when BUSY


class InProgress(Exception):
    """For callers whose retry comes from raising: the step is someone else's until its lease lapses."""


def _typed(value: Any) -> dict:
    from boto3.dynamodb.types import TypeSerializer

    return TypeSerializer().serialize(value)


def _stamp(at: float) -> str:
    return datetime.fromtimestamp(at, timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def _write(spot: Spot, update: str, condition: str, values: dict, record: Optional[Mapping[str, Any]], **extra: Any) -> dict:
    """One conditional UpdateItem of the claim attribute (#claim), with `record`'s attributes set alongside."""
    names = {"#claim": spot.name, "#state": "state", "#owner": "owner", "#lease": "lease_until"}
    sets = []
    for i, (attribute, value) in enumerate((k, v) for k, v in (record or {}).items() if v is not None):
        names[f"#claim_r{i}"], values[f":claim_r{i}"] = attribute, _typed(value)
        sets.append(f"#claim_r{i} = :claim_r{i}")
    if sets:
        update = f"{update} SET {', '.join(sets)}" if update.startswith("REMOVE") else f"{update}, {', '.join(sets)}"
    used = {k: v for k, v in names.items() if k in update or k in condition}  # DynamoDB refuses unused names
    return client("dynamodb").update_item(
        TableName=spot.table, Key={k: {"S": v} for k, v in spot.key.items()}, UpdateExpression=update,
        ConditionExpression=condition, ExpressionAttributeNames=used, ExpressionAttributeValues=values, **extra)


def claim(spot: Spot, *, owner: Optional[str] = None, record: Optional[Mapping[str, Any]] = None) -> Claim:
    """Take the step, or say why not. `record`: attributes written with the claim.

    `owner`: only for a caller whose retry can never run beside the try it repeats (a stream
    shard hands its records to one invocation at a time): a retry with the same owner takes its
    own claim back at once instead of waiting out the lease.
    """
    at = spot.now()
    mine = owner or secrets.token_hex(8)
    lease_until = int(at) + spot.lease_s
    lapsed = "#claim.#lease < :claim_now" + (" OR #claim.#owner = :claim_owner" if owner else "")
    condition = f"(attribute_not_exists(#claim) OR (#claim.#state = :claim_running AND ({lapsed})))"
    values = {
        ":claim_new": {"M": {"state": {"S": "running"}, "owner": {"S": mine}, "lease_until": {"N": str(lease_until)},
                             "at": {"S": _stamp(at)}}},
        ":claim_running": {"S": "running"}, ":claim_now": {"N": str(int(at))},
    }
    if owner:
        values[":claim_owner"] = {"S": owner}
    if spot.only_if:
        condition = f"{condition} AND ({spot.only_if[0]})"
        values.update({k: _typed(v) for k, v in spot.only_if[1].items()})
    dynamodb = client("dynamodb")
    try:
        _write(spot, "SET #claim = :claim_new", condition, values, record, ReturnValuesOnConditionCheckFailure="ALL_OLD")
    except dynamodb.exceptions.ConditionalCheckFailedException as exc:
        held = exc.response.get("Item", {}).get(spot.name, {}).get("M", {})
        state = held.get("state", {}).get("S")
        holder, until = held.get("owner", {}).get("S", ""), int(held.get("lease_until", {}).get("N", "0"))
        if state == "done":
            return Claim(DONE, holder, 0)
        if state == "running" and until >= int(at):
            return Claim(BUSY, holder, until)
        return Claim(REFUSED, holder, 0)  # free, so only_if said no
    return Claim(CLAIMED, mine, lease_until)


def _settle(spot: Spot, taken: Claim, update: str, values: dict, record: Optional[Mapping[str, Any]], what: str) -> bool:
    values = {**values, ":claim_running": {"S": "running"}, ":claim_owner": {"S": taken.owner}}
    dynamodb = client("dynamodb")
    try:
        _write(spot, update, "#claim.#state = :claim_running AND #claim.#owner = :claim_owner", values, record)
    except dynamodb.exceptions.ConditionalCheckFailedException:
        # Our lease lapsed and another worker took the step over: the lease is shorter than the
        # function's timeout, or the clocks disagree by more than the lease's margin.
        logger.warning("claim taken over before it was settled", extra={"table": spot.table, "step": spot.name, "as": what})
        return False
    return True


def done(spot: Spot, taken: Claim, record: Optional[Mapping[str, Any]] = None) -> bool:
    """The step succeeded: it never runs again. `record`: attributes written with it."""
    value = {"M": {"state": {"S": "done"}, "owner": {"S": taken.owner}, "at": {"S": _stamp(spot.now())}}}
    return _settle(spot, taken, "SET #claim = :claim_done", {":claim_done": value}, record, "done")


def release(spot: Spot, taken: Claim, record: Optional[Mapping[str, Any]] = None) -> bool:
    """The step failed: the claim goes, so the next try runs it. `record`: attributes written with it."""
    return _settle(spot, taken, "REMOVE #claim", {}, record, "released")


def once(
    spot: Spot,
    step: Callable[[], Any],
    *,
    owner: Optional[str] = None,
    claimed: Optional[Mapping[str, Any]] = None,
    succeeded: Optional[Callable[[Any], Mapping[str, Any]]] = None,
    failed: Optional[Mapping[str, Any]] = None,
) -> str:
    """Run `step` unless it is done or someone else's: RAN, DONE, BUSY or REFUSED.

    A step that raises is released (with `failed`'s attributes) and the exception goes on. A
    process that dies mid-step leaves its claim until the lease lapses. `claimed` and
    `succeeded(result)` give attributes written with the claim and with done.
    """
    taken = claim(spot, owner=owner, record=claimed)
    if taken.outcome != CLAIMED:
        return taken.outcome
    try:
        result = step()
    except Exception:
        release(spot, taken, failed)
        raise
    done(spot, taken, succeeded(result) if succeeded else None)
    return RAN
