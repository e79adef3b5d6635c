"""Signed member tokens for the confirm and unsubscribe links: bound to a phone and an e-mail
address, so a link stops working for an address the member has since changed."""

from __future__ import annotations

SALTS = {"confirm": "mainstreet.loyalty.confirm", "unsubscribe": "mainstreet.loyalty.unsubscribe"}
CONFIRM_MAX_AGE_S = 7 * 86400


class BadToken(Exception):
    pass


def _serializer(key: str, purpose: str):
    from itsdangerous import URLSafeTimedSerializer

    return URLSafeTimedSerializer(key, salt=SALTS[purpose])


def sign(key: str, purpose: str, phone: str, email: str) -> str:
    return _serializer(key, purpose).dumps({"p": phone, "e": email})


def read(key: str, purpose: str, token: str) -> tuple[str, str]:
    from itsdangerous import BadSignature

    max_age = CONFIRM_MAX_AGE_S if purpose == "confirm" else None  # unsubscribe links never expire
    try:
        data = _serializer(key, purpose).loads(token, max_age=max_age)
        return str(data["p"]), str(data["e"])
    except (BadSignature, KeyError, TypeError):
        raise BadToken(purpose) from None
