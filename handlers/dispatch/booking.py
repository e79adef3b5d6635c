"""Public: `POST /api/bookings` from the booking page. Each bad field is named; nothing is
written unless the whole booking is valid; a resubmitted form (same request_id) books once."""

from __future__ import annotations

from handlers.dispatch import jobs
from handlers.shared.clock import business_date
from handlers.shared.http import body, json_response, logger, make_api, public_base_url
from handlers.shared.settings import HttpSettings, setting, table


class BookingSettings(HttpSettings):
    jobs_table = table("jobs")
    time_zone = setting("time zone")
    booking_horizon_days = setting("booking horizon days")


settings = BookingSettings.load()
app = make_api(settings.origin_verify_secret)


@app.post("/api/bookings")
def create_booking():
    from handlers.dispatch.models import Booking

    booking = body(app, Booking)
    booked = jobs.book(settings.jobs_table, booking, business_date(settings.time_zone), int(settings.booking_horizon_days),
                       source="web")
    logger.info("booking", extra={"job_id": booked["job_id"], "repeated": booked["repeated"]})
    return json_response(
        200 if booked["repeated"] else 201,
        {
            "job_id": booked["job_id"],
            "tracking_token": booked["tracking_token"],
            "tracking_url": f"{public_base_url(app)}/track/{booked['tracking_token']}",
        },
    )


@logger.inject_lambda_context
def handler(event, context):
    return app.resolve(event, context)
