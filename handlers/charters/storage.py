"""Every DynamoDB expression of charters. One table:

  BOOKING#<source>#<external id> / BOOKING   the marketplace's booking, once: its answer
  EVENT#<event id> / EVENT                    the event, money included (staff only)
  EVENT#<event id> / CREW#<crew id>           an assignment: link version, acknowledgement, checklist, and
                                              the last withdrawal or reissue of its link (link_changed:
                                              {action, at, by_staff, by_name})
  CAL#<yyyy-mm> / <date>T<start>#<event id>   the internal calendar, a month per partition

A booking and all its items are written in one transaction conditional on the BOOKING item not
existing: a retried booking creates nothing. The guest page is claimed on the EVENT item before it
is published and marked done after (handlers.shared.claims, `guest_page`); the mails are sent once
each by the notifier, which records them in its own table (handlers.shared.notify). So a retry
finishes what is missing, once, even after a try that died mid-step.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Optional

from handlers.shared.aws import client
from handlers.shared.dynamo import plain as _plain
from handlers.shared.dynamo import s as _s
from handlers.shared.dynamo import typed as _typed

if TYPE_CHECKING:
    from handlers.shared.claims import Spot


def booking_key(source: str, external_id: str) -> dict:
    return {"pk": _s(f"BOOKING#{source}#{external_id}"), "sk": _s("BOOKING")}


def create(table: str, booking: dict, event: dict, crew: list[dict], calendar: dict) -> bool:
    """Write the whole booking; False if this (source, external id) was booked before."""
    dynamodb = client("dynamodb")
    put = lambda item, condition=None: {"Put": {"TableName": table, "Item": _typed(item),  # noqa: E731
                                                **({"ConditionExpression": condition} if condition else {})}}
    items = [put(booking, "attribute_not_exists(pk)"), put(event, "attribute_not_exists(pk)")]
    items += [put(member, "attribute_not_exists(pk)") for member in crew]
    items.append(put(calendar))
    try:
        dynamodb.transact_write_items(TransactItems=items)
    except dynamodb.exceptions.TransactionCanceledException as exc:
        reasons = exc.response.get("CancellationReasons", [])
        if reasons and reasons[0].get("Code") == "ConditionalCheckFailed":
            return False
        raise
    return True


def get_booking(table: str, source: str, external_id: str) -> Optional[dict]:
    item = client("dynamodb").get_item(TableName=table, Key=booking_key(source, external_id), ConsistentRead=True).get("Item")
    return _plain(item) if item else None


def event_items(table: str, event_id: str) -> tuple[Optional[dict], list[dict]]:
    """The event and its crew assignments, read consistently."""
    dynamodb = client("dynamodb")
    kwargs: dict[str, Any] = {"TableName": table, "KeyConditionExpression": "pk = :pk",
                              "ExpressionAttributeValues": {":pk": _s(f"EVENT#{event_id}")}, "ConsistentRead": True}
    found = []
    while True:
        page = dynamodb.query(**kwargs)
        found += [_plain(i) for i in page.get("Items", [])]
        if "LastEvaluatedKey" not in page:
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    event = next((i for i in found if i["sk"] == "EVENT"), None)
    crew = [i for i in found if i["sk"].startswith("CREW#")]
    return event, crew


def crew_item(table: str, event_id: str, crew_id: str) -> Optional[dict]:
    item = client("dynamodb").get_item(
        TableName=table, Key={"pk": _s(f"EVENT#{event_id}"), "sk": _s(f"CREW#{crew_id}")}, ConsistentRead=True
    ).get("Item")
    return _plain(item) if item else None


def step_claim(table: str, event_id: str, step: str) -> Spot:
    """Where a fan-out step of an event (guest_page) is claimed: on the EVENT item."""
    from handlers.shared.claims import Spot  # loaded by the claimers only, not on request paths

    return Spot(table, {"pk": f"EVENT#{event_id}", "sk": "EVENT"}, name=step)


def revoke(table: str, event_id: str, crew_id: str, change: dict[str, str]) -> int:
    """Bump the link version: every link issued so far stops working. `change` says what staff did
    and who ({action: withdrawn | reissued, at, by_staff, by_name}), kept on the assignment. Returns
    the new version."""
    response = client("dynamodb").update_item(
        TableName=table, Key={"pk": _s(f"EVENT#{event_id}"), "sk": _s(f"CREW#{crew_id}")},
        UpdateExpression="ADD link_version :one SET link_changed = :change", ConditionExpression="attribute_exists(pk)",
        ExpressionAttributeValues={":one": {"N": "1"}, ":change": _typed({"change": change})["change"]}, ReturnValues="UPDATED_NEW",
    )
    return int(response["Attributes"]["link_version"]["N"])


def _if_current(update: dict) -> bool:
    """One UpdateItem conditional on the assignment's link version; False when a revoke (or
    reissue) bumped it after the caller checked the link."""
    dynamodb = client("dynamodb")
    try:
        dynamodb.update_item(**update)
    except dynamodb.exceptions.ConditionalCheckFailedException:
        return False
    return True


def acknowledge(table: str, event_id: str, crew_id: str, version: int, at: str) -> bool:
    """Record the first acknowledgement, if link `version` is still current."""
    return _if_current(dict(
        TableName=table, Key={"pk": _s(f"EVENT#{event_id}"), "sk": _s(f"CREW#{crew_id}")},
        UpdateExpression="SET acknowledged_at = if_not_exists(acknowledged_at, :at)",
        ConditionExpression="link_version = :v", ExpressionAttributeValues={":at": _s(at), ":v": {"N": str(version)}},
    ))


def tick(table: str, event_id: str, crew_id: str, version: int, item: str, done: bool) -> bool:
    """Tick or untick a checklist item, if link `version` is still current."""
    return _if_current(dict(
        TableName=table, Key={"pk": _s(f"EVENT#{event_id}"), "sk": _s(f"CREW#{crew_id}")},
        UpdateExpression="SET checklist.#item = :done", ConditionExpression="link_version = :v",
        ExpressionAttributeNames={"#item": item},
        ExpressionAttributeValues={":done": {"BOOL": done}, ":v": {"N": str(version)}},
    ))


def calendar(table: str, months: list[str]) -> list[dict]:
    dynamodb = client("dynamodb")
    entries = []
    for month in months:
        page = dynamodb.query(TableName=table, KeyConditionExpression="pk = :pk",
                              ExpressionAttributeValues={":pk": _s(f"CAL#{month}")})
        entries += [_plain(i) for i in page.get("Items", [])]
    return entries


def encode_response(body: dict) -> str:
    return json.dumps(body, sort_keys=True)
