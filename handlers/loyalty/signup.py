"""The loyalty site's public API: sign up (web form and the staff quick-add), confirm the
address (double opt-in), and unsubscribe (RFC 8058 one-click: a POST, no questions asked).

POST /api/members         {phone, name, email?}: new member 201; same phone again 200, points untouched
POST /api/confirm         {token}: marketing mail may now go to this address
POST /api/unsubscribe     ?t=<token> (one-click, from the mail client) or {token} (the page)
"""

from __future__ import annotations

from datetime import datetime, timezone

from handlers.loyalty import storage, tokens
from handlers.shared import mail
from handlers.shared.errors import ApiError
from handlers.shared.http import body, json_response, logger, make_api, public_base_url
from handlers.shared.secrets import secret_value
from handlers.shared.settings import HttpSettings, MailSettings, secret, setting, table


class SignupSettings(HttpSettings, MailSettings):
    members_table = table("loyalty-members")
    member_token_secret = secret("member-token-key")
    business_name = setting("business name")


settings = SignupSettings.load()
app = make_api(settings.origin_verify_secret)


def key() -> str:
    return secret_value(settings.member_token_secret)


@app.post("/api/members")
def sign_up():
    from handlers.loyalty.models import Signup

    request = body(app, Signup)
    now = datetime.now(timezone.utc)
    created = storage.sign_up(settings.members_table, request.phone, request.name, request.email,
                              now.isoformat(timespec="seconds").replace("+00:00", "Z"), now.strftime("%Y-%m"))
    if request.email:
        # Transactional: the member asked for it just now. Marketing waits for the confirmation.
        # Nobody has shown this address is theirs yet, so the mail carries nothing the form did
        # (no name): a stranger cannot use it to send their words to someone else's inbox.
        url = f"{public_base_url(app)}/confirm/#t={tokens.sign(key(), 'confirm', request.phone, request.email)}"
        context = {"business": settings.business_name, "url": url}
        mail.send(sender=settings.mail_sender, configuration_set=settings.mail_configuration_set, to=request.email,
                  subject=f"Confirm your e-mail for {settings.business_name} rewards",
                  html=mail.render("loyalty", "confirm.html.j2", **context), text=mail.render("loyalty", "confirm.txt.j2", **context))
    logger.info("member signed up" if created else "member updated")
    return json_response(201 if created else 200, {"member_id": request.phone, "created": created,
                                                   "confirmation_sent": bool(request.email)})


@app.post("/api/confirm")
def confirm():
    from handlers.loyalty.models import Token

    request = body(app, Token)
    try:
        phone, email = tokens.read(key(), "confirm", request.token)
    except tokens.BadToken:
        raise ApiError(400, "link_invalid", "This confirmation link is not valid or has expired; sign up again to get a new one.") from None
    if not storage.set_opt_in(settings.members_table, phone, email, True):
        raise ApiError(409, "address_changed", "This address is no longer on the membership.")
    return json_response(200, {"confirmed": True})


@app.post("/api/unsubscribe")
def unsubscribe():
    token = app.current_event.get_query_string_value("t")
    if not token:  # the page sends it in the body; a mail client's one-click POST in the URL
        from handlers.loyalty.models import Token

        token = body(app, Token).token
    try:
        phone, email = tokens.read(key(), "unsubscribe", token)
    except tokens.BadToken:
        raise ApiError(400, "link_invalid", "This unsubscribe link is not valid.") from None
    storage.set_opt_in(settings.members_table, phone, email, False)
    logger.info("unsubscribed")
    return json_response(200, {"unsubscribed": True})


@logger.inject_lambda_context
def handler(event, context):
    return app.resolve(event, context)
