"""The dispatcher's API (staff session): list jobs by status, enter a job, move a job.

GET  /api/jobs?status=S          jobs in a column (all columns without status)
POST /api/jobs                   a job taken by phone, optionally with a quoted price
POST /api/jobs/{job_id}/status   {from, to}: 409 if it is no longer in `from` (or another change is under way),
                                 422 if the flow forbids it, 404 for an id that is none of ours

A card names who entered a job taken by phone (by_name) and its last move (`last_move`: from, to,
at, by_staff, by_name); times are UTC, `time_zone` says the business's, which the board shows.
"""

from __future__ import annotations

from handlers.dispatch import flow, jobs, storage
from handlers.shared import auth
from handlers.shared.clock import business_date
from handlers.shared.errors import ApiError
from handlers.shared.http import body, json_response, logger, make_api, public_base_url
from handlers.shared.settings import StaffSettings, setting, table

STAFF_FIELDS = ("job_id", "tracking_token", "job_status", "created_at", "updated_at", "source", "name", "phone", "email",
                "address", "items", "preferred_date", "window", "notes", "texts", "price_cents", "by_staff", "by_name", "updated_by")


class BoardSettings(StaffSettings):
    jobs_table = table("jobs")
    time_zone = setting("time zone")
    booking_horizon_days = setting("booking horizon days")


settings = BoardSettings.load()
app = make_api(settings.origin_verify_secret)


staff_only = auth.staff_only(settings, "dispatch")


def card(job: dict) -> dict:
    """The staff view of a job, with its tracking link; the phone as dialled (E.164, for tel:
    links) and as the shop writes it (`phone_display`)."""
    from handlers.shared.fields import national

    shown = {k: job.get(k) for k in STAFF_FIELDS}
    shown["phone_display"] = national(job["phone"]) if job.get("phone") else ""
    shown["texts"] = bool(job.get("texts"))  # jobs booked before the box existed never agreed
    shown["price_cents"] = int(job["price_cents"]) if job.get("price_cents") is not None else None
    shown["status_label"] = flow.LABELS[job["job_status"]]
    shown["tracking_url"] = f"{public_base_url(app)}/track/{job['tracking_token']}"
    shown["last_move"] = job["moves"][-1] if job.get("moves") else None
    return shown


@app.get("/api/jobs", middlewares=[staff_only])
def list_jobs():
    wanted = app.current_event.get_query_string_value("status")
    if wanted and wanted not in flow.LABELS:
        message = "Please choose one of the board's columns."
        raise ApiError(422, "validation_failed", message, {"status": message})
    statuses = [wanted] if wanted else [s for s, _, _ in flow.STATUSES]
    return json_response(200, {"jobs": [card(j) for s in statuses for j in storage.jobs_with_status(settings.jobs_table, s)],
                               "time_zone": settings.time_zone})


@app.post("/api/jobs", middlewares=[staff_only])
def create_job():
    from handlers.dispatch.models import StaffJob

    request = body(app, StaffJob)
    booked = jobs.book(settings.jobs_table, request, business_date(settings.time_zone), int(settings.booking_horizon_days),
                       source="staff", price_cents=request.price_cents, by=auth.current_staff(app).by())
    return json_response(201, {"job": card(storage.get_job(settings.jobs_table, booked["job_id"])), "time_zone": settings.time_zone})


@app.post("/api/jobs/<job_id>/status", middlewares=[staff_only])
def change_status(job_id: str):
    from handlers.dispatch.models import StatusChange

    request = body(app, StatusChange)
    staff = auth.current_staff(app)
    moved = jobs.move(settings.jobs_table, job_id, request.from_status, request.to_status, staff.by())
    logger.info("status changed", extra={"job_id": job_id, "from": request.from_status, "to": request.to_status, "by": staff.id})
    return json_response(200, {"job": card(moved), "time_zone": settings.time_zone})


@logger.inject_lambda_context
def handler(event, context):
    return app.resolve(event, context)
