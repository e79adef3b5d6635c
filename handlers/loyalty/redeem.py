"""The redeem desk (staff session): look a member up, redeem a reward, reverse a redemption.

GET  /api/members/{phone}            balance, tier, rewards [{id, name, cost, claimable}], recent
POST /api/redeem                     {phone, reward_id, request_id?} → {redemption_id, balance} or 409
POST /api/redemptions/{id}/reverse   {reason}: the points go back, with a reversed row and an audit row
"""

from __future__ import annotations

import secrets
from datetime import datetime, timezone
from urllib.parse import unquote

from handlers.loyalty import rulebook, storage
from handlers.shared import auth
from handlers.shared.clock import business_date, utc_stamp
from handlers.shared.errors import ApiError, not_found
from handlers.shared.http import body, json_response, logger, make_api
from handlers.shared.settings import StaffSettings, bucket, setting, table

RECENT = 10


class RedeemSettings(StaffSettings):
    members_table = table("loyalty-members")
    ledger_table = table("loyalty-ledger")
    audit_table = table("loyalty-audit")
    rules_bucket = bucket("loyalty-rules")
    time_zone = setting("time zone")


settings = RedeemSettings.load()
app = make_api(settings.origin_verify_secret)


staff_only = auth.staff_only(settings.session_key_secret)


def stamp() -> tuple[str, str]:
    now = datetime.now(timezone.utc)
    return utc_stamp(now, "milliseconds"), business_date(settings.time_zone, now).isoformat()


@app.get("/api/members/<phone>", middlewares=[staff_only])
def member(phone: str):
    from handlers.loyalty.models import e164

    try:
        phone = e164(unquote(phone))
    except ValueError as exc:
        raise ApiError(422, "validation_failed", f"phone: {exc}.", {"phone": str(exc)}) from None
    found = storage.get_member(settings.members_table, phone)
    if found is None:
        raise not_found("A member with that phone")
    balance = int(found["balance"])
    rules = rulebook.current_rules(settings.rules_bucket)
    rows = sorted(storage.ledger_rows(settings.ledger_table, phone), key=lambda r: r["ts"], reverse=True)
    reversed_refs = {r.get("ref") for r in rows if r["entry"].startswith("reverse#")}
    recent = [{"redemption_id": r["ref"], "reward": r.get("reward"), "points": -int(r["points_change"]), "at": r["ts"],
               "reversed": r["ref"] in reversed_refs} for r in rows if r["entry"].startswith("redeem#")][:RECENT]
    return json_response(200, {
        "member_id": phone, "name": found.get("name"), "balance": balance, "tier": found.get("tier", "none"),
        "visits": int(found.get("visit_count", 0)), "last_seen": found.get("last_seen"),
        "rewards": [{"id": r.id, "name": r.name, "cost": r.cost, "claimable": r.cost <= balance} for r in rules.rewards],
        "redemptions": recent,
    })


@app.post("/api/redeem", middlewares=[staff_only])
def redeem():
    from handlers.loyalty.models import Redeem

    request = body(app, Redeem)
    reward = rulebook.current_rules(settings.rules_bucket).reward(request.reward_id)
    if reward is None:
        raise ApiError(422, "validation_failed", "reward_id: not a reward of the current rules.", {"reward_id": "unknown reward"})
    redemption_id = "R" + (request.request_id or secrets.token_hex(8))
    now, day = stamp()
    try:
        balance = storage.redeem(settings.members_table, settings.ledger_table, request.phone, reward.id, reward.cost,
                                 redemption_id, "desk", now, day)
    except storage.Refused as refused:
        if refused.code == "insufficient_points":
            logger.info("redeem refused: condition_failed", extra={"reward": reward.id})
            raise ApiError(409, "insufficient_points", f"Not enough points for {reward.name} ({reward.cost} needed).") from None
        if refused.code == "no_member":
            raise not_found("A member with that phone") from None
        raise ApiError(409, "already_redeemed", "This redemption was already made.") from None
    return json_response(200, {"redemption_id": redemption_id, "balance": balance, "reward": reward.id})


@app.post("/api/redemptions/<redemption_id>/reverse", middlewares=[staff_only])
def reverse(redemption_id: str):
    from handlers.loyalty.models import Reverse

    request = body(app, Reverse)
    redemption = storage.find_redemption(settings.ledger_table, redemption_id)
    if redemption is None:
        raise not_found("That redemption")
    now, day = stamp()
    try:
        storage.reverse(settings.members_table, settings.ledger_table, settings.audit_table, redemption, request.reason, "desk", now, day)
    except storage.Refused:
        raise ApiError(409, "already_reversed", "This redemption was already reversed.") from None
    found = storage.get_member(settings.members_table, redemption["phone"])
    return json_response(200, {"redemption_id": redemption_id, "reversed": True, "balance": int(found["balance"])})


@logger.inject_lambda_context
def handler(event, context):
    return app.resolve(event, context)
