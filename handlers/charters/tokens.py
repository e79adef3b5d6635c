"""Crew magic links: signed (handlers.shared.tokens), bound to one crew member of one event,
expiring, and revocable: each carries the crew assignment's link version, which staff can bump."""

from __future__ import annotations

from dataclasses import dataclass

from handlers.shared import tokens


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


def sign(key: str, link: CrewLink) -> str:
    return tokens.sign("crew-link", key, {"e": link.event_id, "c": link.crew_id, "v": link.version, tokens.EXPIRES: link.expires_at})


def read(key: str, token: str, now: float | None = None) -> CrewLink:
    """The link a token carries; LinkProblem if it was altered or has expired."""
    invalid = LinkProblem("link_invalid", "This link is not valid. Use the newest link from your e-mail.")
    try:
        data = tokens.read("crew-link", key, token, now)
        return CrewLink(str(data["e"]), str(data["c"]), int(data["v"]), int(data[tokens.EXPIRES]))
    except tokens.BadToken as bad:
        raise (LinkProblem("link_expired", "This link has expired. Ask the office for a new one.") if bad.expired else invalid) from None
    except (KeyError, TypeError, ValueError):
        raise invalid from None
