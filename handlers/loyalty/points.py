"""My points: a member sees their own balance, rewards and visits, and changes their details,
after proving the number is theirs with a one-time code.

POST /api/points/code     {phone} → 202, the same answer whether the number is a member or not; a
                          member gets a 6-digit code by text (by mail to their confirmed address
                          when the stack has no texts), good for 10 minutes, once
POST /api/points/verify   {phone, code} → {token, member}: the token is the page's for 30 minutes
POST /api/points/link     {token}: a balance mail's personal link (48 hours) → {token, member}
POST /api/points/me       {token} → {member}
POST /api/points/details  {token, name?, email?, texts?} → {member}: a new address waits for its own
                          confirmation link before anything is mailed to it

Tokens travel in bodies, never in a URL (the mail's link carries its token after `#`, which no
server sees). Five codes asked for and five wrong codes per number per hour; then 429.
"""

from __future__ import annotations

import hmac
import secrets
import time
from datetime import datetime, timezone
from typing import Optional

from pydantic import BaseModel, Field

from handlers.loyalty import codes, rulebook, storage
from handlers.loyalty import tokens as member_tokens
from handlers.shared import notify, tokens
from handlers.shared.clock import business_date
from handlers.shared.errors import ApiError
from handlers.shared.fields import Line, OptionalEmail, Phone, national
from handlers.shared.http import body, json_response, logger, make_api, public_base_url
from handlers.shared.secrets import secret_value
from handlers.shared.settings import HttpSettings, bucket, secret, setting, table

VISITS = 10
ON_ITS_WAY = "If this number is a member, a code is on its way: by text, or by e-mail when we have no texts for it."
WRONG = "That code is not right or has expired: check it, or ask for a new one."
SESSION_OVER = "Your session has ended: ask for a new code."
TOO_MANY_CODES = "Too many codes were asked for this number in the last hour: please try again later."
TOO_MANY_WRONG = "Too many wrong codes for this number in the last hour: please try again later."
TOKEN = r"^[A-Za-z0-9_.-]{10,500}$"


class PointsSettings(HttpSettings, notify.NotifySettings):
    codes_table = table("loyalty-codes")
    members_table = table("loyalty-members")
    ledger_table = table("loyalty-ledger")
    rules_bucket = bucket("loyalty-rules")
    member_token_secret = secret("member-token-key")
    time_zone = setting("time zone")


settings = PointsSettings.load()
app = make_api(settings.origin_verify_secret)


class AskCode(BaseModel):
    phone: Phone = Field(title="your mobile number")


class Verify(BaseModel):
    phone: Phone = Field(title="your mobile number")
    code: str = Field(pattern=r"^[0-9]{6}$", title="the code (six digits)")


class Session(BaseModel):
    token: str = Field(pattern=TOKEN, title="the page's session")


class Change(Session):
    name: Optional[Line(80)] = Field(None, title="your first name")
    email: OptionalEmail = Field(None, title="your e-mail address")
    texts: Optional[bool] = Field(None, title="your choice of reward texts")


def key() -> str:
    return secret_value(settings.member_token_secret)


def now_s() -> int:
    return int(time.time())


@app.post("/api/points/code")
def ask_code():
    phone = body(app, AskCode).phone
    now = now_s()
    # Counted before membership is looked at: the limit says nothing about who is a member.
    if not codes.take(settings.codes_table, "SENT", phone, now, codes.SENDS_PER_HOUR):
        raise ApiError(429, "too_many_codes", TOO_MANY_CODES, headers={"Retry-After": str(3600 - now % 3600)})
    member = storage.get_member(settings.members_table, phone)
    if member and member.get("status") != storage.MOVED:
        code = f"{secrets.randbelow(10 ** 6):06d}"
        if codes.store(settings.codes_table, phone, codes.digest(key(), phone, code), now):
            send_code(member, code, now)
    return json_response(202, {"message": ON_ITS_WAY})


