"""Signed member tokens for the confirmation link: bound to a phone and an e-mail address, so a
link stops working for an address the member has since changed. (Unsubscribe links are the
notifier's: handlers.shared.notify.)"""

from __future__ import annotations

import re

from handlers.shared import tokens
from handlers.shared.tokens import BadToken

__all__ = ["BadToken", "read", "sign"]
TOKEN = re.compile(r"[A-Za-z0-9_.-]{10,500}")


def sign(key: str, purpose: str, phone: str, email: str) -> str:
    """`purpose`: "confirm" (a week)."""
    return tokens.sign(f"member-{purpose}", key, {"p": phone, "e": email})


def read(key: str, purpose: str, token: str) -> tuple[str, str]:
    if not isinstance(token, str) or not TOKEN.fullmatch(token):  # not URL-safe: not one of ours
        raise BadToken(purpose)
    data = tokens.read(f"member-{purpose}", key, token)
    try:
        return str(data["p"]), str(data["e"])
    except KeyError:
        raise BadToken(purpose) from None
