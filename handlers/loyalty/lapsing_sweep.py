"""Weekly (Monday 09:00 in the shop's zone): regulars not seen for the lapsing window join the
lapsing list and get a win-back nudge, at most `max-nudges` times per lapse. Reads the
members' by-status index, oldest visits first; never scans."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from handlers.loyalty import storage
from handlers.shared import knobs
from handlers.shared.aws import client
from handlers.shared.log import logger
from handlers.shared.settings import Settings, bus, parameters, setting, table

PAGE = 200


class SweepSettings(Settings):
    members_table = table("loyalty-members")
    lapsing_table = table("loyalty-lapsing")
    event_bus = bus()
    events_source = setting("events source")  # carries the stack: dev and prod share the bus
    knobs_path = parameters("loyalty knobs")


settings = SweepSettings.load()


@logger.inject_lambda_context
def handler(event, context):
    config = knobs.knobs(settings.knobs_path)
    weeks, regular, max_nudges = int(config["lapsing-weeks"]), int(config["regular-threshold"]), int(config["max-nudges"])
    now = datetime.now(timezone.utc)
    cutoff = (now - timedelta(weeks=weeks)).isoformat(timespec="seconds").replace("+00:00", "Z")
    stamp = now.isoformat(timespec="seconds").replace("+00:00", "Z")
    nudged = []
    for member in storage.lapsing_candidates(settings.members_table, cutoff, PAGE):
        if int(member.get("visit_count", 0)) < regular:
            continue
        away = (now - datetime.fromisoformat(member["last_seen"].replace("Z", "+00:00"))).days // 7
        if storage.mark_lapsing(settings.members_table, settings.lapsing_table, member["phone"], away, stamp, max_nudges):
            nudged.append(member["phone"])
    for start in range(0, len(nudged), 10):
        client("events").put_events(Entries=[
            {"Source": settings.events_source, "DetailType": "winback_nudge", "EventBusName": settings.event_bus,
             "Detail": json.dumps({"phone": phone})} for phone in nudged[start:start + 10]])
    logger.info("lapsing sweep", extra={"nudged": len(nudged), "cutoff": cutoff})
    return {"nudged": len(nudged)}
