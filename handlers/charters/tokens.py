"""Crew magic links: signed (itsdangerous), bound to one crew member of one event, expiring,
and revocable: each carries the crew assignment's link version, which staff can bump."""

from __future__ import annotations

import time
from dataclasses import dataclass

SALT = "mainstreet.crew-link"


class LinkProblem(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


@dataclass(frozen=True)
class CrewLink:
    event_id: str
    crew_id: str
    version: int
    expires_at: int  # unix seconds


def _serializer(key: str):
    from itsdangerous import URLSafeSerializer

    return URLSafeSerializer(key, salt=SALT)


def sign(key: str, link: CrewLink) -> str:
    return _serializer(key).dumps({"e": link.event_id, "c": link.crew_id, "v": link.version, "x": link.expires_at})


def read(key: str, token: str, now: float | None = None) -> CrewLink:
    """The link a token carries; LinkProblem if it was altered or has expired."""
    from itsdangerous import BadSignature

    try:
        data = _serializer(key).loads(token)
        link = CrewLink(str(data["e"]), str(data["c"]), int(data["v"]), int(data["x"]))
    except (BadSignature, KeyError, TypeError, ValueError):
        raise LinkProblem("link_invalid", "This link is not valid. Use the newest link from your e-mail.") from None
    if (now or time.time()) > link.expires_at:
        raise LinkProblem("link_expired", "This link has expired. Ask the office for a new one.")
    return link
