"""Every DynamoDB expression of dispatch. One table, one item per thing, never a shared file:

  JOB#<job id>        the job, for staff: customer, address, price, status (job_status), whether
                      the customer agreed to texts (texts); who
                      entered it (by_staff, by_name: a job taken by phone), who changed it last
                      (updated_by) and its moves [{from, to, at, by_staff, by_name}]
  TRACK#<token>       the public copy a tracking link reads: status, date, window, last update
  REQ#<request id>    a booking form's submission, so a resubmitted form books once (1 day TTL)

The customer's mails and texts are recorded by the notifier in its own table (handlers.shared.notify).

Index by-status (job_status, created_at) lists jobs per column without a scan; only JOB items
carry job_status, so only they are in it. A status change updates JOB and TRACK in one
transaction, conditional on the status the dispatcher saw.
"""

from __future__ import annotations

from typing import Any, Optional

from handlers.shared.aws import client
from handlers.shared.dynamo import plain as _plain
from handlers.shared.dynamo import s as _s
from handlers.shared.dynamo import Busy, transact
from handlers.shared.dynamo import typed as _typed

BY_STATUS = "by-status"
REQUEST_TTL_S = 86400
PUBLIC = ("status", "preferred_date", "window", "updated_at")


class Conflict(Exception):
    """The job is no longer in the status the dispatcher saw."""

    def __init__(self, current: Optional[str]):
        self.current = current


class Cancelled(Exception):
    """A transaction was cancelled for a reason no caller's input explains (a bug)."""


def _reasons(exc) -> list[Optional[str]]:
    return [reason.get("Code") for reason in exc.response.get("CancellationReasons") or []]


def create_job(table: str, job: dict, request_id: Optional[str], expires_at: int) -> dict:
    """Write a new job and its public copy; returns {job_id, tracking_token, repeated} of the job booked
    (Busy when other transactions on the same items keep winning).

    With a request id, a second submission of the same form returns the first booking, also when
    both arrive at once (the one that finds the other's transaction in flight waits and asks again).
    """
    track = {"pk": f"TRACK#{job['tracking_token']}", "status": job["job_status"], "preferred_date": job["preferred_date"],
             "window": job["window"], "updated_at": job["updated_at"]}
    items = [
        {"Put": {"TableName": table, "Item": _typed({"pk": f"JOB#{job['job_id']}", **job}), "ConditionExpression": "attribute_not_exists(pk)"}},
        {"Put": {"TableName": table, "Item": _typed(track), "ConditionExpression": "attribute_not_exists(pk)"}},
    ]
    if request_id:
        request = {"pk": f"REQ#{request_id}", "job_id": job["job_id"], "tracking_token": job["tracking_token"], "expires_at": expires_at}
        items.append({"Put": {"TableName": table, "Item": _typed(request), "ConditionExpression": "attribute_not_exists(pk)"}})
    reasons = transact(client("dynamodb"), items)
    if reasons is None:
        return {"job_id": job["job_id"], "tracking_token": job["tracking_token"], "repeated": False}
    if request_id and [r.get("Code") for r in reasons][2:3] == ["ConditionalCheckFailed"]:
        first = client("dynamodb").get_item(TableName=table, Key={"pk": _s(f"REQ#{request_id}")}, ConsistentRead=True)["Item"]
        return {"job_id": first["job_id"]["S"], "tracking_token": first["tracking_token"]["S"], "repeated": True}
    raise Cancelled([r.get("Code") for r in reasons])


def _value(value: Any) -> dict:
    """One attribute value in DynamoDB's typed form (a map or a list, for an update)."""
    return _typed({"value": value})["value"]


def get_job(table: str, job_id: str) -> Optional[dict]:
    item = client("dynamodb").get_item(TableName=table, Key={"pk": _s(f"JOB#{job_id}")}, ConsistentRead=True).get("Item")
    return _plain(item) if item else None


def change_status(table: str, job: dict, to_status: str, expected: str, now: str, by: dict[str, str]) -> dict:
    """job_status expected → to_status on JOB and TRACK together, the move (and who made it: `by`,
    Staff.by()) recorded on the JOB only; Conflict if it moved meanwhile."""
    dynamodb = client("dynamodb")
    names = {"#s": "job_status"}
    move = {"from": expected, "to": to_status, "at": now, **by}
    try:
        dynamodb.transact_write_items(TransactItems=[
            {"Update": {
                "TableName": table, "Key": {"pk": _s(f"JOB#{job['job_id']}")},
                # A job moves at most a handful of times (flow.py), so its list of moves stays small.
                "UpdateExpression": "SET #s = :to, updated_at = :now, updated_by = :by, "
                                    "moves = list_append(if_not_exists(moves, :none), :move)",
                "ConditionExpression": "#s = :from",
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": {":to": _s(to_status), ":from": _s(expected), ":now": _s(now),
                                              ":by": _value(by), ":none": {"L": []}, ":move": _value([move])},
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }},
            {"Update": {
                "TableName": table, "Key": {"pk": _s(f"TRACK#{job['tracking_token']}")},
                "UpdateExpression": "SET #st = :to, updated_at = :now", "ConditionExpression": "attribute_exists(pk)",
                "ExpressionAttributeNames": {"#st": "status"},
                "ExpressionAttributeValues": {":to": _s(to_status), ":now": _s(now)},
            }},
        ])
    except dynamodb.exceptions.TransactionCanceledException as exc:
        reason = (exc.response.get("CancellationReasons") or [{}])[0]
        if reason.get("Code") == "ConditionalCheckFailed":
            current = reason.get("Item", {}).get("job_status", {}).get("S")
            raise Conflict(current) from None
        if "TransactionConflict" in _reasons(exc):
            raise Busy() from None
        raise
    return {**job, "job_status": to_status, "updated_at": now, "updated_by": by, "moves": [*job.get("moves", []), move]}


def tracking(table: str, token: str) -> Optional[dict]:
    """The public copy of a job, read consistently: a status set a moment ago is what it shows."""
    item = client("dynamodb").get_item(
        TableName=table, Key={"pk": _s(f"TRACK#{token}")}, ConsistentRead=True,
        ProjectionExpression="#st, preferred_date, #w, updated_at",
        ExpressionAttributeNames={"#st": "status", "#w": "window"},
    ).get("Item")
    return _plain(item) if item else None


def jobs_with_status(table: str, status: str, limit: int = 200) -> list[dict]:
    dynamodb = client("dynamodb")
    kwargs: dict[str, Any] = {
        "TableName": table, "IndexName": BY_STATUS, "KeyConditionExpression": "job_status = :s",
        "ExpressionAttributeValues": {":s": _s(status)}, "ScanIndexForward": True, "Limit": limit,
    }
    found: list[dict] = []
    while len(found) < limit:
        page = dynamodb.query(**kwargs)
        found += [_plain(i) for i in page.get("Items", [])]
        if "LastEvaluatedKey" not in page:
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    return found[:limit]


def from_stream(image: dict) -> dict:
    return _plain(image)
