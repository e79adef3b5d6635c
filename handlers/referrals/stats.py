"""Per-vendor referral figures over a window of days, from the counters the clicks keep."""

from __future__ import annotations

from datetime import timedelta

from handlers.referrals import storage
from handlers.shared.clock import business_date


def vendor_stats(table: str, days: int, time_zone: str) -> dict:
    """{"since", "until", "days", "vendors": [row per vendor, then the orphan row]}."""
    until = business_date(time_zone)
    since = (until - timedelta(days=days - 1)).isoformat()
    totals = storage.totals(table)
    orphan = {"code": storage.ORPHAN, "name": "Unknown codes", "email": None, "contact": None}
    rows = []
    for vendor in [*storage.vendors(table), orphan]:
        series = storage.days(table, vendor["code"], since)
        total = totals.get(vendor["code"], {})
        rows.append(
            {
                "code": vendor["code"],
                "name": vendor["name"],
                "orphan": vendor["code"] == storage.ORPHAN,
                "clicks": total.get("clicks", 0),
                "bot_hits": total.get("bot_hits", 0),
                "last_click": total.get("last_click"),
                "unique_visitors": sum(day["unique_visitors"] for day in series),
                "window_clicks": sum(day["clicks"] for day in series),
                "daily": series,
            }
        )
    return {"since": since, "until": until.isoformat(), "days": days, "vendors": rows}
