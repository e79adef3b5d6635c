"""The desk (staff session): look a member up, redeem a reward, reverse a redemption, review held
sales, enrol a customer, correct a member's details, and (the owner) adjust points.

POST /api/members/lookup             {phone} → balance, tier, rewards [{id, name, cost, claimable}], recent
                                     redemptions (who redeemed and who reversed each, and when)
                                     (a POST: a phone number in a URL would land in access logs)
POST /api/redeem                     {phone, reward_id, request_id?} → {redemption_id, balance, at, by_staff,
                                     by_name} or 409
POST /api/redemptions/{id}/reverse   {reason}: the points go back to the member the redemption
                                     belongs to, with a reversed row and an audit row → {…, at, by_staff, by_name}
GET  /api/held                       sales held for review, oldest first, with the reason and the points
POST /api/held/release               {member_id, sale_id}: the computed points credited once, naming the sale
POST /api/held/reject                {member_id, sale_id, reason}: no points, an audit row
POST /api/members/enrol              {phone, name, email?, texts, consent: true, request_id}: a customer at the counter
POST /api/members/details            {phone, name?, email?, texts?, new_phone?, reason?}: the member is at
                                     the desk; a new address waits for its confirmation link; a new number
                                     moves the whole membership to it
POST /api/members/adjust             {phone, points, reason, request_id}: owner only, never below zero

Every row a desk writes names the signed-in staff member (auth.Staff.by()); times are UTC, and
`time_zone` says the business's, which the page shows them in.

A redemption id (the desk's request_id) is the shop's, not the member's: reusing one for another
member is 409 `request_id_reused`, so a reverse can only ever reach the member it was made for.
"""

from __future__ import annotations

import json
import re
import secrets
from datetime import datetime, timezone

from handlers.loyalty import rulebook, storage, tokens
from handlers.shared import auth, notify
from handlers.shared.aws import client
from handlers.shared.clock import business_date, utc_stamp
from handlers.shared.errors import ApiError, not_found
from handlers.shared.http import body, json_response, logger, make_api, public_base_url
from handlers.shared.secrets import secret_value
from handlers.shared.settings import StaffSettings, bucket, bus, secret, setting, table

RECENT = 10
HISTORY = 50  # ledger rows the desk shows, newest first
REDEMPTION_ID = re.compile(r"R[A-Za-z0-9_-]{8,64}")  # "R" + the desk's request_id or our own token
REFUSALS = {
    "already_redeemed": "This redemption was already made.",
    "request_id_reused": "This request was already used for another member's redemption: reload the desk and try again.",
    "already_reversed": "This redemption was already reversed.",
    "ambiguous": "This redemption id was used for more than one member, so it cannot be reversed here; "
                 "adjust the balance by hand.",
    "busy": "Another desk is changing this member's points right now: please try again.",
    "already_adjusted": "This adjustment was already made.",
    "no_held_sale": "That held sale was not found: reload the desk.",
}


class RedeemSettings(StaffSettings, notify.NotifySettings):
    members_table = table("loyalty-members")
    ledger_table = table("loyalty-ledger")
    audit_table = table("loyalty-audit")
    review_table = table("loyalty-review")
    rules_bucket = bucket("loyalty-rules")
    member_token_secret = secret("member-token-key")
    event_bus = bus()
    events_source = setting("events source")
    time_zone = setting("time zone")


settings = RedeemSettings.load()
app = make_api(settings.origin_verify_secret)


staff_only = auth.staff_only(settings, "loyalty-desk")
owner_only = auth.staff_only(settings, auth.OWNER)


def stamp() -> tuple[str, str]:
    now = datetime.now(timezone.utc)
    return utc_stamp(now, "milliseconds"), business_date(settings.time_zone, now).isoformat()


