"""The loyalty site's public API: sign up, confirm the address (double opt-in), and the program
the sign-up page explains. Unsubscribing is the notifier's (POST /api/unsubscribe on every site).

POST /api/members   {phone, name, email?, texts?} → 202, the same answer whether the phone was a
                    member or not: the form is anonymous, so it never says who is a member and never
                    changes one. A phone that is a member already is told someone tried (their
                    confirmed address, else a text to the number), once a day at most.
POST /api/confirm   {token}: the address is the member's; marketing mail may go to it
GET  /api/program   the reward ladder and how points are earned, from the owner's rules.txt
"""

from __future__ import annotations

from datetime import datetime, timezone

from handlers.loyalty import rulebook, storage, tokens
from handlers.shared import notify
from handlers.shared.clock import business_date
from handlers.shared.errors import ApiError
from handlers.shared.http import body, json_response, logger, make_api, public_base_url
from handlers.shared.secrets import secret_value
from handlers.shared.settings import HttpSettings, bucket, secret, setting, table

CONFIRM_WINDOW_S = 600  # sign-ups of one address within it get one confirmation mail
RECEIVED = ("Thanks! Give your number at the counter and your points add up. "
            "If you gave an e-mail address, look for our mail and tap its link to confirm it.")


class SignupSettings(HttpSettings, notify.NotifySettings):
    members_table = table("loyalty-members")
    member_token_secret = secret("member-token-key")
    rules_bucket = bucket("loyalty-rules")
    time_zone = setting("time zone")


settings = SignupSettings.load()
app = make_api(settings.origin_verify_secret)


def key() -> str:
    return secret_value(settings.member_token_secret)


def confirmed_email(member: dict) -> str:
    """The address the member showed is theirs, or "" (see email_dispatch.confirmed)."""
    email = member.get("email") or ""
    return email if email and (member.get("confirmed_email") == email or member.get("opted_in")) else ""


@app.post("/api/members")
def sign_up():
    from handlers.loyalty.models import Signup

    request = body(app, Signup)
    now = datetime.now(timezone.utc)
    existing = storage.sign_up(settings.members_table, request.phone, request.name, request.email, request.texts,
                               now.isoformat(timespec="seconds").replace("+00:00", "Z"), now.strftime("%Y-%m"))
    base = public_base_url(app)
    if existing is None:
        logger.info("member signed up")
        if request.email:
            send_confirmation(base, request.phone, request.email, now)
    else:
        logger.info("sign-up for a member: unchanged, member told")
        tell_member(base, existing, now)
    return json_response(202, {"received": True, "message": RECEIVED})


def send_confirmation(base: str, phone: str, email: str, now: datetime) -> None:
    """Transactional: the member asked for it just now; marketing waits for the confirmation.
    Nobody has shown this address is theirs yet, so the mail carries nothing the form did (no
    name): a stranger cannot use it to send their words to someone else's inbox. A form sent again
    (or by someone else) within the window mails that address no second time."""
    url = f"{base}/confirm/#t={tokens.sign(key(), 'confirm', phone, email)}"
    window = int(now.timestamp()) // CONFIRM_WINDOW_S
    notify.notify(key=f"{phone}:{email}:{window}", to=notify.Recipient(email=email), kind=notify.TRANSACTIONAL,
                  system="loyalty", template="confirm", data={"url": url})


def tell_member(base: str, member: dict, now: datetime) -> None:
    """Someone (perhaps the member) sent the form with a member's number: the member hears it at
    the contact that is theirs, the confirmed address or else the number itself, with nothing the
    form carried. Keyed by the day, so a form sent over and over cannot flood them."""
    email = confirmed_email(member)
    day = business_date(settings.time_zone, now).isoformat()
    notify.notify(key=f"signup-attempt:{member['phone']}:{day}",
                  to=notify.Recipient(email=email, phone="" if email else member["phone"], texts=not email),
                  kind=notify.TRANSACTIONAL, system="loyalty", template="signup_attempt",
                  data={"points_url": f"{base}/points/"}, link=f"{base}/points/")


@app.post("/api/confirm")
def confirm():
    from handlers.loyalty.models import Token

    request = body(app, Token)
    try:
        phone, email = tokens.read(key(), "confirm", request.token)
    except tokens.BadToken:
        raise ApiError(400, "link_invalid", "This confirmation link is not valid or has expired; sign up again to get a new one.") from None
    if not storage.confirm_address(settings.members_table, phone, email):
        raise ApiError(409, "address_changed", "This address is no longer on the membership.")
    return json_response(200, {"confirmed": True})


@app.get("/api/program")
def program():
    rules = rulebook.current_rules(settings.rules_bucket)
    return json_response(200, {
        "points_per_dollar": str(rules.points_per_dollar.normalize()), "minimum_spend": str(rules.minimum_spend.normalize()),
        "rewards": [{"name": r.name, "cost": r.cost} for r in rules.rewards],
    }, headers={"Cache-Control": "public, max-age=300"})


@logger.inject_lambda_context
def handler(event, context):
    return app.resolve(event, context)
