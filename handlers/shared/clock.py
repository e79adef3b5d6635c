"""Now, as the handlers write it: UTC stamps, and the day in the business's time zone."""

from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo


def utc_stamp(now: datetime | None = None, timespec: str = "seconds") -> str:
    """`2026-11-22T05:40:34Z` (or with milliseconds)."""
    return (now or datetime.now(timezone.utc)).isoformat(timespec=timespec).replace("+00:00", "Z")


def business_date(zone: str, now: datetime | None = None) -> date:
    """The date on the business's calendar, not UTC's."""
    return (now or datetime.now(timezone.utc)).astimezone(ZoneInfo(zone)).date()
