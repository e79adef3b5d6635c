"""Every DynamoDB expression of the referrals system.

referral-stats (pk, sk):
  VENDOR      / <code>       the vendor's profile, written by Pulumi from the stack config
  TOTAL       / <code>       running counts: clicks, bot_hits, last_click (atomic ADD only)
  DAY#<code>  / YYYY-MM-DD   per-day clicks, bot_hits and a set of salted visitor hashes
referral-clicks (vendor, at): one item per click, expiring after 90 days by TTL.
outreach (pk, sk):
  BATCH         / <batch id> status, counts, times; who made it (by_staff, by_name) and who
                             approved it (approved_by: {by_staff, by_name})
  BATCH#<id>    / <code>     one rendered mail, the data it is sent with, and how its sending went:
                             queued, sending, sent, failed, held (quiet hours: `held_until`) or
                             suppressed (`why`: the address bounced, complained or unsubscribed).
                             The notifier's message row (keyed by batch and vendor) makes it go once.
"""

from __future__ import annotations

from typing import Any, Iterable, NamedTuple, Optional

from handlers.shared.aws import client
from handlers.shared.dynamo import n as _n
from handlers.shared.dynamo import s as _s

ORPHAN = "_orphan"  # the counters of clicks on codes no vendor has
CLICK_TTL_DAYS = 90


class Click(NamedTuple):
    vendor: str  # a vendor code, or ORPHAN
    code: str  # what the visitor's link said, normalised
    at: str  # ISO-8601 UTC
    day: str  # YYYY-MM-DD in the business's time zone
    ip: str
    user_agent: str
    bot: bool
    visitor: str  # salted hash of day, IP and user agent
    expires_at: int
    nonce: str


def _click_writes(stats: str, clicks: str, click: Click) -> list[dict]:
    counter = "bot_hits" if click.bot else "clicks"
    total_update = f"ADD {counter} :one"
    values: dict[str, Any] = {":one": _n(1)}
    if not click.bot:
        total_update += " SET last_click = :at"
        values[":at"] = _s(click.at)
    day_update = f"ADD {counter} :one"
    day_values: dict[str, Any] = {":one": _n(1)}
    if not click.bot:
        day_update += ", visitors :visitor"
        day_values[":visitor"] = {"SS": [click.visitor]}
    event = {
        "vendor": _s(click.vendor),
        "at": _s(f"{click.at}#{click.nonce}"),
        "code": _s(click.code),
        "ip": _s(click.ip or "-"),
        "user_agent": _s(click.user_agent[:512] or "-"),
        "bot": {"BOOL": click.bot},
        "visitor": _s(click.visitor),
        "expires_at": _n(click.expires_at),
    }
    return [
        {"Update": {"TableName": stats, "Key": {"pk": _s("TOTAL"), "sk": _s(click.vendor)},
                    "UpdateExpression": total_update, "ExpressionAttributeValues": values}},
        {"Update": {"TableName": stats, "Key": {"pk": _s(f"DAY#{click.vendor}"), "sk": _s(click.day)},
                    "UpdateExpression": day_update, "ExpressionAttributeValues": day_values}},
        {"Put": {"TableName": clicks, "Item": event}},
    ]


def record_click(stats: str, clicks: str, click: Click) -> str:
    """Count one click in one transaction; returns the vendor it was counted for.

    The vendor's profile must exist (a condition check, not a read): if it does not, the
    transaction is cancelled and the click is counted once, as an orphan. At most two writes.
    """
    dynamodb = client("dynamodb")
    check = {"ConditionCheck": {"TableName": stats, "Key": {"pk": _s("VENDOR"), "sk": _s(click.vendor)},
                                "ConditionExpression": "attribute_exists(pk)"}}
    if click.vendor != ORPHAN:
        try:
            dynamodb.transact_write_items(TransactItems=[check, *_click_writes(stats, clicks, click)])
            return click.vendor
        except dynamodb.exceptions.TransactionCanceledException as exc:
            reasons = exc.response.get("CancellationReasons", [])
            if not reasons or reasons[0].get("Code") != "ConditionalCheckFailed":
                raise
    orphan = click._replace(vendor=ORPHAN)
    dynamodb.transact_write_items(TransactItems=_click_writes(stats, clicks, orphan))
    return ORPHAN


