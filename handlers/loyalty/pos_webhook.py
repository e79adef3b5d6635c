"""`POST /api/pos/sales`: one completed sale from the till, signed by the POS.

X-Timestamp: <unix seconds>, X-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>.
The signature is checked over the body's bytes exactly as sent, before anything tries to decode or
parse them: a missing, stale (over five minutes) or wrong signature is 401 and nothing happens,
whatever the body holds. Only a signed body is read: not UTF-8, not JSON or not an object is 400,
a sale with bad fields 422, more than 32 KB 413. The sale goes to the earn function, whose answer
(credited once per source and sale_id, however often the till retries) is ours; a sale_id sent
again with another phone is 409 `sale_id_reused`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time

from handlers.shared.aws import client
from handlers.shared.errors import ApiError
from handlers.shared.http import body, header, json_response, logger, make_api, raw_body
from handlers.shared.secrets import secret_value
from handlers.shared.settings import HttpSettings, function, secret

MAX_AGE_S = 300
TIMESTAMP = re.compile(r"[0-9]{1,12}")
SIGNATURE = re.compile(r"sha256=[0-9a-f]{64}")
REFUSALS = {  # earn's refusals: nothing was credited
    "sale_id_reused": "This sale_id was already credited to another phone number; nothing was credited this time.",
    "busy": "This sale is being credited by another request right now; send it again in a moment.",
}


class WebhookSettings(HttpSettings):
    pos_hmac_secret = secret("pos-hmac")
    earn_function = function("loyalty-earn")


settings = WebhookSettings.load()
app = make_api(settings.origin_verify_secret)


def signature_problem(timestamp: str, signature: str, raw: bytes, secret: str, now: float) -> str | None:
    if not timestamp or not signature:
        return "missing_signature"
    if not TIMESTAMP.fullmatch(timestamp):  # int() would take " 1_7e9 ", "+17" or other scripts' digits
        return "bad_timestamp"
    if abs(now - int(timestamp)) > MAX_AGE_S:
        return "stale_signature"
    if not SIGNATURE.fullmatch(signature):
        return "wrong_signature"
    expected = "sha256=" + hmac.new(secret.encode(), f"{timestamp}.".encode() + raw, hashlib.sha256).hexdigest()
    return None if hmac.compare_digest(expected, signature) else "wrong_signature"


@app.post("/api/pos/sales")
def sale():
    raw = raw_body(app)  # bytes as sent: only their size is judged before the signature
    problem = signature_problem(header(app, "x-timestamp"), header(app, "x-signature"), raw,
                                secret_value(settings.pos_hmac_secret), time.time())
    if problem:
        logger.warning("sale refused", extra={"why": problem})
        raise ApiError(401, problem, "The sale's signature is missing, stale or wrong.")
    from handlers.loyalty.models import Sale

    checked = body(app, Sale)
    reply = client("lambda").invoke(FunctionName=settings.earn_function, InvocationType="RequestResponse",
                                    Payload=checked.model_dump_json().encode())
    if reply.get("FunctionError"):
        logger.error("earn failed", extra={"sale_id": checked.sale_id})
        raise ApiError(502, "earn_failed", "The points engine failed; send the sale again.")
    answer = json.loads(reply["Payload"].read())
    if "refused" in answer:
        code = answer["refused"]
        raise ApiError(409, code, REFUSALS.get(code, REFUSALS["busy"]))
    return json_response(200, answer)


@logger.inject_lambda_context
def handler(event, context):
    return app.resolve(event, context)
