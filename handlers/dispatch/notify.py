"""Tells the customer about their pickup on booking and on each status change: a mail when they
gave an address, a text when they gave a phone and agreed to texts on the form (notify() picks
the channels from the recipient).

Runs on the jobs table's stream, so a status change costs the dispatcher's request no send, and
a failed send is retried by the stream. notify() sends each (message, channel) once, whatever the
stream redelivers (a retried batch, a replayed copy of a record); a message another invocation
is sending right now (BUSY: it may still succeed, or it died and its lease has not lapsed) fails
its record, so the stream tries it again later.
"""

from __future__ import annotations

from handlers.dispatch import flow, storage
from handlers.shared import notify
from handlers.shared.log import logger
from handlers.shared.params import parameter
from handlers.shared.settings import site_url


class DispatchNotifySettings(notify.NotifySettings):
    dispatch_site_url_parameter = site_url("dispatch")


settings = DispatchNotifySettings.load()


def message_due(record: dict) -> dict | None:
    """The job to tell its customer about, if this stream record is a booking or a status change."""
    change = record.get("dynamodb", {})
    new = storage.from_stream(change.get("NewImage", {}))
    if new.get("kind") != "job" or not (new.get("email") or new.get("phone")):
        return None
    if record.get("eventName") == "INSERT":
        return new
    old = storage.from_stream(change.get("OldImage", {}))
    if record.get("eventName") == "MODIFY" and old.get("job_status") != new.get("job_status"):
        return new
    return None


def message_key(job: dict) -> str:
    """One logical message per status change: the job, its status and how many moves it had made
    to get there. Every copy of the same stream record carries the same new image, so retries share
    the key; each move appends to `moves` in the same write that sets the status, so a job that
    came back to a status it had before (a flow that allows it) is a new message, not a repeat."""
    return f"{job['job_id']}:{job['job_status']}:{len(job.get('moves') or [])}"


def tell_customer(job: dict) -> notify.Outcome:
    status = job["job_status"]
    tracking_url = f"{parameter(settings.dispatch_site_url_parameter)}/track/{job['tracking_token']}"
    data = {
        "job": job,
        "label": flow.LABELS[status],
        "meaning": flow.MEANINGS[status],
        "booked": status == flow.MAIN_PATH[0],
        # Anyone can book with anyone's address or phone: what they typed is not sent to a contact
        # nobody confirmed (no spam in our name). A name staff took down on the phone is.
        "greet_by_name": job.get("source") == "staff",
        "tracking_url": tracking_url,
    }
    to = notify.Recipient(email=job.get("email") or "", phone=job.get("phone") or "", texts=bool(job.get("texts")))
    return notify.notify(key=message_key(job), to=to, kind=notify.TRANSACTIONAL, system="dispatch", template="customer",
                         data=data, link=tracking_url)


@logger.inject_lambda_context
def handler(event, context):
    failures = []
    for record in event.get("Records", []):
        job = message_due(record)
        if job is None:
            continue
        sequence = record["dynamodb"]["SequenceNumber"]
        try:
            outcome = tell_customer(job)
            if not outcome.busy:
                continue
            logger.info("customer message being sent by another invocation; left for a retry", extra={"job_id": job.get("job_id")})
        except Exception:
            logger.exception("customer message not sent", extra={"job_id": job.get("job_id")})
        failures.append({"itemIdentifier": sequence})
    return {"batchItemFailures": failures}
