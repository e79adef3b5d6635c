"""Every message the systems send, mail and text, goes through `notify()`.

    notify(key="job-J7K2-booked", to=Recipient(email=..., phone=..., texts=True), kind=TRANSACTIONAL,
           system="dispatch", template="customer", data={...})

- **Channels** come from the recipient: mail when there is an address, a text when there is a
  phone, the customer agreed to texts (`texts`) and the stack has SMS on.
- **One template pair** per message: `handlers/<package>/templates/<template>.txt.j2` holds the
  blocks `subject`, `text` and (for a message that may go as a text) `sms`; `<template>.html.j2`
  is the mail's HTML. Both get `data` plus `sender` (the system's display name) and
  `unsubscribe_url` (the unsubscribe page, in marketing mail; "" otherwise).
- **Once.** Each (message, channel) has a row keyed by a hash of system, template, `key` and
  channel. The row is claimed before the send and marked sent after (handlers.shared.claims). A
  send the provider refused releases the claim, so a retry sends it. A worker that died after
  claiming leaves a claim whose lease lapses: for mail, SES's own Send event (the configuration
  set publishes it; handlers.shared.notify_events writes `accepted_at` on the row, found by the
  mail's `message` tag) tells a mail SES took from one it never got, so the retry sends only the
  latter. A text has no such event (SNS reports SMS deliveries to CloudWatch Logs only), so a
  text whose worker died mid-send is never retried: it is marked `unknown` and logged as an error.
- **One suppression list** (rows `TO#<address or E.164 phone>` of the same table): a bounce, a
  complaint or a STOP stops every message to that contact; an unsubscribe stops one system's
  marketing. Suppressed messages are recorded and counted per day, never sent.
- **Quiet hours** (the `notify` knobs, in the business's time zone): marketing inside the window
  is stored rendered and handed back by a one-off Scheduler `at()` schedule at its end, which
  deletes itself; suppression is checked again then.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any, Mapping, NamedTuple, Optional, Sequence
from zoneinfo import ZoneInfo

from handlers.shared import claims
from handlers.shared.aws import client
from handlers.shared.log import logger
from handlers.shared.mail import Attachment
from handlers.shared.settings import MailSettings, _linked, parameters, role, schedules, secret, site_url, table

EMAIL, SMS = "email", "sms"
TRANSACTIONAL, MARKETING = "transactional", "marketing"
# Outcomes per channel.
SENT, SENT_BEFORE, BUSY, SUPPRESSED, DEFERRED, UNKNOWN = "sent", "sent_before", "busy", "suppressed", "deferred", "unknown"
# Why a contact is suppressed: these stop every message; an unsubscribe stops one system's marketing.
BLOCKING = ("bounce", "complaint", "sms_stop", "carrier_opt_out")
MESSAGE_DAYS = 400  # a marketing row is what its unsubscribe link names: kept over a year
PHONE = re.compile(r"^\+[1-9]\d{6,14}$")
TAG = "message"  # the SES tag carrying a mail's row key


class NotifySettings(MailSettings):
    """What `notifier.send(system)` links (components/blocks/notifier.py)."""

    notifications_table = table("notifications")
    sms_origination = _linked("sms origination", "setting", "the notifier", default="")
    sender_names = _linked("sender names", "setting", "the notifier")


class MarketingSettings(NotifySettings):
    """`notifier.send(system, marketing=True)`: quiet hours, deferral and unsubscribe links."""

    notify_knobs = parameters("notify knobs")
    notify_token_key_secret = secret("notify-token-key")
    deferred_schedules = schedules("deferred-notifications")
    deferred_role = role("deferred-notifications")
    deferred_target = _linked("deferred notifications target", "setting", "the notifier", default="")
    ops_site_url_parameter = site_url("ops")  # where /api/unsubscribe and /unsubscribe/ answer for every system


@lru_cache(maxsize=None)
def settings(marketing: bool = False) -> NotifySettings:
    return (MarketingSettings if marketing else NotifySettings).load()


class Recipient(NamedTuple):
    email: str = ""
    phone: str = ""  # E.164
    texts: bool = False  # they agreed to texts about this


class Outcome(dict):
    """Channel → outcome (`{"email": "sent", "sms": "suppressed"}`)."""

    @property
    def busy(self) -> bool:
        return BUSY in self.values()


class Rendered(NamedTuple):
    subject: str
    text: str
    html: str
    sms: str  # "" when the template has no text message


def names() -> dict[str, str]:
    return json.loads(settings().sender_names)


def sender_name(system: str) -> str:
    known = names()
    if system not in known:
        raise ValueError(f"this function does not speak for {system!r}; it links {sorted(known)}")
    return known[system]


def contact_key(contact: str) -> str:
    return f"TO#{contact}"


def normal_email(address: str) -> str:
    return address.strip().lower()


def message_key(system: str, template: str, key: str, channel: str) -> str:
    digest = hashlib.sha256("\x1f".join((system, template, key, channel)).encode()).hexdigest()[:40]
    return f"MSG#{digest}"


def _block(template: Any, name: str, context: dict) -> str:
    if name not in template.blocks:
        return ""
    return "".join(template.blocks[name](template.new_context(context))).strip()


def render(package: str, template: str, context: Mapping[str, Any]) -> Rendered:
    from handlers.shared.mail import templates

    env = templates(package)
    text = env.get_template(f"{template}.txt.j2")
    subject = " ".join(_block(text, "subject", dict(context)).split())
    return Rendered(subject, _block(text, "text", dict(context)) + "\n", env.get_template(f"{template}.html.j2").render(**context),
                    " ".join(_block(text, "sms", dict(context)).split()))


def notify(
    *,
    key: str,
    to: Recipient,
    kind: str,
    system: str,
    template: str,
    data: Mapping[str, Any],
    package: Optional[str] = None,
    attachments: Sequence[Attachment] = (),
    link: str = "",
    now: Optional[datetime] = None,
) -> Outcome:
    """Send one logical message once per channel. `key` names it among this system's messages of
    this template (a job's status, a charter's version); `link` is the one address its text
    carries (the mail's template places links itself); `package` defaults to `system`."""
    if kind not in (TRANSACTIONAL, MARKETING):
        raise ValueError(f"kind must be {TRANSACTIONAL} or {MARKETING}")
    config = settings(kind == MARKETING)
    name = sender_name(system)
    now = now or datetime.now(timezone.utc)
    channels: dict[str, str] = {}
    if to.email:
        channels[EMAIL] = normal_email(to.email)
    if to.phone and to.texts and config.sms_origination:
        if PHONE.match(to.phone):
            channels[SMS] = to.phone
        else:  # a caller's bug; the mail still goes rather than the whole message failing for ever
            logger.error("no text: the phone is not in E.164", extra={"system": system, "template": template})
    outcome = Outcome()
    if not channels:
        return outcome
    suppressed = suppression(channels.values())
    context = {**data, "sender": name, "unsubscribe_url": ""}
    pending = []
    for channel, contact in channels.items():
        row = message_key(system, template, key, channel)
        why = blocked(suppressed.get(contact), kind, system)
        if why:
            outcome[channel] = record_suppressed(row, channel, contact, system, template, kind, why, now)
            continue
        pending.append((channel, contact, row))
    if not pending:
        return outcome
    if kind == MARKETING:  # the mail's own link; a text says "Reply STOP"
        email_row = next((row for channel, _, row in pending if channel == EMAIL), "")
        context["unsubscribe_url"] = unsubscribe_page(email_row) if email_row else ""
    rendered = render(package or system, template, context)
    for channel, contact, row in pending:
        message = compose(channel, contact, rendered, name, kind, row, link, attachments)
        if message is None:  # the template has no text message
            continue
        if kind == MARKETING:
            until = quiet_until(now)
            if until is not None:
                outcome[channel] = defer(row, message, system, template, until)
                continue
        outcome[channel] = deliver(row, message, system, template, kind)
    return outcome


# -- suppression ------------------------------------------------------------------------------

def suppression(contacts: Sequence[str]) -> dict[str, dict]:
    """The suppression rows of these contacts, in one read."""
    keys = [{"pk": {"S": contact_key(c)}} for c in dict.fromkeys(contacts)]
    table_name = settings().notifications_table
    found: dict[str, dict] = {}
    request = {table_name: {"Keys": keys, "ConsistentRead": True}}
    while request:
        page = client("dynamodb").batch_get_item(RequestItems=request)
        for item in page.get("Responses", {}).get(table_name, []):
            found[item["pk"]["S"].removeprefix("TO#")] = item
        request = page.get("UnprocessedKeys") or {}
    return found


def blocked(row: Optional[dict], kind: str, system: str) -> str:
    """Why this contact gets no message of this kind from this system ("" when it may)."""
    if not row:
        return ""
    if "blocked" in row:
        return row["blocked"]["S"]
    if kind == MARKETING and system in row.get("marketing_off", {}).get("SS", []):
        return "unsubscribed"
    return ""


# A message row may be (re)written whole when it is new, or when its last try failed cleanly (the
# provider refused it and the claim was released): nothing of it went out.
FRESH = "attribute_not_exists(pk) OR (#state = :failed AND attribute_not_exists(#send))"
FRESH_NAMES = {"#state": "state", "#send": "send"}
FRESH_VALUES = {":failed": {"S": "failed"}}


def existing(row: str) -> str:
    """What became of a message whose row is there already: the outcome to answer a retry with."""
    item = client("dynamodb").get_item(TableName=settings().notifications_table, Key={"pk": {"S": row}}, ConsistentRead=True,
                                       ProjectionExpression="#state, #send", ExpressionAttributeNames=FRESH_NAMES).get("Item", {})
    state = item.get("state", {}).get("S", "")
    claim = item.get("send", {}).get("M", {}).get("state", {}).get("S", "")
    if state in (SENT, "accepted") or claim == "done":
        return SENT_BEFORE
    if state in (SUPPRESSED, DEFERRED, UNKNOWN):
        return state
    return BUSY  # being sent, or its worker died and its lease has not lapsed: the caller tries again later


def record_suppressed(row: str, channel: str, contact: str, system: str, template: str, kind: str, why: str,
                      now: datetime) -> str:
    """The message row says why it did not go; the day's count goes up once per message."""
    table_name = settings().notifications_table
    day = now.date().isoformat()
    dynamodb = client("dynamodb")
    try:
        dynamodb.transact_write_items(TransactItems=[
            {"Put": {"TableName": table_name, "ConditionExpression": FRESH, "ExpressionAttributeNames": FRESH_NAMES,
                     "ExpressionAttributeValues": FRESH_VALUES, "Item": {
                         "pk": {"S": row}, "state": {"S": SUPPRESSED}, "why": {"S": why}, "channel": {"S": channel},
                         "contact": {"S": contact},
                         "system": {"S": system}, "template": {"S": template}, "kind": {"S": kind},
                         "expires_at": {"N": str(int(now.timestamp()) + MESSAGE_DAYS * 86400)}}}},
            {"Update": {"TableName": table_name, "Key": {"pk": {"S": f"COUNT#{day}"}},
                        "UpdateExpression": "ADD #n :one", "ExpressionAttributeNames": {"#n": f"suppressed_{channel}"},
                        "ExpressionAttributeValues": {":one": {"N": "1"}}}},
        ])
    except dynamodb.exceptions.TransactionCanceledException:
        return existing(row)  # recorded and counted by an earlier try, or sent before the contact was suppressed
    logger.info("message suppressed", extra={"channel": channel, "system": system, "template": template, "why": why})
    return SUPPRESSED


# -- composing --------------------------------------------------------------------------------

class Message(NamedTuple):
    channel: str
    to: str
    subject: str
    text: str  # the SMS itself for a text
    html: str
    from_name: str
    headers: dict
    attachments: tuple = ()


def compose(channel: str, contact: str, rendered: Rendered, name: str, kind: str, row: str, link: str,
            attachments: Sequence[Attachment]) -> Optional[Message]:
    if channel == SMS:
        if not rendered.sms:
            return None
        from handlers.shared import sms

        tail = "Reply STOP to opt out" if kind == MARKETING else ""
        try:
            text = sms.fit(name, rendered.sms, link, tail)
        except ValueError:  # the name and link alone overflow a segment (a long name in UCS-2): mail only
            logger.error("no text: its name and link do not fit one segment", extra={"row": row})
            return None
        return Message(SMS, contact, "", text, "", name, {})
    headers = {}
    if kind == MARKETING:
        url = unsubscribe_url(row)
        headers = {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    return Message(EMAIL, contact, rendered.subject, rendered.text, rendered.html, name, headers, tuple(attachments))


def unsubscribe_url(row: str) -> str:
    """One-click unsubscribe (RFC 8058): the link names the message row, which knows the contact
    and the system, so no address or phone number is in a URL."""
    from handlers.shared import tokens
    from handlers.shared.params import parameter
    from handlers.shared.secrets import secret_value

    config = settings(True)
    token = tokens.sign("unsubscribe", secret_value(config.notify_token_key_secret), {"m": row.removeprefix("MSG#")})
    return f"{parameter(config.ops_site_url_parameter).rstrip('/')}/api/unsubscribe?t={token}"


def unsubscribe_page(row: str) -> str:
    """The page a person opens from the mail's own "unsubscribe" link (the token in the fragment,
    which no server's log sees)."""
    url = unsubscribe_url(row)
    base, _, query = url.partition("/api/unsubscribe?")
    return f"{base}/unsubscribe/#{query}"


# -- quiet hours and deferral ------------------------------------------------------------------

def knobs() -> dict[str, str]:
    from handlers.shared.knobs import knobs as read

    return read(settings(True).notify_knobs)


def quiet_until(now: datetime) -> Optional[datetime]:
    from handlers.shared import quiet

    values = knobs()
    return quiet.send_at(now, values["quiet-hours"], values["time-zone"])


def _stored(message: Message) -> dict:
    import base64

    return {"M": {
        "channel": {"S": message.channel}, "to": {"S": message.to}, "subject": {"S": message.subject},
        "text": {"S": message.text}, "html": {"S": message.html}, "from_name": {"S": message.from_name},
        "headers": {"S": json.dumps(message.headers)},
        "attachments": {"S": json.dumps([[a.filename, a.content_type, base64.b64encode(a.data).decode()] for a in message.attachments])},
    }}


def _message(stored: dict) -> Message:
    import base64

    m = {k: v["S"] for k, v in stored["M"].items()}
    attachments = tuple(Attachment(f, t, base64.b64decode(d)) for f, t, d in json.loads(m["attachments"]))
    return Message(m["channel"], m["to"], m["subject"], m["text"], m["html"], m["from_name"], json.loads(m["headers"]), attachments)


def defer(row: str, message: Message, system: str, template: str, until: datetime, target_arn: str = "") -> str:
    """Keep the rendered message on its row and have a one-off schedule hand it back at `until`.
    The schedule is named by the row and `until`, so a second defer of the same message to the same
    end makes none, and holding it again to a new end (the window moved) makes a new one."""
    config = settings(True)
    zone = knobs()["time-zone"]
    local = until.astimezone(ZoneInfo(zone))
    expires = int(until.timestamp()) + MESSAGE_DAYS * 86400
    dynamodb = client("dynamodb")
    try:
        dynamodb.put_item(TableName=config.notifications_table, ConditionExpression=FRESH, ExpressionAttributeNames=FRESH_NAMES,
                          ExpressionAttributeValues=FRESH_VALUES, Item={
            "pk": {"S": row}, "state": {"S": DEFERRED}, "due": {"S": until.isoformat()}, "system": {"S": system},
            "template": {"S": template}, "kind": {"S": MARKETING}, "channel": {"S": message.channel},
            "contact": {"S": message.to}, "message": _stored(message), "expires_at": {"N": str(expires)}})
    except dynamodb.exceptions.ConditionalCheckFailedException:
        outcome = existing(row)
        if outcome != DEFERRED:
            return outcome  # sent, suppressed or being sent: nothing to hold
        # Held already: make sure its schedule exists (the try that held it may have died before).
    scheduler = client("scheduler")
    try:
        scheduler.create_schedule(
            Name=config.deferred_schedules + hashlib.sha256(f"{row}|{until.isoformat()}".encode()).hexdigest()[:64 - len(config.deferred_schedules)],
            ScheduleExpression=f"at({local:%Y-%m-%dT%H:%M:%S})", ScheduleExpressionTimezone=zone,
            FlexibleTimeWindow={"Mode": "OFF"}, ActionAfterCompletion="DELETE",
            Target={"Arn": target_arn or config.deferred_target, "RoleArn": config.deferred_role,
                    "Input": json.dumps({"deliver": row})},
        )
        logger.info("marketing deferred to the end of quiet hours", extra={"system": system, "template": template, "at": local.isoformat()})
    except scheduler.exceptions.ConflictException:
        pass
    return DEFERRED


def deliver_deferred(row: str, target_arn: str, now: Optional[datetime] = None) -> str:
    """A deferred message's schedule fired: send it unless its contact was suppressed meanwhile."""
    table_name = settings(True).notifications_table
    item = client("dynamodb").get_item(TableName=table_name, Key={"pk": {"S": row}}, ConsistentRead=True).get("Item")
    # Held, or its send at the end of quiet hours failed or died (Lambda retries this event): the
    # words are still on the row until it is sent; deliver() decides by its claim and SES's proof.
    if not item or "message" not in item or item.get("state", {}).get("S") in (SENT, SUPPRESSED, UNKNOWN):
        return SENT_BEFORE
    message = _message(item["message"])
    system, template = item["system"]["S"], item["template"]["S"]
    why = blocked(suppression([message.to]).get(message.to), MARKETING, system)
    now = now or datetime.now(timezone.utc)
    if why:
        client("dynamodb").update_item(TableName=table_name, Key={"pk": {"S": row}}, UpdateExpression="SET #s = :s, why = :why REMOVE message",
                                       ExpressionAttributeNames={"#s": "state"}, ExpressionAttributeValues={":s": {"S": SUPPRESSED}, ":why": {"S": why}})
        return SUPPRESSED
    until = quiet_until(now)
    if until is not None:  # fired early, or the window moved: wait again
        defer(row, message, system, template, until, target_arn)
        return DEFERRED
    outcome = deliver(row, message, system, template, MARKETING)
    if outcome in (SENT, SENT_BEFORE):  # the words were kept only to be sent: the row keeps what and to whom, not them
        client("dynamodb").update_item(TableName=table_name, Key={"pk": {"S": row}}, UpdateExpression="REMOVE message")
    return outcome


# -- sending once ------------------------------------------------------------------------------

def deliver(row: str, message: Message, system: str, template: str, kind: str) -> str:
    """Claim the row, send, record it sent: SENT, SENT_BEFORE, BUSY or UNKNOWN."""
    config = settings()
    import time

    expires = int(time.time()) + MESSAGE_DAYS * 86400
    # A lapsed claim may be taken over only for a mail SES never accepted; a text never (see above).
    only_if = ("attribute_not_exists(accepted_at)", {}) if message.channel == EMAIL else ("attribute_not_exists(#claim)", {})
    spot = claims.Spot(config.notifications_table, {"pk": row}, name="send", only_if=only_if)
    taken = claims.claim(spot, record={"system": system, "template": template, "kind": kind, "channel": message.channel,
                                       "contact": message.to, "state": "sending", "expires_at": expires})
    if taken.outcome == claims.DONE:
        return SENT_BEFORE
    if taken.outcome == claims.BUSY:
        return BUSY
    if taken.outcome == claims.REFUSED:
        return settle_refused(spot, message)
    try:
        provider_id = send_now(row, message, kind)
    except Exception:
        claims.release(spot, taken, {"state": "failed"})
        raise
    claims.done(spot, taken, {"state": SENT, "provider_id": provider_id, "message": None})
    return SENT


def settle_refused(spot: claims.Spot, message: Message) -> str:
    """A lapsed claim we may not take over: SES took the mail (its Send event said so), or a text
    whose worker died mid-send, which is never sent twice."""
    if message.channel == EMAIL:
        client("dynamodb").update_item(TableName=spot.table, Key={"pk": {"S": spot.key["pk"]}},
                                       UpdateExpression="SET #claim.#state = :done, #s = :sent",
                                       ExpressionAttributeNames={"#claim": spot.name, "#state": "state", "#s": "state"},
                                       ExpressionAttributeValues={":done": {"S": "done"}, ":sent": {"S": SENT}})
        return SENT_BEFORE
    logger.error("text message state unknown: its worker died while sending; not sent again",
                 extra={"row": spot.key["pk"]})
    client("dynamodb").update_item(TableName=spot.table, Key={"pk": {"S": spot.key["pk"]}},
                                   UpdateExpression="SET #s = :unknown", ExpressionAttributeNames={"#s": "state"},
                                   ExpressionAttributeValues={":unknown": {"S": UNKNOWN}})
    return UNKNOWN


def send_now(row: str, message: Message, kind: str) -> str:
    config = settings()
    if message.channel == SMS:
        origination = config.sms_origination
        # Transactional texts are routed for reliability, marketing for cost (and carriers filter them as such).
        sms_type = "Promotional" if kind == MARKETING else "Transactional"
        attributes = {"AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": sms_type}}
        if origination.startswith("+"):
            attributes["AWS.MM.SMS.OriginationNumber"] = {"DataType": "String", "StringValue": origination}
        else:
            attributes["AWS.SNS.SMS.SenderID"] = {"DataType": "String", "StringValue": origination}
        return client("sns").publish(PhoneNumber=message.to, Message=message.text, MessageAttributes=attributes)["MessageId"]
    from handlers.shared import mail

    return mail.send(sender=config.mail_sender, configuration_set=config.mail_configuration_set, to=message.to,
                     subject=message.subject, html=message.html, text=message.text, headers=message.headers,
                     from_name=message.from_name, tags={TAG: row.removeprefix("MSG#")}, attachments=message.attachments)
