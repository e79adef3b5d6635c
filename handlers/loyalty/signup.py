"""The loyalty site's public API: sign up (web form and the staff quick-add) and confirm the
address (double opt-in). Unsubscribing is the notifier's (POST /api/unsubscribe on every site).

POST /api/members         {phone, name, email?, texts?}: new member 201; same phone again 200, points untouched
POST /api/confirm         {token}: marketing mail may now go to this address
"""

from __future__ import annotations

from datetime import datetime, timezone

from handlers.loyalty import storage, tokens
from handlers.shared import notify
from handlers.shared.errors import ApiError
from handlers.shared.http import body, json_response, logger, make_api, public_base_url
from handlers.shared.secrets import secret_value
from handlers.shared.settings import HttpSettings, secret, table

CONFIRM_WINDOW_S = 600  # sign-ups of one address within it get one confirmation mail


class SignupSettings(HttpSettings, notify.NotifySettings):
    members_table = table("loyalty-members")
    member_token_secret = secret("member-token-key")


settings = SignupSettings.load()
app = make_api(settings.origin_verify_secret)


def key() -> str:
    return secret_value(settings.member_token_secret)


@app.post("/api/members")
def sign_up():
    from handlers.loyalty.models import Signup

    request = body(app, Signup)
    now = datetime.now(timezone.utc)
    created = storage.sign_up(settings.members_table, request.phone, request.name, request.email, request.texts,
                              now.isoformat(timespec="seconds").replace("+00:00", "Z"), now.strftime("%Y-%m"))
    sent = False
    if request.email:
        # Transactional: the member asked for it just now. Marketing waits for the confirmation.
        # Nobody has shown this address is theirs yet, so the mail carries nothing the form did
        # (no name): a stranger cannot use it to send their words to someone else's inbox. A form
        # sent again (or by someone else) within the window mails that address no second time.
        url = f"{public_base_url(app)}/confirm/#t={tokens.sign(key(), 'confirm', request.phone, request.email)}"
        window = int(now.timestamp()) // CONFIRM_WINDOW_S
        outcome = notify.notify(key=f"{request.phone}:{request.email}:{window}", to=notify.Recipient(email=request.email),
                                kind=notify.TRANSACTIONAL, system="loyalty", template="confirm", data={"url": url})
        # Not when the address bounced or complained before: the page must not say a mail is on its way.
        sent = outcome.get(notify.EMAIL) in (notify.SENT, notify.SENT_BEFORE, notify.BUSY)
    logger.info("member signed up" if created else "member updated")
    return json_response(201 if created else 200, {"member_id": request.phone, "created": created, "confirmation_sent": sent})


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


@logger.inject_lambda_context
def handler(event, context):
    return app.resolve(event, context)
