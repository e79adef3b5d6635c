"""Nightly (19:00 in the shop's zone): each member whose balance changed today gets a
`nightly_email` event, which email-dispatch turns into a short balance mail."""

from __future__ import annotations

import json
from handlers.loyalty import storage
from handlers.shared.aws import client
from handlers.shared.clock import business_date
from handlers.shared.log import logger
from handlers.shared.settings import Settings, bus, setting, table

BATCH = 10  # PutEvents takes ten entries at a time


class NightlySettings(Settings):
    ledger_table = table("loyalty-ledger")
    event_bus = bus()
    events_source = setting("events source")  # carries the stack: dev and prod share the bus
    time_zone = setting("time zone")


settings = NightlySettings.load()


def changed_today(day: str) -> list[str]:
    rows = storage.ledger_for_day(settings.ledger_table, day)
    return sorted({r["phone"] for r in rows if int(r.get("points_change", 0)) != 0})


@logger.inject_lambda_context
def handler(event, context):
    day = event.get("day") or business_date(settings.time_zone).isoformat()
    phones = changed_today(day)
    entries = [{"Source": settings.events_source, "DetailType": "nightly_email", "EventBusName": settings.event_bus,
                "Detail": json.dumps({"phone": phone, "day": day})} for phone in phones]
    for start in range(0, len(entries), BATCH):
        client("events").put_events(Entries=entries[start:start + BATCH])
    logger.info("nightly balances queued", extra={"members": len(phones), "day": day})
    return {"day": day, "members": len(phones)}
