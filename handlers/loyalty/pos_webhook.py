"""`POST /api/pos/sales`: one completed sale from the till, signed by the POS.

X-Timestamp: <unix seconds>, X-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>.
A stale (over five minutes) or wrong signature is 401 and nothing happens. The sale goes to the
earn function, whose answer (credited once per sale_id, however often the till retries) is ours.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time

from handlers.shared.aws import client
from handlers.shared.errors import ApiError
from handlers.shared.http import header, json_body, json_response, logger, make_api, parse
from handlers.shared.secrets import secret_value
from handlers.shared.settings import HttpSettings, function, secret

MAX_AGE_S = 300


class WebhookSettings(HttpSettings):
    pos_hmac_secret = secret("pos-hmac")
    earn_function = function("loyalty-earn")


settings = WebhookSettings.load()
app = make_api(settings.origin_verify_secret)


def signature_problem(timestamp: str, signature: str, raw: bytes, secret: str, now: float) -> str | None:
    if not timestamp or not signature:
        return "missing_signature"
    try:
        sent_at = int(timestamp)
    except ValueError:
        return "bad_timestamp"
    if abs(now - sent_at) > MAX_AGE_S:
        return "stale_signature"
    expected = "sha256=" + hmac.new(secret.encode(), f"{timestamp}.".encode() + raw, hashlib.sha256).hexdigest()
    return None if hmac.compare_digest(expected.encode(), signature.encode()) else "wrong_signature"


@app.post("/api/pos/sales")
def sale():
    raw = app.current_event.decoded_body.encode() if app.current_event.decoded_body else b""
    problem = signature_problem(header(app, "x-timestamp"), header(app, "x-signature"), raw,
                                secret_value(settings.pos_hmac_secret), time.time())
    if problem:
        logger.warning("sale refused", extra={"why": problem})
        raise ApiError(401, problem, "The sale's signature is missing, stale or wrong.")
    from handlers.loyalty.models import Sale

    checked = parse(Sale, json_body(app))
    reply = client("lambda").invoke(FunctionName=settings.earn_function, InvocationType="RequestResponse",
                                    Payload=checked.model_dump_json().encode())
    if reply.get("FunctionError"):
        logger.error("earn failed", extra={"sale_id": checked.sale_id})
        raise ApiError(502, "earn_failed", "The points engine failed; send the sale again.")
    return json_response(200, json.loads(reply["Payload"].read()))


@logger.inject_lambda_context
def handler(event, context):
    return app.resolve(event, context)
