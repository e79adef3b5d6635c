"""Mails the customer (when they gave an address) on booking and on each status change.

Runs on the jobs table's stream, so a status change costs the dispatcher's request no mail
call and a failed send is retried. Each (job, status) mail is claimed first (handlers.shared.claims)
and marked done once SES took it, so a retried batch never mails twice and a batch that died
mid-send mails on its retry. A shard's records go to one invocation at a time, so the retry of a
record takes that record's own claim back at once; a claim held for another record is left to a
later retry of the batch.
"""

from __future__ import annotations

import time

from handlers.dispatch import flow, storage
from handlers.shared import claims, mail
from handlers.shared.log import logger
from handlers.shared.params import parameter
from handlers.shared.settings import MailSettings, setting, site_url, table

CLAIM_TTL_S = 30 * 86400


class NotifySettings(MailSettings):
    jobs_table = table("jobs")
    dispatch_site_url_parameter = site_url("dispatch")
    business_name = setting("business name")


settings = NotifySettings.load()


def mail_due(record: dict) -> dict | None:
    """The job to mail about, if this stream record is a booking or a status change."""
    change = record.get("dynamodb", {})
    new = storage.from_stream(change.get("NewImage", {}))
    if new.get("kind") != "job" or not new.get("email"):
        return None
    if record.get("eventName") == "INSERT":
        return new
    old = storage.from_stream(change.get("OldImage", {}))
    if record.get("eventName") == "MODIFY" and old.get("job_status") != new.get("job_status"):
        return new
    return None


def send(job: dict, sequence: str) -> str:
    """Mail the customer about the job's status, once: claims.RAN, DONE or BUSY."""
    spot = storage.mail_claim(settings.jobs_table, job["job_id"], job["job_status"])
    return claims.once(spot, lambda: mail_customer(job), owner=f"record-{sequence}",
                       claimed={"expires_at": int(time.time()) + CLAIM_TTL_S})


def mail_customer(job: dict) -> None:
    status = job["job_status"]
    context = {
        "business": settings.business_name,
        "job": job,
        "label": flow.LABELS[status],
        "meaning": flow.MEANINGS[status],
        "booked": status == flow.MAIN_PATH[0],
        # Anyone can book with anyone's address: what they typed is not mailed to an address nobody
        # confirmed (no spam in our name). A name staff took down on the phone is.
        "greet_by_name": job.get("source") == "staff",
        "tracking_url": f"{parameter(settings.dispatch_site_url_parameter)}/track/{job['tracking_token']}",
    }
    subject = (f"Your pickup is booked ({job['job_id']})" if context["booked"]
               else f"Your pickup {job['job_id']}: {context['label']}")
    mail.send(
        sender=settings.mail_sender,
        configuration_set=settings.mail_configuration_set,
        to=job["email"],
        subject=subject,
        html=mail.render("dispatch", "customer.html.j2", **context),
        text=mail.render("dispatch", "customer.txt.j2", **context),
    )


@logger.inject_lambda_context
def handler(event, context):
    failures = []
    for record in event.get("Records", []):
        job = mail_due(record)
        if job is None:
            continue
        sequence = record["dynamodb"]["SequenceNumber"]
        try:
            if send(job, sequence) != claims.BUSY:
                continue
            logger.info("customer mail claimed by another record; left for a retry", extra={"job_id": job.get("job_id")})
        except Exception:
            logger.exception("customer mail not sent", extra={"job_id": job.get("job_id")})
        failures.append({"itemIdentifier": sequence})
    return {"batchItemFailures": failures}
