"""Charters for staff (session): the calendar, an event with its crew, its money (the owner's),
and crew links revoked or reissued.

GET  /api/charters/events?month=YYYY-MM                     the calendar of a month
GET  /api/charters/events/{event_id}                        the event and its crew, without money
GET  /api/charters/events/{event_id}/money                  revenue, captain's fee and the booking's notes
                                                            (where money tends to be written): owner only
POST /api/charters/events/{event_id}/crew/{crew_id}/revoke  every link of this crew member stops working
POST /api/charters/events/{event_id}/crew/{crew_id}/reissue revoke, and mail a new link

A withdrawal or reissue names who made it (link_changed: {action, at, by_staff, by_name}, on the
assignment and in the answer); times are UTC, `time_zone` says the business's, which the page
shows them in.
"""

from __future__ import annotations

import re
from handlers.charters import events, storage
from handlers.shared import auth
from handlers.shared.clock import business_date, utc_stamp
from handlers.shared.errors import ApiError, not_found
from handlers.shared.http import json_response, logger, make_api, public_base_url
from handlers.shared.secrets import secret_value
from handlers.shared.notify import NotifySettings
from handlers.shared.settings import StaffSettings, secret, setting, table

MONTH = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")
EVENT_ID = re.compile(r"E[0-9a-f]{10}")
CREW_FIELDS = ("crew_id", "name", "email", "phone", "role", "link_version", "acknowledged_at", "checklist", "link_changed")
MONEY_FIELDS = ("gross_revenue", "captain_fee", "notes")  # the owner sees revenue (issue 12)


class CharterStaffSettings(StaffSettings, NotifySettings):
    crew_link_key_secret = secret("crew-link-key")
    charters_table = table("charters")
    crew_link_days = setting("crew link days")
    time_zone = setting("time zone")


settings = CharterStaffSettings.load()
app = make_api(settings.origin_verify_secret)


staff_only = auth.staff_only(settings, "charters")
owner_only = auth.staff_only(settings, "owner")


def _event_or_404(event_id: str) -> tuple[dict, list[dict]]:
    event, crew = storage.event_items(settings.charters_table, event_id) if EVENT_ID.fullmatch(event_id) else (None, [])
    if event is None:
        raise not_found("That charter")
    return event, crew


@app.get("/api/charters/events", middlewares=[staff_only])
def calendar():
    month = app.current_event.get_query_string_value("month") or business_date(settings.time_zone).strftime("%Y-%m")
    if not MONTH.fullmatch(month):
        message = "Pick a month like 2026-12."
        raise ApiError(422, "validation_failed", message, {"month": message})
    return json_response(200, {"month": month, "events": storage.calendar(settings.charters_table, [month])})


@app.get("/api/charters/events/<event_id>", middlewares=[staff_only])
def show(event_id: str):
    event, crew = _event_or_404(event_id)
    shown = {k: v for k, v in event.items() if k not in ("pk", "sk", *MONEY_FIELDS)}
    return json_response(200, {"event": shown, "crew": [_crew_shown(m) for m in crew], "time_zone": settings.time_zone})


@app.get("/api/charters/events/<event_id>/money", middlewares=[owner_only])
def money(event_id: str):
    event, _ = _event_or_404(event_id)
    return json_response(200, {"event_id": event_id, **{k: event.get(k) for k in MONEY_FIELDS}})


def _crew_shown(member: dict) -> dict:
    shown = {k: member.get(k) for k in CREW_FIELDS}
    if shown["phone"]:  # stored in E.164, shown the way the shop writes numbers
        from handlers.shared.fields import national

        shown["phone_shown"] = national(shown["phone"])
    return shown


def _crew_member(event_id: str, crew_id: str) -> tuple[dict, dict]:
    event, crew = _event_or_404(event_id)
    member = next((m for m in crew if m["crew_id"] == crew_id), None)
    if member is None:
        raise not_found("That crew member")
    return event, member


def _link_change(action: str) -> dict[str, str]:
    return {"action": action, "at": utc_stamp(), **auth.current_staff(app).by()}


@app.post("/api/charters/events/<event_id>/crew/<crew_id>/revoke", middlewares=[staff_only])
def revoke(event_id: str, crew_id: str):
    _crew_member(event_id, crew_id)
    change = _link_change("withdrawn")
    version = storage.revoke(settings.charters_table, event_id, crew_id, change)
    logger.info("crew link revoked", extra={"event_id": event_id, "crew_id": crew_id, "by": change["by_staff"]})
    return json_response(200, {"crew_id": crew_id, "link_version": version, "link_changed": change, "time_zone": settings.time_zone})


@app.post("/api/charters/events/<event_id>/crew/<crew_id>/reissue", middlewares=[staff_only])
def reissue(event_id: str, crew_id: str):
    from handlers.shared import notify

    event, member = _crew_member(event_id, crew_id)
    change = _link_change("reissued")
    version = storage.revoke(settings.charters_table, event_id, crew_id, change)
    outcome = events.mail_crew(settings, secret_value(settings.crew_link_key_secret), event, {**member, "link_version": version},
                               public_base_url(app))
    return json_response(200, {"crew_id": crew_id, "link_version": version, "mailed": outcome.get(notify.EMAIL) in (notify.SENT, notify.SENT_BEFORE),
                               "link_changed": change, "time_zone": settings.time_zone})


@logger.inject_lambda_context
def handler(event, context):
    return app.resolve(event, context)
