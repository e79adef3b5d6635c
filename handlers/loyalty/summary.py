"""The owner's mail. Monthly (first Monday, 09:00): last month in a paragraph, written by Claude
Haiku through Bedrock's Converse API when Bedrock is on, from a plain template when it is off
(dev) or does not answer. Daily (08:00, {"task": "held-digest"}): the sales waiting for review,
when any are."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from handlers.loyalty import storage
from handlers.shared import claims, mail, notify
from handlers.shared.aws import client
from handlers.shared.clock import business_date
from handlers.shared.log import logger
from handlers.shared.params import parameter
from handlers.shared.settings import setting, site_url, table


class SummarySettings(notify.NotifySettings):
    members_table = table("loyalty-members")
    ledger_table = table("loyalty-ledger")
    audit_table = table("loyalty-audit")
    review_table = table("loyalty-review")
    loyalty_site_url_parameter = site_url("loyalty")
    owner_email = setting("owner email")
    bedrock_model = setting("bedrock model")
    time_zone = setting("time zone")


settings = SummarySettings.load()


def last_month(today: date) -> tuple[date, date]:
    first_this = today.replace(day=1)
    last = first_this - timedelta(days=1)
    return last.replace(day=1), last


def figures(start: date, end: date) -> dict:
    reasons: Counter = Counter()
    points: Counter = Counter()
    members = set()
    reversals = winbacks = 0
    day = start
    while day <= end:
        for row in storage.ledger_for_day(settings.ledger_table, day.isoformat()):
            reason = row["reason"]
            if reason == "mail:winback":
                winbacks += 1
            if not reason.startswith("mail:"):
                reasons[reason] += 1
                points[reason] += int(row["points_change"])
                members.add(row["phone"])
        reversals += sum(1 for a in storage.audit_for_day(settings.audit_table, day.isoformat()) if a["action"] == "reverse")
        day += timedelta(days=1)
    return {
        "month": start.strftime("%B %Y"),
        "joins": storage.joined_in(settings.members_table, start.strftime("%Y-%m")),
        "active_members": len(members),
        "sales_credited": reasons["earn"] + reasons["bonus-item"],
        "points_earned": points["earn"] + points["bonus-item"],
        "rewards_claimed": reasons["reward-redeem"],
        "reversals": reversals,
        "held_for_review": reasons["held"],
        "winback_mails": winbacks,
    }


def narrative(numbers: dict) -> tuple[str, str]:
    """(paragraph, author): Bedrock when configured, else the template."""
    template = mail.render("loyalty", "summary.txt.j2", business=notify.sender_name("loyalty"), **numbers)
    if settings.bedrock_model in ("", "off"):
        return template, "template"
    prompt = ("Write one short, warm, plain-English paragraph for a small shop's owner about last month's loyalty "
              f"program. Use only these numbers and do not invent any: {numbers}")
    try:
        answer = client("bedrock-runtime").converse(
            modelId=settings.bedrock_model,
            messages=[{"role": "user", "content": [{"text": prompt}]}],
            inferenceConfig={"maxTokens": 400, "temperature": 0.3},
        )
        return answer["output"]["message"]["content"][0]["text"].strip(), "bedrock"
    except Exception:
        logger.exception("Bedrock did not answer; the template stands in")
        return template, "template"


def held_digest(today: date) -> dict:
    """Sales held for review still waiting: the owner hears once a day, nothing when none wait."""
    waiting = storage.held_sales(settings.review_table)
    if not waiting:
        return {"task": "held-digest", "waiting": 0}
    desk = parameter(settings.loyalty_site_url_parameter).rstrip("/") + "/desk/"
    outcome = notify.notify(key=f"held-digest:{today.isoformat()}", to=notify.Recipient(email=settings.owner_email),
                            kind=notify.TRANSACTIONAL, system="loyalty", template="held_digest",
                            data={"count": len(waiting), "points": sum(int(s.get("computed_points", 0)) for s in waiting),
                                  "oldest": min(s.get("held_at", "") for s in waiting)[:10], "desk_url": desk})
    if outcome.busy:
        raise claims.InProgress("today's digest is being sent by another try")
    return {"task": "held-digest", "waiting": len(waiting), "mail": outcome.get(notify.EMAIL)}


@logger.inject_lambda_context
def handler(event, context):
    today = date.fromisoformat(event["today"]) if event.get("today") else business_date(settings.time_zone)
    if event.get("task") == "held-digest":
        return held_digest(today)
    start, end = last_month(today)
    numbers = figures(start, end)
    paragraph, author = narrative(numbers)
    # One summary a month: a second run for the same month (a retry) mails nothing more.
    outcome = notify.notify(key=start.isoformat(), to=notify.Recipient(email=settings.owner_email), kind=notify.TRANSACTIONAL,
                            system="loyalty", template="monthly", data={"month": numbers["month"], "paragraph": paragraph})
    if outcome.busy:
        raise claims.InProgress("this month's summary is being sent by another try")
    return {"month": numbers["month"], "author": author, "mail": outcome.get(notify.EMAIL), **numbers}
