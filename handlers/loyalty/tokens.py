"""Signed member tokens for the confirm and unsubscribe links: bound to a phone and an e-mail
address, so a link stops working for an address the member has since changed."""

from __future__ import annotations

from handlers.shared import tokens
from handlers.shared.tokens import BadToken

__all__ = ["BadToken", "read", "sign"]


def sign(key: str, purpose: str, phone: str, email: str) -> str:
    """`purpose`: "confirm" (a week) or "unsubscribe" (never expires)."""
    return tokens.sign(f"member-{purpose}", key, {"p": phone, "e": email})


def read(key: str, purpose: str, token: str) -> tuple[str, str]:
    data = tokens.read(f"member-{purpose}", key, token)
    try:
        return str(data["p"]), str(data["e"])
    except KeyError:
        raise BadToken(purpose) from None
