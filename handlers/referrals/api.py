"""Staff API of the referrals system: click statistics and vendor outreach.

GET  /api/referrals/stats?days=N               per vendor: clicks, unique visitors, bot hits,
                                               last click, daily series (and the orphan row)
GET  /api/referrals/outreach                   batches, newest first
POST /api/referrals/outreach                   render a batch for review (pending_review)
GET  /api/referrals/outreach/{id}              a batch with its rendered mails
GET  /api/referrals/outreach/{id}/preview      the same as a page to read
POST /api/referrals/outreach/{id}/approve      send it, each mail once; again: what is not sent yet

A batch names who made it (by_staff, by_name) and who approved it (approved_by); times are UTC,
`time_zone` says the business's, which the pages show them in. Outreach is marketing, sent
through the notifier: a mail approved in quiet hours is held until they end, and one to an
address that bounced, complained or unsubscribed is not sent; each mail's `state` says so.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from handlers.referrals import storage
from handlers.referrals.stats import vendor_stats
from handlers.shared import auth, mail, notify
from handlers.shared.clock import utc_stamp
from handlers.shared.errors import ApiError, not_found
from handlers.shared.http import body, html_response, json_response, logger, make_api, public_base_url
from handlers.shared.settings import StaffSettings, setting, table

BATCH_ID = re.compile(r"[0-9]{8}T[0-9]{6}Z-[0-9a-f]{8}")
# Why the notifier kept a mail from an address (handlers.shared.notify), as the page says it.
NOT_SENT = {"bounce": "the address bounced before", "complaint": "the address reported our mail as spam before",
            "unsubscribed": "they unsubscribed from our mail"}


class ReferralApiSettings(StaffSettings, notify.MarketingSettings):
    stats_table = table("referral-stats")
    outreach_table = table("outreach")
    time_zone = setting("time zone")


settings = ReferralApiSettings.load()
app = make_api(settings.origin_verify_secret)


staff_only = auth.staff_only(settings, "referrals")


DAYS = re.compile(r"[0-9]{1,4}")  # ASCII digits only: int() also reads " 7", "1_0" and "٣"
MAX_DAYS = 90


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


def _days(raw: str | None) -> int:
    if raw is None:
        return 30
    if not DAYS.fullmatch(raw) or not 1 <= int(raw) <= MAX_DAYS:
        problem = f"Please choose a number of days from 1 to {MAX_DAYS}."
        raise ApiError(422, "validation_failed", problem, {"days": problem})
    return int(raw)


@app.get("/api/referrals/stats", middlewares=[staff_only])
def stats():
    days = _days(app.current_event.get_query_string_value("days"))
    return json_response(200, vendor_stats(settings.stats_table, days, settings.time_zone))


def _batch_or_404(batch_id: str) -> dict:
    batch = storage.get_batch(settings.outreach_table, batch_id) if BATCH_ID.fullmatch(batch_id) else None
    if batch is None:
        raise not_found("That outreach batch")
    return batch


@app.get("/api/referrals/outreach", middlewares=[staff_only])
def list_batches():
    return json_response(200, {"batches": storage.list_batches(settings.outreach_table), "time_zone": settings.time_zone})


@app.post("/api/referrals/outreach", middlewares=[staff_only])
def create_batch():
    from handlers.referrals import outreach
    from handlers.referrals.models import NewBatch

    request = body(app, NewBatch)
    vendors = storage.vendors(settings.stats_table)
    if request.vendor_codes is not None:
        known = {v["code"] for v in vendors}
        unknown = [code for code in request.vendor_codes if code not in known]
        if unknown:
            problem = (f"We have no vendor with the code {unknown[0]}." if len(unknown) == 1
                       else f"We have no vendors with the codes {', '.join(unknown)}.") + " Please choose vendors from the list."
            raise ApiError(422, "validation_failed", problem, {"vendor_codes": problem})
        vendors = [v for v in vendors if v["code"] in request.vendor_codes]
    if not vendors:
        problem = "There are no vendors to write to yet: add them to the stack's vendors first."
        raise ApiError(422, "validation_failed", problem, {"vendor_codes": problem})
    mails = outreach.render_mails(request, vendors, public_base_url(app))
    now = datetime.now(timezone.utc)
    batch = {"id": outreach.new_batch_id(now), "status": "pending_review", "created_at": utc_stamp(now),
             "subject": request.subject, "mail_count": len(mails), **auth.current_staff(app).by()}
    storage.put_batch(settings.outreach_table, batch, [m.model_dump() for m in mails])
    logger.info("outreach batch created", extra={"batch": batch["id"], "mails": len(mails)})
    return json_response(201, {"batch": _batch_or_404(batch["id"]), "mails": _shown(storage.batch_mails(settings.outreach_table, batch["id"])),
                               "time_zone": settings.time_zone})


def state(item: dict) -> str:
    """What became of one mail, in words ("held until 08:00 (quiet hours)", in the business's zone)."""
    status = item["status"]
    if status == "held" and item.get("held_until"):
        until = datetime.fromisoformat(item["held_until"]).astimezone(ZoneInfo(settings.time_zone))
        return f"held until {until:%H:%M} (quiet hours)"
    if status == "suppressed":
        return f"not sent: {NOT_SENT.get(item.get('why') or '', 'the address is on the do-not-mail list')}"
    if status == "failed":
        return "failed: approve again to retry"
    return status


def _shown(mails: list[dict]) -> list[dict]:
    """The mails as the pages get them: with their state in words, without the template data."""
    return [{**{k: v for k, v in m.items() if k != "data"}, "state": state(m)} for m in mails]


def _settled(batch_id: str) -> list[dict]:
    """The batch's mails, those held for quiet hours brought up to date from the notifier's rows
    (it sends them at the end of the window, or drops them if the address was suppressed meanwhile)."""
    table = settings.outreach_table
    mails = storage.batch_mails(table, batch_id)
    changed = False
    for item in (m for m in mails if m["status"] == "held"):
        row = notify_row(batch_id, item["code"])
        if row.get("state") != notify.DEFERRED:
            record(batch_id, item["code"], row)
            changed = True
    if changed:
        mails = storage.batch_mails(table, batch_id)
        storage.finish_batch(table, batch_id, mails)
    return mails


@app.get("/api/referrals/outreach/<batch_id>", middlewares=[staff_only])
def show_batch(batch_id: str):
    _batch_or_404(batch_id)
    mails = _shown(_settled(batch_id))
    return json_response(200, {"batch": _batch_or_404(batch_id), "mails": mails, "time_zone": settings.time_zone})


@app.get("/api/referrals/outreach/<batch_id>/preview", middlewares=[staff_only])
def preview(batch_id: str):
    _batch_or_404(batch_id)
    mails = _shown(_settled(batch_id))
    return html_response(200, mail.render("referrals", "preview.html.j2", batch=_batch_or_404(batch_id), mails=mails))


@app.post("/api/referrals/outreach/<batch_id>/approve", middlewares=[staff_only])
def approve(batch_id: str):
    """Send an approved batch, each mail once. Approving again a batch that is not all sent (a try
    died mid-way, or a mail failed) sends what is missing; a mail that went is never sent again."""
    table = settings.outreach_table
    batch = _batch_or_404(batch_id)
    if batch["status"] == "held":  # the end of quiet hours may have come
        _settled(batch_id)
        batch = _batch_or_404(batch_id)
    if not storage.approve(table, batch_id, utc_stamp(), auth.current_staff(app).by()) and batch["status"] in ("sent", "held"):
        raise ApiError(409, "already_approved", "This batch was already approved; it is sent." if batch["status"] == "sent" else
                       "This batch was already approved; its mails wait for the end of quiet hours.")
    for item in storage.batch_mails(table, batch_id):
        if item["status"] == "sent":
            continue
        try:
            outcome = notify.notify(key=outreach_key(batch_id, item["code"]), to=notify.Recipient(email=item["to"]),
                                    kind=notify.MARKETING, system="referrals", template="outreach", data=json.loads(item["data"]),
                                    now=now_utc())
        except Exception:
            logger.exception("outreach mail not sent", extra={"batch": batch_id, "vendor": item["code"]})
            storage.set_mail_state(table, batch_id, item["code"], "failed")
            continue
        if outcome.busy:
            storage.set_mail_state(table, batch_id, item["code"], "sending")
        elif outcome:
            record(batch_id, item["code"], notify_row(batch_id, item["code"]))
    mails = storage.batch_mails(table, batch_id)
    storage.finish_batch(table, batch_id, mails)
    return json_response(200, {"batch": _batch_or_404(batch_id), "mails": _shown(mails), "time_zone": settings.time_zone})


def outreach_key(batch_id: str, code: str) -> str:
    from handlers.referrals import outreach

    return outreach.message_key(batch_id, code)


def notify_row(batch_id: str, code: str) -> dict:
    """The notifier's row of one outreach mail: its state, SES's message id, when a held mail is
    due, why a suppressed one did not go."""
    from handlers.shared.aws import client

    key = notify.message_key("referrals", "outreach", outreach_key(batch_id, code), notify.EMAIL)
    item = client("dynamodb").get_item(TableName=settings.notifications_table, Key={"pk": {"S": key}}, ConsistentRead=True,
                                       ProjectionExpression="#s, provider_id, due, why",
                                       ExpressionAttributeNames={"#s": "state"}).get("Item", {})
    return {k: v["S"] for k, v in item.items() if "S" in v}


def record(batch_id: str, code: str, row: dict) -> None:
    """The mail's status from the notifier's row of it."""
    table, current = settings.outreach_table, row.get("state", "")
    if current == notify.SENT:
        storage.set_mail_state(table, batch_id, code, "sent", message_id=row.get("provider_id"))
    elif current == notify.DEFERRED:
        storage.set_mail_state(table, batch_id, code, "held", held_until=row.get("due"))
    elif current == notify.SUPPRESSED:
        storage.set_mail_state(table, batch_id, code, "suppressed", why=row.get("why"))
    elif current == "sending":  # another try holds it (or died holding it: approving again finishes it)
        storage.set_mail_state(table, batch_id, code, "sending")


@logger.inject_lambda_context
def handler(event, context):
    return app.resolve(event, context)
