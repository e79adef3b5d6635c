"""Creating jobs and moving them along the flow: plain functions over pydantic models."""

from __future__ import annotations

import re
import secrets
import time
from typing import Optional

from handlers.dispatch import flow, storage
from handlers.shared import ids
from handlers.shared.clock import utc_stamp
from handlers.shared.errors import ApiError, conflict, not_found

JOB_ID = re.compile(rf"^J[{ids.CODE_ALPHABET}]{{7}}$")
MOVE_ATTEMPTS = 3  # a move that lost only to another transaction in flight is tried again


def new_job_id() -> str:
    """Read out over the phone: J and seven symbols of the shared code alphabet."""
    return "J" + ids.code(7)


def new_tracking_token() -> str:
    """192 random bits, URL-safe (the seed's 64-bit tokens could be guessed at scale)."""
    return secrets.token_urlsafe(24)


def book(table: str, booking, today, horizon_days: int, source: str, price_cents: Optional[int] = None,
         by: Optional[dict[str, str]] = None) -> dict:
    """A new job; `by` (Staff.by()) names the staff member who entered it, for a job taken by phone."""
    from handlers.shared.fields import day_problem  # pydantic: the caller has it loaded already

    # Compares only: the day itself (year 9999 included) never goes through date arithmetic.
    problem = day_problem(booking.preferred_date, today, horizon_days)
    if problem:
        raise ApiError(422, "validation_failed", problem, {"preferred_date": problem})
    now = utc_stamp()
    job = {
        "job_id": new_job_id(), "tracking_token": new_tracking_token(), "kind": "job",
        "job_status": flow.MAIN_PATH[0], "created_at": now, "updated_at": now, "source": source,
        "name": booking.name, "phone": booking.phone, "email": booking.email, "address": booking.address,
        "items": booking.items, "preferred_date": booking.preferred_date.isoformat(), "window": booking.window,
        "notes": booking.notes, "texts": booking.texts, "price_cents": price_cents, **(by or {}), "updated_by": by,
    }
    try:
        return storage.create_job(table, job, booking.request_id, int(time.time()) + storage.REQUEST_TTL_S)
    except storage.Busy:
        raise conflict("busy", "This booking is being sent already: please wait a moment and try again.") from None


def move(table: str, job_id: str, from_status: str, to_status: str, by: dict[str, str]) -> dict:
    if not flow.can_move(from_status, to_status):
        known = from_status in flow.LABELS and to_status in flow.LABELS
        message = (f"A job cannot go from {flow.LABELS[from_status]} to {flow.LABELS[to_status]}."
                   if known else "Please choose one of the board's columns.")
        field = "to" if from_status in flow.LABELS else "from"
        raise ApiError(422, "move_not_allowed", message, {field: message})
    if not JOB_ID.match(job_id):  # not one of ours: no read, and no key DynamoDB would refuse
        raise not_found("That job")
    for attempt in range(MOVE_ATTEMPTS):
        job = storage.get_job(table, job_id)
        if job is None:
            raise not_found("That job")
        if job["job_status"] != from_status:
            raise _moved(job["job_status"])
        try:
            return storage.change_status(table, job, to_status, from_status, utc_stamp(), by)
        except storage.Conflict as exc:
            raise _moved(exc.current) from None
        except storage.Busy:
            time.sleep(0.05 * (attempt + 1))  # the other transaction commits or fails within milliseconds
    raise conflict("job_busy", "Someone else is changing this job right now: please try again.")


def _moved(current: Optional[str]) -> ApiError:
    label = flow.LABELS.get(current or "", "something else")
    error = conflict("status_changed", f"Someone else moved this job first: it is now {label}.")
    error.fields = {"current": current or ""}
    return error