def _query(table: str, pk: str, **extra: Any) -> Iterable[dict]:
    dynamodb = client("dynamodb")
    kwargs = {"TableName": table, "KeyConditionExpression": "pk = :pk",
              "ExpressionAttributeValues": {":pk": _s(pk)}, **extra}
    while True:
        page = dynamodb.query(**kwargs)
        yield from page.get("Items", [])
        if "LastEvaluatedKey" not in page:
            return
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _num(item: dict, name: str) -> int:
    return int(item.get(name, {}).get("N", "0"))


def _str(item: dict, name: str) -> str | None:
    return item.get(name, {}).get("S")


def vendors(stats: str) -> list[dict]:
    return [
        {"code": _str(i, "sk"), "name": _str(i, "name"), "email": _str(i, "email"), "contact": _str(i, "contact")}
        for i in _query(stats, "VENDOR")
    ]


def totals(stats: str) -> dict[str, dict]:
    return {
        _str(i, "sk"): {"clicks": _num(i, "clicks"), "bot_hits": _num(i, "bot_hits"), "last_click": _str(i, "last_click")}
        for i in _query(stats, "TOTAL")
    }


def days(stats: str, vendor: str, since: str) -> list[dict]:
    items = _query(
        stats,
        f"DAY#{vendor}",
        KeyConditionExpression="pk = :pk AND sk >= :since",
        ExpressionAttributeValues={":pk": _s(f"DAY#{vendor}"), ":since": _s(since)},
    )
    return [
        {"date": _str(i, "sk"), "clicks": _num(i, "clicks"), "bot_hits": _num(i, "bot_hits"),
         "unique_visitors": len(i.get("visitors", {}).get("SS", []))}
        for i in items
    ]


# -- outreach ----------------------------------------------------------------------------------

def put_batch(table: str, batch: dict, mails: list[dict]) -> None:
    """A new batch and its mails, all or nothing (batches are small: one mail per vendor)."""
    items = [{"Put": {"TableName": table, "Item": _batch_item(batch), "ConditionExpression": "attribute_not_exists(pk)"}}]
    items += [{"Put": {"TableName": table, "Item": _mail_item(batch["id"], mail)}} for mail in mails]
    client("dynamodb").transact_write_items(TransactItems=items)


def _batch_item(batch: dict) -> dict:
    return {
        "pk": _s("BATCH"), "sk": _s(batch["id"]), "status": _s(batch["status"]),
        "created_at": _s(batch["created_at"]), "subject": _s(batch["subject"]),
        "mail_count": _n(batch["mail_count"]), "sent_count": _n(0), "failed_count": _n(0), "held_count": _n(0),
        "suppressed_count": _n(0),
        "by_staff": _s(batch["by_staff"]), "by_name": _s(batch["by_name"]),
    }


def _by(item: dict, name: str) -> dict | None:
    """A {by_staff, by_name} map of the item, as plain strings (None when nobody did that yet)."""
    found = item.get(name, {}).get("M")
    return {"by_staff": _str(found, "by_staff"), "by_name": _str(found, "by_name")} if found else None


def _mail_item(batch_id: str, mail: dict) -> dict:
    return {
        "pk": _s(f"BATCH#{batch_id}"), "sk": _s(mail["code"]), "to": _s(mail["to"]),
        "vendor_name": _s(mail["vendor_name"]), "subject": _s(mail["subject"]),
        "html": _s(mail["html"]), "text": _s(mail["text"]), "data": _s(mail["data"]), "status": _s("queued"),
    }


def _batch(item: dict) -> dict:
    return {
        "id": _str(item, "sk"), "status": _str(item, "status"), "created_at": _str(item, "created_at"),
        "subject": _str(item, "subject"), "approved_at": _str(item, "approved_at"),
        "mail_count": _num(item, "mail_count"), "sent_count": _num(item, "sent_count"),
        "failed_count": _num(item, "failed_count"), "held_count": _num(item, "held_count"),
        "suppressed_count": _num(item, "suppressed_count"), "by_staff": _str(item, "by_staff"), "by_name": _str(item, "by_name"),
        "approved_by": _by(item, "approved_by"),
    }