def send_code(member: dict, code: str, now: int) -> None:
    """By text to the number (the person asked just now), or by mail to the member's confirmed
    address when the stack has no texts; never to an address nobody confirmed."""
    confirmed = member.get("email") if member.get("email") and member.get("confirmed_email") == member.get("email") else ""
    to = notify.Recipient(phone=member["phone"], texts=True) if settings.sms_origination else notify.Recipient(email=confirmed or "")
    if not to.phone and not to.email:
        logger.info("code asked for by a member with no number to text and no confirmed address")
        return
    notify.notify(key=f"{member['phone']}:{now}", to=to, kind=notify.TRANSACTIONAL, system="loyalty", template="points_code",
                  data={"code": code, "minutes": codes.CODE_TTL_S // 60})


@app.post("/api/points/verify")
def verify():
    request = body(app, Verify)
    now = now_s()
    if not codes.take(settings.codes_table, "TRIED", request.phone, now, codes.WRONG_PER_HOUR):
        raise ApiError(429, "too_many_wrong_codes", TOO_MANY_WRONG, headers={"Retry-After": str(3600 - now % 3600)})
    expected = codes.live(settings.codes_table, request.phone)
    offered = codes.digest(key(), request.phone, request.code)
    if not expected or int(expected["expires"]) <= now or not hmac.compare_digest(expected["hash"], offered) \
            or not codes.use(settings.codes_table, request.phone, offered, now):
        logger.info("wrong or expired code")
        raise ApiError(401, "code_wrong", WRONG)
    codes.give_back(settings.codes_table, "TRIED", request.phone, now)  # a right code is not a wrong one
    return opened(request.phone)


@app.post("/api/points/link")
def link():
    token = body(app, Session).token
    try:
        phone = str(tokens.read("member-points-link", key(), token)["p"])
    except (tokens.BadToken, KeyError):
        raise ApiError(401, "link_expired", "This link has expired: ask for a code instead.") from None
    return opened(phone)


def opened(phone: str):
    member = storage.get_member(settings.members_table, phone)
    if member is None or member.get("status") == storage.MOVED:
        raise ApiError(401, "session_over", SESSION_OVER)
    return json_response(200, {"token": tokens.sign("member-points", key(), {"p": phone}), "member": view(member)})


def session_member(token: str) -> dict:
    try:
        phone = str(tokens.read("member-points", key(), token)["p"])
    except (tokens.BadToken, KeyError):
        raise ApiError(401, "session_over", SESSION_OVER) from None
    member = storage.get_member(settings.members_table, phone)
    if member is None or member.get("status") == storage.MOVED:
        raise ApiError(401, "session_over", SESSION_OVER)
    return member


@app.post("/api/points/me")
def me():
    return json_response(200, {"member": view(session_member(body(app, Session).token))})


@app.post("/api/points/details")
def change():
    request = body(app, Change)
    member = session_member(request.token)
    email = request.email if request.email and request.email not in (member.get("email"), member.get("pending_email")) else None
    changed = storage.change_details(settings.members_table, member["phone"], name=request.name, texts=request.texts, email=email)
    if changed is None:
        raise ApiError(401, "session_over", SESSION_OVER)
    if email:
        url = f"{public_base_url(app)}/confirm/#t={member_tokens.sign(key(), 'confirm', member['phone'], email)}"
        notify.notify(key=f"{member['phone']}:{email}:points", to=notify.Recipient(email=email), kind=notify.TRANSACTIONAL,
                      system="loyalty", template="confirm", data={"url": url})
    logger.info("member changed their details", extra={"changed": [f for f in ("name", "texts", "email") if getattr(request, f) is not None]})
    return json_response(200, {"member": view(changed)})


def view(member: dict) -> dict:
    """What the member sees: their points in words, never an internal id."""
    rules = rulebook.current_rules(settings.rules_bucket)
    balance = int(member.get("balance", 0))
    affordable = [r for r in rules.rewards if r.cost <= balance]
    upcoming = rules.next_reward(balance)
    rows = storage.ledger_rows(settings.ledger_table, member["phone"])
    visits = sorted((r for r in rows if r["entry"].startswith(("sale#", "release#"))), key=lambda r: r["ts"], reverse=True)[:VISITS]
    email = member.get("email") or ""
    return {
        "name": member.get("name") or "", "phone": national(member["phone"]), "balance": balance,
        "tier": affordable[-1].name if affordable else None,
        "rewards": [{"name": r.name, "cost": r.cost, "claimable": r.cost <= balance, "needed": max(0, r.cost - balance)}
                    for r in rules.rewards],
        "next_reward": {"name": upcoming.name, "needed": upcoming.cost - balance} if upcoming else None,
        "visits": [{"day": day_of(r["ts"]), "points": int(r.get("points_change", 0)),
                    "held": r.get("reason") == "held"} for r in visits],
        "details": {"email": email, "email_confirmed": bool(email) and member.get("confirmed_email") == email,
                    "pending_email": member.get("pending_email") or "", "texts": member.get("texts") is True},
        "time_zone": settings.time_zone,
    }


def day_of(stamp: str) -> str:
    """A ledger time (UTC) as the shop's date."""
    return business_date(settings.time_zone, datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone(timezone.utc)).isoformat()


@logger.inject_lambda_context
def handler(event, context):
    return app.resolve(event, context)
