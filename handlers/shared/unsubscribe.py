"""One-click unsubscribe (RFC 8058) for every system's marketing, on every site.

POST /api/unsubscribe?t=<token>   a mail client's one-click POST (body `List-Unsubscribe=One-Click`)
POST /api/unsubscribe {token}     the /unsubscribe/ page (the token is in its URL's fragment)

The token names a message row (handlers.shared.notify), which knows the contact and the system:
that system's marketing stops for that contact, whatever else they get. No questions asked, the
same answer however often.
"""

from __future__ import annotations

import json
import re

from handlers.shared import notify, tokens
from handlers.shared.aws import client
from handlers.shared.errors import ApiError
from handlers.shared.http import body, json_response, logger, make_api
from handlers.shared.secrets import secret_value
from handlers.shared.settings import HttpSettings, _linked, secret, table

TOKEN = re.compile(r"[A-Za-z0-9_.-]{10,200}")


class UnsubscribeSettings(HttpSettings):
    notifications_table = table("notifications")
    notify_token_key_secret = secret("notify-token-key")
    sender_names = _linked("sender names", "setting", "the notifier")


settings = UnsubscribeSettings.load()
app = make_api(settings.origin_verify_secret)
INVALID = ApiError(400, "link_invalid", "This unsubscribe link is not valid. Use the link in the newest mail you got from us.")


@app.post("/api/unsubscribe")
def unsubscribe():
    token = app.current_event.get_query_string_value("t")
    if not token:
        from handlers.shared.models import Token

        token = body(app, Token).token
    if not TOKEN.fullmatch(token):
        raise INVALID
    try:
        row = str(tokens.read("unsubscribe", secret_value(settings.notify_token_key_secret), token)["m"])
    except (tokens.BadToken, KeyError):
        raise INVALID from None
    item = client("dynamodb").get_item(TableName=settings.notifications_table, Key={"pk": {"S": f"MSG#{row}"}},
                                       ProjectionExpression="contact, #system", ExpressionAttributeNames={"#system": "system"}).get("Item")
    if not item or "contact" not in item:
        raise ApiError(410, "link_expired", "This unsubscribe link is too old to use. Reply to the mail and we will take you off the list.")
    system = item["system"]["S"]
    client("dynamodb").update_item(TableName=settings.notifications_table, Key={"pk": {"S": notify.contact_key(item["contact"]["S"])}},
                                   UpdateExpression="ADD marketing_off :system", ExpressionAttributeValues={":system": {"SS": [system]}})
    logger.info("unsubscribed", extra={"system": system})
    return json_response(200, {"unsubscribed": True, "from": json.loads(settings.sender_names).get(system, "")})


@logger.inject_lambda_context
def handler(event, context):
    return app.resolve(event, context)
