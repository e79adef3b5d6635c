"""`POST /api/bookings` on the ops site: a marketplace booking (Boatsetter and the like), with
the service key in X-Api-Key, checked against its stored hash in constant time.

Everything the booking says is checked before anything is written: the body against the model
(strict JSON, one-line names, e-mail syntax), and its date against the business's calendar
(today up to `bookingHorizonDays` ahead, which also keeps year 9999 away from date arithmetic).
A refused booking writes nothing, so the marketplace's corrected retry with the same external id
is a first booking.

Idempotent on (source, external_id): a retry answers 200 with the first answer and creates no
second event, page or mail; it only finishes fan-out steps an earlier try could not. While
another try holds a step (it is running, or it died and its lease has not lapsed) a retry answers
503 with Retry-After, so the marketplace comes back once the step is settled.
"""

from __future__ import annotations

import json
import time

from handlers.charters import events, storage
from handlers.shared import claims, mail, notify
from handlers.shared.aws import client
from handlers.shared.auth import verify_service_key
from handlers.shared.clock import business_date
from handlers.shared.errors import ApiError
from handlers.shared.http import body, header, json_response, logger, make_api, public_base_url
from handlers.shared.params import parameter
from handlers.shared.secrets import secret_value
from handlers.shared.settings import HttpSettings, bucket, distribution, secret, setting, site_url, table


class IntakeSettings(HttpSettings, notify.NotifySettings):
    service_key_secret = secret("service-key")
    crew_link_key_secret = secret("crew-link-key")
    charters_table = table("charters")
    brand_bucket = bucket("brand-site")
    brand_distribution = distribution("brand")
    brand_url_parameter = site_url("brand")
    ops_email = setting("ops email")
    meeting_point = setting("meeting point")
    crew_checklist = setting("crew checklist")
    what_to_bring = setting("what to bring")
    crew_link_days = setting("crew link days")
    time_zone = setting("time zone")
    booking_horizon_days = setting("booking horizon days")


settings = IntakeSettings.load()
app = make_api(settings.origin_verify_secret)


def check_service_key() -> None:
    given = header(app, "x-api-key")
    if not given:
        raise ApiError(401, "missing_api_key", "Send the service key in the X-Api-Key header.")
    if not verify_service_key(given, secret_value(settings.service_key_secret)):
        raise ApiError(401, "wrong_api_key", "That service key is not right.")


def date_problem(request) -> str | None:
    """Why the charter's date cannot be booked (before today or past the horizon), or None."""
    from handlers.shared.fields import day_problem

    return day_problem(request.date, business_date(settings.time_zone), int(settings.booking_horizon_days), "date")


def publish_guest_page(event: dict) -> None:
    view = events.guest_view(event, notify.sender_name("charters"), events.json_list(settings.what_to_bring))
    page = mail.render("charters", "guest.html.j2", view=view)
    key = events.guest_object_key(event["guest_code"])
    client("s3").put_object(Bucket=settings.brand_bucket, Key=key, Body=page.encode(), ContentType="text/html; charset=utf-8",
                            CacheControl="public, max-age=60, s-maxage=86400")
    client("cloudfront").create_invalidation(
        DistributionId=settings.brand_distribution,
        InvalidationBatch={"Paths": {"Quantity": 2, "Items": [f"/g/{event['guest_code']}", f"/{key}"]},
                           "CallerReference": f"guest-{event['event_id']}-{time.time_ns()}"},
    )


def mail_ops(event: dict, crew: list[dict], guest_url: str) -> notify.Outcome:
    """The operations manager's confirmation, once per booking (notify's message row)."""
    from handlers.shared.fields import national

    event = {"captain_fee": None, "notes": None, **event}  # optional fields are absent when unset
    crew = [{**m, "phone_shown": national(m["phone"]) if m.get("phone") else None} for m in crew]
    data = {"event": event, "crew": crew, "guest_url": guest_url, "end_time": events.end_time(event),
            "guest": events.subject_text(event["guest_name"])}
    return notify.notify(key=f"{event['event_id']}:booked", to=notify.Recipient(email=settings.ops_email),
                         kind=notify.TRANSACTIONAL, system="charters", template="ops", data=data)


def fan_out(event_id: str, guest_url: str) -> bool:
    """Every step not done yet, in order; a step that fails stops the rest for the retry. False
    when a step was left to another try that holds it (still running, or dead until its lease lapses).

    The guest page is claimed on the EVENT item; each mail is sent once by notify (its own message
    row), so a retry of the booking sends only the mails that did not go."""
    table = settings.charters_table
    event, crew = storage.event_items(table, event_id)
    busy = claims.once(storage.step_claim(table, event_id, "guest_page"), lambda: publish_guest_page(event)) == claims.BUSY
    key = secret_value(settings.crew_link_key_secret)
    for member in crew:
        busy = events.mail_crew(settings, key, event, member, public_base_url(app)).busy or busy
    busy = mail_ops(event, crew, guest_url).busy or busy
    return not busy


@app.post("/api/bookings")
def create_booking():
    check_service_key()
    from handlers.charters.models import CharterBooking

    request = body(app, CharterBooking)
    table = settings.charters_table
    problem = date_problem(request)
    # A retry of a booking accepted earlier gets its first answer, whatever its date has become;
    # nothing is computed from a refused date (year 9999 overflows the end time).
    earlier = storage.get_booking(table, request.source, request.external_id) if problem else None
    if problem and earlier is None:
        raise ApiError(422, "validation_failed", problem, {"date": problem})
    created = False
    if earlier is None:
        event_id, code = events.new_event_id(), events.new_guest_code()
        guest_url = f"{parameter(settings.brand_url_parameter)}/g/{code}"
        answer = {"event_id": event_id, "guest_code": code, "guest_url": guest_url}
        created = storage.create(table, *events.records(request, event_id, code, settings.meeting_point, answer))
        if not created:
            earlier = storage.get_booking(table, request.source, request.external_id)
    if earlier is not None:
        answer = json.loads(earlier["answer"])
    status = 201 if created else 200
    logger.info("charter booking", extra={"event_id": answer["event_id"], "retry": not created})
    if not fan_out(answer["event_id"], answer["guest_url"]):
        # Another try holds a step: answering 200 now would stop the marketplace's retries
        # before the step is known to be done.
        return json_response(503, {"error": "in_progress", "message": "This booking is still being set up. Try again shortly.",
                                   "fields": {}}, headers={"Retry-After": str(claims.LEASE_S)})
    return json_response(status, answer)


@logger.inject_lambda_context
def handler(event, context):
    return app.resolve(event, context)
