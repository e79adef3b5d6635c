"""The weekly referral digest: last week's clicks per vendor, mailed to the operations manager.

Invoked by its schedule (Monday morning in the business's time zone), not over HTTP. One digest
per week: a retried or doubled run for the same week mails nothing more.
"""

from __future__ import annotations

from handlers.referrals.stats import vendor_stats
from handlers.shared import claims, notify
from handlers.shared.log import logger
from handlers.shared.params import parameter
from handlers.shared.settings import setting, site_url, table

DAYS = 7


class DigestSettings(notify.NotifySettings):
    stats_table = table("referral-stats")
    ops_email = setting("ops email")
    ops_site_url_parameter = site_url("ops")
    time_zone = setting("time zone")


settings = DigestSettings.load()


@logger.inject_lambda_context
def handler(event, context):
    figures = vendor_stats(settings.stats_table, DAYS, settings.time_zone)
    rows = sorted(figures["vendors"], key=lambda row: (row["orphan"], -row["window_clicks"], row["name"]))
    total = sum(row["window_clicks"] for row in rows)
    outcome = notify.notify(
        key=f"week-to-{figures['until']}", to=notify.Recipient(email=settings.ops_email), kind=notify.TRANSACTIONAL,
        system="referrals", template="digest",
        data={"figures": figures, "rows": rows, "total": total, "stats_url": parameter(settings.ops_site_url_parameter) + "/referrals/"},
    )
    if outcome.busy:
        raise claims.InProgress("this week's digest is being sent by another try")
    logger.info("referral digest", extra={"clicks": total, "outcome": outcome.get(notify.EMAIL)})
    return {"sent": outcome.get(notify.EMAIL) == notify.SENT, "outcome": outcome.get(notify.EMAIL), "clicks": total}