@app.post("/api/members/lookup", middlewares=[staff_only])
def member():
    from handlers.loyalty.models import Lookup
    from handlers.shared.fields import national

    found = storage.current_member(settings.members_table, body(app, Lookup).phone)  # an old number finds its member
    if found is None:
        raise not_found("A member with that phone")
    phone = found["phone"]
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
        "redemptions": recent, "history": history(rows, rules, found), "time_zone": settings.time_zone,
        "email": found.get("email"), "email_confirmed": bool(found.get("email")) and found.get("confirmed_email") == found.get("email"),
        "pending_email": found.get("pending_email"), "texts": found.get("texts") is True,
    })


def history(rows: list[dict], rules, member: dict) -> list[dict]:
    """The member's ledger in words, newest first: what happened, who did it, the points
    (mail rows are not events at the counter)."""
    from handlers.shared.fields import national

    def reward_name(reward_id):
        reward = rules.reward(reward_id or "")
        return reward.name if reward else (reward_id or "A reward")

    said = []
    for row in rows:
        entry, by = row["entry"], row.get("by_name")
        if entry.startswith("mail#"):
            continue
        if entry.startswith("redeem#"):
            what = f"{reward_name(row.get('reward'))} — redeemed" + (f" by {by}" if by else "")
        elif entry.startswith("reverse#"):
            what = "Redemption reversed" + (f" by {by}" if by else "") + (f": {row['note']}" if row.get("note") else "")
        elif entry.startswith("release#"):
            what = f"Held sale {row.get('sale_id', '')} released" + (f" by {by}" if by else "")
        elif entry.startswith("moved#"):
            other = national(entry.removeprefix("moved#"))
            what = ("Moved to " if row.get("reason") == "moved to a new number" else "Moved from ") + other \
                + (f" by {by}" if by else "") + (f": {row['note']}" if row.get("note") else "")
        elif entry.startswith("adjust#"):
            what = "Adjusted" + (f" by {by}" if by else "") + (f": {row['note']}" if row.get("note") else "")
        elif entry.startswith("sale#"):
            what = "Visit — held for review" if row.get("reason") == "held" else "Visit"
        else:
            what = row.get("reason", "")
        said.append({"at": row["ts"], "what": what, "points": int(row.get("points_change", 0))})
    said = said[:HISTORY]
    if len(said) < HISTORY and member.get("joined"):
        by = member.get("enrolled_by")
        said.append({"at": member["joined"], "what": f"Enrolled at the counter by {by}" if by else "Joined", "points": 0})
    return said


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
        balance = redeem_on(request.phone, reward, redemption_id, by, now, day)
    except storage.Refused as refused:
        if refused.code == "insufficient_points":
            logger.info("redeem refused: condition_failed", extra={"reward": reward.id})
            raise ApiError(409, "insufficient_points", f"Not enough points for {reward.name} ({reward.cost} needed).") from None
        if refused.code == "no_member":
            raise not_found("A member with that phone") from None
        raise ApiError(409, refused.code, REFUSALS[refused.code]) from None
    return json_response(200, {"redemption_id": redemption_id, "balance": balance, "reward": reward.id, "at": now, **by,
                               "time_zone": settings.time_zone})


def redeem_on(phone: str, reward, redemption_id: str, by: dict, now: str, day: str) -> int:
    """storage.redeem on the number the membership has now: a moved member's old number (the
    desk's screen may be older than the move) is refused with the row naming the new one."""
    for _ in range(storage.MOVES_FOLLOWED):
        try:
            return storage.redeem(settings.members_table, settings.ledger_table, phone, reward.id, reward.cost, redemption_id, by, now, day)
        except storage.Refused as refused:
            if refused.code != "moved":
                raise
            phone = refused.item["moved_to"]
    raise storage.Refused("no_member")


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
        phone = current_phone(redemption["phone"])  # the points go back where the membership is now
        storage.reverse(settings.members_table, settings.ledger_table, settings.audit_table, redemption, request.reason, by, now, day,
                        phone=phone)
    except storage.Refused as refused:
        raise ApiError(409, refused.code, REFUSALS[refused.code]) from None
    found = storage.get_member(settings.members_table, phone)
    return json_response(200, {"redemption_id": redemption_id, "reversed": True, "balance": int(found["balance"]), "at": now, **by,
                               "time_zone": settings.time_zone})