def list_batches(table: str, limit: int = 50) -> list[dict]:
    return [_batch(i) for i in _query(table, "BATCH", ScanIndexForward=False, Limit=limit)][:limit]


def get_batch(table: str, batch_id: str) -> dict | None:
    item = client("dynamodb").get_item(TableName=table, Key={"pk": _s("BATCH"), "sk": _s(batch_id)}, ConsistentRead=True)
    return _batch(item["Item"]) if "Item" in item else None


def batch_mails(table: str, batch_id: str) -> list[dict]:
    return [
        {"code": _str(i, "sk"), "to": _str(i, "to"), "vendor_name": _str(i, "vendor_name"),
         "subject": _str(i, "subject"), "html": _str(i, "html"), "text": _str(i, "text"),
         "data": _str(i, "data"), "status": _str(i, "status"), "message_id": _str(i, "message_id"),
         "held_until": _str(i, "held_until"), "why": _str(i, "why")}
        for i in _query(table, f"BATCH#{batch_id}", ConsistentRead=True)
    ]


def approve(table: str, batch_id: str, at: str, by: dict[str, str]) -> bool:
    """pending_review → sending, once, naming who approved it (`by`: Staff.by()). False when
    someone already approved it (their name stays)."""
    dynamodb = client("dynamodb")
    try:
        dynamodb.update_item(
            TableName=table,
            Key={"pk": _s("BATCH"), "sk": _s(batch_id)},
            UpdateExpression="SET #status = :sending, approved_at = :at, approved_by = :by",
            ConditionExpression="#status = :pending",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={":sending": _s("sending"), ":pending": _s("pending_review"), ":at": _s(at),
                                       ":by": {"M": {"by_staff": _s(by["by_staff"]), "by_name": _s(by["by_name"])}}},
        )
    except dynamodb.exceptions.ConditionalCheckFailedException:
        return False
    return True


MAIL_STATE = ("message_id", "held_until", "why")  # what one sending outcome or another leaves on a mail


def set_mail_state(table: str, batch_id: str, code: str, status: str, **state: Optional[str]) -> None:
    """A mail's status as the notifier answered, with what goes with it (`message_id` when sent,
    `held_until` when held, `why` when suppressed); what went with an earlier status goes."""
    given = {k: v for k, v in state.items() if v}
    values: dict[str, Any] = {":status": _s(status), **{f":{k}": _s(v) for k, v in given.items()}}
    update = "SET #status = :status" + "".join(f", {k} = :{k}" for k in given)
    gone = [k for k in MAIL_STATE if k not in given]
    if gone:
        update += " REMOVE " + ", ".join(gone)
    client("dynamodb").update_item(TableName=table, Key={"pk": _s(f"BATCH#{batch_id}"), "sk": _s(code)}, UpdateExpression=update,
                                   ExpressionAttributeNames={"#status": "status"}, ExpressionAttributeValues=values)


def finish_batch(table: str, batch_id: str, mails: list[dict]) -> None:
    """The batch's status and counts, from its mails as they stand (a resumed batch counts once):
    sent (all of them), sending (one is under way), held (the rest wait for the end of quiet
    hours), else partly_sent (one failed, or was not sent to a suppressed address)."""
    statuses = [m["status"] for m in mails]
    counts = {name: statuses.count(name) for name in ("sent", "failed", "held", "suppressed")}
    if counts["sent"] == len(mails):
        status = "sent"
    elif "sending" in statuses:
        status = "sending"
    elif counts["held"] and counts["sent"] + counts["held"] == len(mails):
        status = "held"
    else:
        status = "partly_sent"
    client("dynamodb").update_item(
        TableName=table, Key={"pk": _s("BATCH"), "sk": _s(batch_id)},
        UpdateExpression="SET #status = :status, sent_count = :sent, failed_count = :failed, held_count = :held, suppressed_count = :suppressed",
        ExpressionAttributeNames={"#status": "status"},
        ExpressionAttributeValues={":status": _s(status), **{f":{name}": _n(n) for name, n in counts.items()}},
    )
