"""The mail Cognito itself sends, which moto never sends: a new staff account's invitation with its
temporary password (AdminCreateUser, unless told not to) and a password reset code
(ForgotPassword). A worker reports each as a mail, so it lands in local mode's outbox, with
Cognito's default wording and sender (the stack's pool sets neither).

moto gives a reset code only in a response header, as "moto-confirmation-code:123456", and takes
any code without that prefix as right. The mail shows the six digits a person would get, and
ConfirmForgotPassword gets the prefix put back, so a wrong code is refused as Cognito refuses it.
"""

from __future__ import annotations

import time
from typing import Any, Callable

SERVICE = "cognito-identity-provider"  # botocore's event name for cognito-idp
SENDER = "no-reply@verificationemail.com"  # Cognito's own sender (COGNITO_DEFAULT)
CODE_HEADER = "x-moto-forgot-password-confirmation-code"
MOTO_PREFIX = "moto-confirmation-code:"


def _mail(to: str, subject: str, text: str) -> dict:
    return {"to": [to], "from": SENDER, "subject": subject, "text": text, "html": "", "headers": {},
            "sent_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}


def invitation(params: dict, headers) -> dict | None:
    """The invitation AdminCreateUser `params` make Cognito send, if any."""
    if params.get("MessageAction") == "SUPPRESS" or not params.get("TemporaryPassword"):
        return None
    attributes = {a["Name"]: a["Value"] for a in params.get("UserAttributes") or []}
    to = attributes.get("email") or params["Username"]
    return _mail(to, "Your temporary password",
                 f"Your username is {params['Username']} and temporary password is {params['TemporaryPassword']}.")


def reset_code(params: dict, headers) -> dict | None:
    """The code ForgotPassword makes Cognito mail (moto made one only for an existing account)."""
    code = headers.get(CODE_HEADER) or ""
    if not code.startswith(MOTO_PREFIX):
        return None
    return _mail(params["Username"], "Your verification code", f"Your verification code is {code.removeprefix(MOTO_PREFIX)}.")


def install(hooks, report: Callable[[dict], None]) -> None:
    """Report Cognito's mail through `report` ({"mail": ...}) once moto accepted the call."""

    def remember(params, context, **_):
        context["mainstreet_local_cognito"] = dict(params)

    def made(mail: Callable[[dict, Any], dict | None]):
        def hook(http_response, context, **_):
            params = context.pop("mainstreet_local_cognito", None)
            if params is not None and http_response.status_code < 300 and (found := mail(params, http_response.headers)):
                report({"mail": found})
        return hook

    def moto_code(params, **_):
        params["ConfirmationCode"] = MOTO_PREFIX + params.get("ConfirmationCode", "")

    for operation, mail in (("AdminCreateUser", invitation), ("ForgotPassword", reset_code)):
        hooks.register(f"before-parameter-build.{SERVICE}.{operation}", remember)
        hooks.register(f"after-call.{SERVICE}.{operation}", made(mail))
    hooks.register(f"before-parameter-build.{SERVICE}.ConfirmForgotPassword", moto_code)
