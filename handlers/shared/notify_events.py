"""The notifier's own function: what comes back from the channels, and deferred marketing.

- SES's events (the configuration set publishes them to SNS): `Send` marks the mail's row
  accepted (handlers.shared.notify: a retry after a crash then knows SES has it); a permanent
  `Bounce` or a `Complaint` suppresses the address for every system.
- Replies to texts (an origination number's two-way channel publishes them to SNS): STOP and the
  other opt-out keywords suppress the phone; START (or UNSTOP) lifts a STOP.
- `{"task": "opt-outs"}` (daily): the account's SMS opt-out list (numbers carriers and
  recipients opted out) into the suppression list.
- `{"deliver": "<row>"}`: a deferred message's one-off schedule fired.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

from handlers.shared import notify
from handlers.shared.aws import client
from handlers.shared.log import logger

class EventsSettings(notify.MarketingSettings):
    """Everything a marketing sender links (it sends deferred messages of every system)."""


STOP_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "OPT-OUT", "REVOKE", "ARRET"}
START_WORDS = {"START", "UNSTOP"}  # AWS's opt-in keywords: a casual "yes" is not one


def now_stamp() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def suppress(contact: str, why: str) -> None:
    """Stop every message to `contact`; the first reason stays."""
    client("dynamodb").update_item(
        TableName=notify.settings().notifications_table, Key={"pk": {"S": notify.contact_key(contact)}},
        UpdateExpression="SET blocked = if_not_exists(blocked, :why), blocked_at = if_not_exists(blocked_at, :at)",
        ExpressionAttributeValues={":why": {"S": why}, ":at": {"S": now_stamp()}})


def lift_stop(phone: str) -> None:
    """START after STOP: texts may go again (a bounce or a carrier's opt-out is not the person's to lift)."""
    dynamodb = client("dynamodb")
    try:
        dynamodb.update_item(
            TableName=notify.settings().notifications_table, Key={"pk": {"S": notify.contact_key(phone)}},
            UpdateExpression="REMOVE blocked, blocked_at", ConditionExpression="blocked = :stop",
            ExpressionAttributeValues={":stop": {"S": "sms_stop"}})
    except dynamodb.exceptions.ConditionalCheckFailedException:
        pass


def accepted(row: str) -> None:
    """SES took this mail: a retry after its sender died must not send it again."""
    dynamodb = client("dynamodb")
    try:
        dynamodb.update_item(TableName=notify.settings().notifications_table, Key={"pk": {"S": f"MSG#{row}"}},
                             UpdateExpression="SET accepted_at = :at", ConditionExpression="attribute_exists(pk)",
                             ExpressionAttributeValues={":at": {"S": now_stamp()}})
    except dynamodb.exceptions.ConditionalCheckFailedException:
        pass  # not one of ours (another stack's mail through a shared configuration set)


def ses_event(notice: dict) -> str:
    kind = notice.get("eventType") or notice.get("notificationType", "")
    if kind == "Send":
        for row in notice.get("mail", {}).get("tags", {}).get(notify.TAG, []):
            accepted(row)
        return "accepted"
    if kind == "Bounce" and notice.get("bounce", {}).get("bounceType") == "Permanent":
        for recipient in notice["bounce"].get("bouncedRecipients", []):
            suppress(notify.normal_email(recipient["emailAddress"]), "bounce")
        return "bounce"
    if kind == "Complaint":
        for recipient in notice["complaint"].get("complainedRecipients", []):
            suppress(notify.normal_email(recipient["emailAddress"]), "complaint")
        return "complaint"
    return "ignored"


def text_reply(notice: dict) -> str:
    phone = notice.get("originationNumber", "")
    if not notify.PHONE.match(phone):
        return "ignored"
    word = (notice.get("messageBody") or "").strip().split(" ", 1)[0].upper().strip(".!")
    if word in STOP_WORDS:
        suppress(phone, "sms_stop")
        return "stop"
    if word in START_WORDS:
        lift_stop(phone)
        return "start"
    return "ignored"


def sync_opt_outs() -> int:
    """Every number on the account's SMS opt-out list, suppressed (a number already there stays as it is)."""
    sns, count, token = client("sns"), 0, None
    while True:
        page = sns.list_phone_numbers_opted_out(**({"nextToken": token} if token else {}))
        for phone in page.get("phoneNumbers", []):
            if notify.PHONE.match(phone):
                suppress(phone, "carrier_opt_out")
                count += 1
        token = page.get("nextToken")
        if not token:
            return count


@logger.inject_lambda_context
def handler(event, context):
    if "deliver" in event:
        outcome = notify.deliver_deferred(str(event["deliver"]), context.invoked_function_arn)
        logger.info("deferred message", extra={"outcome": outcome})
        return {"outcome": outcome}
    if event.get("task") == "opt-outs":
        return {"suppressed": sync_opt_outs()}
    outcomes = []
    for record in event.get("Records", []):
        if record.get("EventSource") != "aws:sns":
            continue
        notice = json.loads(record["Sns"]["Message"])
        outcomes.append(text_reply(notice) if "originationNumber" in notice else ses_event(notice))
    logger.info("channel events", extra={"outcomes": outcomes})
    return {"outcomes": outcomes}