def current_phone(phone: str) -> str:
    """The number a membership has now (a desk may still have the old one on its screen)."""
    member = storage.current_member(settings.members_table, phone)
    return member["phone"] if member else phone


# -- held sales ---------------------------------------------------------------------------------

def emit(detail_type: str, detail: dict) -> None:
    client("events").put_events(Entries=[{"Source": settings.events_source, "DetailType": detail_type, "Detail": json.dumps(detail),
                                          "EventBusName": settings.event_bus}])


HELD_AGAIN = {"already_released": "released", "already_rejected": "rejected"}


def held_refused(refused: storage.Refused) -> ApiError:
    """A second decision on one held sale (a double-click, another desk): who made the first."""
    if refused.code in HELD_AGAIN and refused.item:
        who = refused.item.get("decided_by_name") or "someone"
        return ApiError(409, refused.code, f"This sale was already {HELD_AGAIN[refused.code]} by {who}.")
    if refused.code == "no_held_sale":
        return ApiError(404, "not_found", REFUSALS["no_held_sale"])
    return ApiError(409, refused.code, REFUSALS.get(refused.code, REFUSALS["busy"]))


@app.get("/api/held", middlewares=[staff_only])
def held():
    from handlers.shared.fields import national

    waiting = storage.held_sales(settings.review_table)
    names = {}
    for sale in waiting:
        if sale["phone"] not in names:
            names[sale["phone"]] = (storage.get_member(settings.members_table, sale["phone"]) or {}).get("name")
    return json_response(200, {"held": [
        {"member_id": s["phone"], "phone": national(s["phone"]), "name": names[s["phone"]], "sale_id": s["sale_id"],
         "total": s.get("total"), "points": int(s.get("computed_points", 0)), "reason": reason_in_words(s.get("flag_reason", "")),
         "held_at": s.get("held_at")} for s in waiting], "time_zone": settings.time_zone})


def reason_in_words(flag: str) -> str:
    """earn's flag ("total over 400") as the desk says it."""
    if flag.startswith("total over "):
        return f"The sale's total is over ${flag.removeprefix('total over ')}"
    if flag.startswith("points over "):
        return f"It would add more than {flag.removeprefix('points over ')} points"
    return flag


@app.post("/api/held/release", middlewares=[staff_only])
def release():
    from handlers.loyalty.models import HeldSale

    request = body(app, HeldSale)
    now, day = stamp()
    by = auth.current_staff(app).by()
    try:
        points, before = storage.release_held(settings.members_table, settings.ledger_table, settings.review_table,
                                              settings.audit_table, request.member_id, request.sale_id, by, now, day,
                                              credit=current_phone(request.member_id))
    except storage.Refused as refused:
        raise held_refused(refused) from None
    rules = rulebook.current_rules(settings.rules_bucket)
    crossed = rules.rewards_crossed(before, before + points)
    if crossed:
        emit("reward_earned", {"phone": current_phone(request.member_id), "reward_id": crossed[-1].id, "balance": before + points})
    return json_response(200, {"released": True, "points": points, "balance": before + points, "at": now, **by,
                               "time_zone": settings.time_zone})


@app.post("/api/held/reject", middlewares=[staff_only])
def reject():
    from handlers.loyalty.models import Reject

    request = body(app, Reject)
    now, day = stamp()
    by = auth.current_staff(app).by()
    try:
        storage.reject_held(settings.review_table, settings.audit_table, request.member_id, request.sale_id, request.reason,
                            by, now, day)
    except storage.Refused as refused:
        raise held_refused(refused) from None
    return json_response(200, {"rejected": True, "at": now, **by, "time_zone": settings.time_zone})


