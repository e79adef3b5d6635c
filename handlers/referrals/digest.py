"""The weekly referral digest: last week's clicks per vendor, mailed to the operations manager.

Invoked by its schedule (Monday morning in the business's time zone), not over HTTP.
"""

from __future__ import annotations

from handlers.referrals.stats import vendor_stats
from handlers.shared import mail
from handlers.shared.log import logger
from handlers.shared.params import parameter
from handlers.shared.settings import MailSettings, setting, site_url, table

DAYS = 7


class DigestSettings(MailSettings):
    stats_table = table("referral-stats")
    ops_email = setting("ops email")
    ops_site_url_parameter = site_url("ops")
    business_name = setting("business name")
    time_zone = setting("time zone")


settings = DigestSettings.load()


@logger.inject_lambda_context
def handler(event, context):
    figures = vendor_stats(settings.stats_table, DAYS, settings.time_zone)
    rows = sorted(figures["vendors"], key=lambda row: (row["orphan"], -row["window_clicks"], row["name"]))
    context_ = {
        "business": settings.business_name,
        "figures": figures,
        "rows": rows,
        "total": sum(row["window_clicks"] for row in rows),
        "stats_url": parameter(settings.ops_site_url_parameter) + "/referrals/",
    }
    message_id = mail.send(
        sender=settings.mail_sender,
        configuration_set=settings.mail_configuration_set,
        to=settings.ops_email,
        subject=f"Referrals, week to {figures['until']}: {context_['total']} clicks",
        html=mail.render("referrals", "digest.html.j2", **context_),
        text=mail.render("referrals", "digest.txt.j2", **context_),
    )
    logger.info("referral digest sent", extra={"clicks": context_["total"], "message_id": message_id})
    return {"sent": True, "clicks": context_["total"]}
