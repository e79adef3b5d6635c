"""Signed tokens, made and read in one place (itsdangerous): staff sessions, crew magic links,
member confirm links, unsubscribe links. What differs between them is data, in PURPOSES: the salt
(so a token of one purpose never passes as another, even under the same key) and how long a
token lives. Callers keep what their tokens mean (CrewLink, a member's phone and e-mail).
"""

from __future__ import annotations

import time
from typing import Any, NamedTuple, Optional


class Purpose(NamedTuple):
    salt: str
    max_age_s: Optional[int]  # from signing; None: no age limit
    stamped: bool = True  # signed with the time (itsdangerous' timed serializer)


PURPOSES = {
    "staff-session": Purpose("mainstreet.staff-session", 12 * 3600),
    # Unstamped: a crew link carries its own expiry (the end of the day after the charter) in EXPIRES.
    "crew-link": Purpose("mainstreet.crew-link", None, stamped=False),
    "member-confirm": Purpose("mainstreet.loyalty.confirm", 7 * 86400),
    # The points page after a one-time code, and a balance mail's personal link to it.
    "member-points": Purpose("mainstreet.loyalty.points", 30 * 60),
    "member-points-link": Purpose("mainstreet.loyalty.points-link", 48 * 3600),
    # Names a message row (handlers.shared.notify), never a contact: it may sit in a mail for years.
    "unsubscribe": Purpose("mainstreet.notify.unsubscribe", None, stamped=False),
}
EXPIRES = "x"  # a payload's own expiry, unix seconds, checked on read


class BadToken(Exception):
    """Altered, of another purpose, or (`expired`) out of date."""

    def __init__(self, purpose: str, expired: bool = False):
        super().__init__(f"{purpose} token {'expired' if expired else 'invalid'}")
        self.purpose, self.expired = purpose, expired


def _serializer(purpose: str, key: str):
    from itsdangerous import URLSafeSerializer, URLSafeTimedSerializer

    spec = PURPOSES[purpose]
    return (URLSafeTimedSerializer if spec.stamped else URLSafeSerializer)(key, salt=spec.salt)


def sign(purpose: str, key: str, data: dict[str, Any]) -> str:
    return _serializer(purpose, key).dumps(data)


def read(purpose: str, key: str, token: str, now: Optional[float] = None) -> dict[str, Any]:
    """The payload of a good token of this purpose; BadToken otherwise."""
    from itsdangerous import BadData, SignatureExpired

    spec = PURPOSES[purpose]
    try:
        serializer = _serializer(purpose, key)
        data = serializer.loads(token, max_age=spec.max_age_s) if spec.stamped else serializer.loads(token)
    except SignatureExpired:
        raise BadToken(purpose, expired=True) from None
    except BadData:  # a bad signature, or a payload that does not decode
        raise BadToken(purpose) from None
    if not isinstance(data, dict):
        raise BadToken(purpose)
    if EXPIRES in data:
        try:
            expires_at = int(data[EXPIRES])
        except (TypeError, ValueError):
            raise BadToken(purpose) from None
        if (time.time() if now is None else now) > expires_at:
            raise BadToken(purpose, expired=True)
    return data
