"""The redeem desk (staff session): look a member up, redeem a reward, reverse a redemption.

POST /api/members/lookup             {phone} → balance, tier, rewards [{id, name, cost, claimable}], recent
                                     redemptions (who redeemed and who reversed each, and when)
                                     (a POST: a phone number in a URL would land in access logs)
POST /api/redeem                     {phone, reward_id, request_id?} → {redemption_id, balance, at, by_staff,
                                     by_name} or 409
POST /api/redemptions/{id}/reverse   {reason}: the points go back to the member the redemption
                                     belongs to, with a reversed row and an audit row → {…, at, by_staff, by_name}

Every row a desk writes names the signed-in staff member (auth.Staff.by()); times are UTC, and
`time_zone` says the business's, which the page shows them in.

A redemption id (the desk's request_id) is the shop's, not the member's: reusing one for another
member is 409 `request_id_reused`, so a reverse can only ever reach the member it was made for.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timezone

from handlers.loyalty import rulebook, storage
from handlers.shared import auth
from handlers.shared.clock import business_date, utc_stamp
from handlers.shared.errors import ApiError, not_found
from handlers.shared.http import body, json_response, logger, make_api
from handlers.shared.settings import StaffSettings, bucket, setting, table

RECENT = 10
REDEMPTION_ID = re.compile(r"R[A-Za-z0-9_-]{8,64}")  # "R" + the desk's request_id or our own token
REFUSALS = {
    "already_redeemed": "This redemption was already made.",
    "request_id_reused": "This request was already used for another member's redemption: reload the desk and try again.",
    "already_reversed": "This redemption was already reversed.",
    "ambiguous": "This redemption id was used for more than one member, so it cannot be reversed here; "
                 "adjust the balance by hand.",
    "busy": "Another desk is changing this member's points right now: please try again.",
}


class RedeemSettings(StaffSettings):
    members_table = table("loyalty-members")
    ledger_table = table("loyalty-ledger")
    audit_table = table("loyalty-audit")
    rules_bucket = bucket("loyalty-rules")
    time_zone = setting("time zone")


settings = RedeemSettings.load()
app = make_api(settings.origin_verify_secret)


staff_only = auth.staff_only(settings, "loyalty-desk")


def stamp() -> tuple[str, str]:
    now = datetime.now(timezone.utc)
    return utc_stamp(now, "milliseconds"), business_date(settings.time_zone, now).isoformat()


@app.post("/api/members/lookup", middlewares=[staff_only])
def member():
    from handlers.loyalty.models import Lookup
    from handlers.shared.fields import national

    phone = body(app, Lookup).phone
    found = storage.get_member(settings.members_table, phone)
    if found is None:
        raise not_found("A member with that phone")
    balance = int(found["balance"])
    rules = rulebook.current_rules(settings.rules_bucket)
    rows = sorted(storage.ledger_rows(settings.ledger_table, phone), key=lambda r: r["ts"], reverse=True)
    reversals = {r.get("ref"): r for r in rows if r["entry"].startswith("reverse#")}
    recent = [{"redemption_id": r["ref"], "reward": r.get("reward"), "points": -int(r["points_change"]), "at": r["ts"],
               "by_name": r.get("by_name"), "reversed": r["ref"] in reversals,
               "reversed_at": reversals.get(r["ref"], {}).get("ts"), "reversed_by_name": reversals.get(r["ref"], {}).get("by_name")}
              for r in rows if r["entry"].startswith("redeem#")][:RECENT]
    return json_response(200, {
        "member_id": phone, "phone": national(phone), "name": found.get("name"), "balance": balance, "tier": found.get("tier", "none"),
        "visits": int(found.get("visit_count", 0)), "last_seen": found.get("last_seen"),
        "rewards": [{"id": r.id, "name": r.name, "cost": r.cost, "claimable": r.cost <= balance} for r in rules.rewards],
        "redemptions": recent, "time_zone": settings.time_zone,
    })


@app.post("/api/redeem", middlewares=[staff_only])
def redeem():
    from handlers.loyalty.models import Redeem

    request = body(app, Redeem)
    reward = rulebook.current_rules(settings.rules_bucket).reward(request.reward_id)
    if reward is None:
        unknown = "That reward is not on offer any more: reload the desk."
        raise ApiError(422, "validation_failed", unknown, {"reward_id": unknown})
    redemption_id = "R" + (request.request_id or secrets.token_hex(8))
    now, day = stamp()
    by = auth.current_staff(app).by()
    try:
        balance = storage.redeem(settings.members_table, settings.ledger_table, request.phone, reward.id, reward.cost,
                                 redemption_id, by, now, day)
    except storage.Refused as refused:
        if refused.code == "insufficient_points":
            logger.info("redeem refused: condition_failed", extra={"reward": reward.id})
            raise ApiError(409, "insufficient_points", f"Not enough points for {reward.name} ({reward.cost} needed).") from None
        if refused.code == "no_member":
            raise not_found("A member with that phone") from None
        raise ApiError(409, refused.code, REFUSALS[refused.code]) from None
    return json_response(200, {"redemption_id": redemption_id, "balance": balance, "reward": reward.id, "at": now, **by,
                               "time_zone": settings.time_zone})


@app.post("/api/redemptions/<redemption_id>/reverse", middlewares=[staff_only])
def reverse(redemption_id: str):
    from handlers.loyalty.models import Reverse

    if not REDEMPTION_ID.fullmatch(redemption_id):
        raise not_found("That redemption")
    request = body(app, Reverse)
    try:
        redemption = storage.find_redemption(settings.ledger_table, redemption_id)
        if redemption is None:
            raise not_found("That redemption")
        now, day = stamp()
        by = auth.current_staff(app).by()
        storage.reverse(settings.members_table, settings.ledger_table, settings.audit_table, redemption, request.reason, by, now, day)
    except storage.Refused as refused:
        raise ApiError(409, refused.code, REFUSALS[refused.code]) from None
    found = storage.get_member(settings.members_table, redemption["phone"])
    return json_response(200, {"redemption_id": redemption_id, "reversed": True, "balance": int(found["balance"]), "at": now, **by,
                               "time_zone": settings.time_zone})


@logger.inject_lambda_context
def handler(event, context):
    return app.resolve(event, context)
