"""Quiet hours in the business's time zone: marketing inside the window waits for its end (handlers.shared.notify)."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo


def parse_window(window: str) -> tuple[time, time]:
    """"21:00-08:00" → (21:00, 08:00). A window may cross midnight."""
    start, end = (part.strip() for part in window.split("-"))
    return time.fromisoformat(start), time.fromisoformat(end)


def inside(local: time, start: time, end: time) -> bool:
    if start == end:
        return False
    return start <= local < end if start < end else local >= start or local < end


def send_at(now: datetime, window: str, zone: str) -> datetime | None:
    """None if mail may go now; otherwise the UTC moment the window ends, in the shop's zone.

    The end is computed on the local clock and converted through the zone, so a window ending
    at 08:00 ends at 08:00 local time on either side of a daylight-saving change.
    """
    tz = ZoneInfo(zone)
    local = now.astimezone(tz)
    start, end = parse_window(window)
    if not inside(local.time(), start, end):
        return None
    day = local.date() if local.time() < end else local.date() + timedelta(days=1)
    until = datetime.combine(day, end, tz).astimezone(timezone.utc)
    if until <= now:  # the end falls in the hour repeated when clocks go back, and its first pass is over
        until = datetime.combine(day, end, tz).replace(fold=1).astimezone(timezone.utc)
    return until