# -- the member at the counter ----------------------------------------------------------------------

def send_confirmation(phone: str, email: str) -> None:
    """The address a customer gave at the desk is confirmed by its own link before anything else
    is mailed to it (the confirm mail carries nothing typed)."""
    key = secret_value(settings.member_token_secret)
    url = f"{public_base_url(app)}/confirm/#t={tokens.sign(key, 'confirm', phone, email)}"
    notify.notify(key=f"{phone}:{email}:desk", to=notify.Recipient(email=email), kind=notify.TRANSACTIONAL,
                  system="loyalty", template="confirm", data={"url": url})


@app.post("/api/members/enrol", middlewares=[staff_only])
def enrol():
    from handlers.loyalty.models import Enrol

    request = body(app, Enrol)
    now, day = stamp()
    by = auth.current_staff(app).by()
    existing = storage.sign_up(settings.members_table, request.phone, request.name, request.email, request.texts, now,
                               day[:7], enrolled_by=by["by_name"], enrolled_by_staff=by["by_staff"], enrol_request=request.request_id)
    if existing is not None and existing.get("enrol_request") != request.request_id:
        raise ApiError(409, "already_member", "This number is a member already: look it up instead.")
    if existing is None:
        storage.record_staff_action(settings.audit_table, request.phone, "enrol", by, now, day)
        if request.email:
            send_confirmation(request.phone, request.email)
    return json_response(201, {"member_id": request.phone, "enrolled": True, "at": now, **by, "time_zone": settings.time_zone})


@app.post("/api/members/details", middlewares=[staff_only])
def details():
    from handlers.loyalty.models import Details

    request = body(app, Details)
    now, day = stamp()
    by = auth.current_staff(app).by()
    current = storage.current_member(settings.members_table, request.phone)
    if current is None:
        raise not_found("A member with that phone")
    phone = current["phone"]
    if request.new_phone:
        try:
            storage.move_member(settings.members_table, settings.ledger_table, settings.audit_table, phone, request.new_phone,
                                request.reason, by, now, day)
        except storage.Refused as refused:
            if refused.code == "number_taken":
                raise ApiError(409, "number_taken", "The new number is a member already: their points cannot be merged here.") from None
            raise ApiError(409, "busy", REFUSALS["busy"]) from None
        phone = request.new_phone
    email = request.email if request.email and request.email != current.get("email") else None
    changed = storage.change_details(settings.members_table, phone, name=request.name, texts=request.texts, email=email)
    what = [f for f, v in (("name", request.name), ("texts", request.texts), ("email", email)) if v is not None]
    if what:
        storage.record_staff_action(settings.audit_table, phone, "details", by, now, day, changed=",".join(what))
    if email:
        send_confirmation(phone, email)
    return json_response(200, {"member_id": phone, "changed": what + (["phone"] if request.new_phone else []),
                               "pending_email": (changed or {}).get("pending_email"), "at": now, **by, "time_zone": settings.time_zone})


@app.post("/api/members/adjust", middlewares=[owner_only])
def adjust():
    from handlers.loyalty.models import Adjust

    request = body(app, Adjust)
    now, day = stamp()
    by = auth.current_staff(app).by()
    phone = current_phone(request.phone)
    try:
        balance = storage.adjust(settings.members_table, settings.ledger_table, settings.audit_table, phone, request.points,
                                 request.reason, request.request_id, by, now, day)
    except storage.Refused as refused:
        if refused.code == "no_member":
            raise not_found("A member with that phone") from None
        if refused.code == "insufficient_points":
            raise ApiError(409, "insufficient_points", "That would take the balance below zero.") from None
        raise ApiError(409, refused.code, REFUSALS.get(refused.code, REFUSALS["busy"])) from None
    return json_response(200, {"member_id": phone, "balance": balance, "at": now, **by, "time_zone": settings.time_zone})


@logger.inject_lambda_context
def handler(event, context):
    return app.resolve(event, context)
