"""The points engine, invoked by the POS webhook with one checked sale. Four outcomes: add,
add and reward, hold for review, ignore. Two AWS calls on the usual path (read the member,
one transaction); a reward or a hold adds the bus event that mails or flags it.

A sale is credited once per (source, sale_id): a retry answers what the first try answered, and
the same sale_id with another phone answers {"refused": "sale_id_reused"} and credits nobody."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from decimal import ROUND_FLOOR

from handlers.loyalty import rulebook, storage
from handlers.loyalty.rules import Rules
from handlers.shared.aws import client
from handlers.shared.clock import business_date, utc_stamp
from handlers.shared.log import logger
from handlers.shared.settings import Settings, bucket, bus, setting, table

class EarnSettings(Settings):
    members_table = table("loyalty-members")
    ledger_table = table("loyalty-ledger")
    review_table = table("loyalty-review")
    rules_bucket = bucket("loyalty-rules")
    event_bus = bus()
    events_source = setting("events source")  # carries the stack: dev and prod share the bus
    time_zone = setting("time zone")


settings = EarnSettings.load()


def points_for(rules: Rules, sale) -> tuple[int, str]:
    base = int((sale.total * rules.points_per_dollar).to_integral_value(rounding=ROUND_FLOOR))
    bonus = sum(rules.bonus_items.get(item.sku, 0) * item.qty for item in sale.items)
    return base + bonus, "bonus-item" if bonus else "earn"


def decide(rules: Rules, sale) -> tuple[str, int, str]:
    """(decision, points, reason) for a sale, before any member is looked at."""
    points, reason = points_for(rules, sale)
    if sale.total < rules.minimum_spend:
        return "ignore", 0, "below minimum spend"
    if points == 0:
        return "ignore", 0, "no points"
    if sale.total > rules.hold_total_over:
        return "hold_for_review", points, f"total over {rules.hold_total_over}"
    if points > rules.hold_points_over:
        return "hold_for_review", points, f"points over {rules.hold_points_over}"
    return "add", points, reason


def emit(detail_type: str, detail: dict) -> None:
    client("events").put_events(Entries=[{"Source": settings.events_source, "DetailType": detail_type, "Detail": json.dumps(detail),
                                          "EventBusName": settings.event_bus}])


def tier_for(rules: Rules, balance: int) -> str:
    affordable = [r for r in rules.rewards if r.cost <= balance]
    return affordable[-1].id if affordable else "none"


def record(sale, review, points, reason, answer, stamp, day, tier, held=None):
    """storage.record_sale's outcome: None when applied, else the answer to give (the first one,
    or a refusal the webhook turns into a 409)."""
    try:
        first = storage.record_sale(settings.members_table, settings.ledger_table, review, sale.phone, sale.source,
                                    sale.sale_id, points, reason, answer, stamp, day, tier, held)
        if first is not None:
            logger.info("retried sale answered from the ledger", extra={"sale_id": sale.sale_id})
        return first
    except storage.Refused as refused:
        logger.warning("sale refused", extra={"sale_id": sale.sale_id, "source": sale.source, "why": refused.code})
        return {"refused": refused.code}


@logger.inject_lambda_context
def handler(event, context):
    from handlers.loyalty.models import CheckedSale

    sale = CheckedSale.model_validate(event)
    rules = rulebook.current_rules(settings.rules_bucket)
    decision, points, reason = decide(rules, sale)
    member = storage.get_member(settings.members_table, sale.phone)
    if member and member.get("status") == storage.MOVED:
        # The membership went to another number: the till may still know the old one.
        member = storage.current_member(settings.members_table, member["moved_to"])
        sale = sale.model_copy(update={"phone": member["phone"]}) if member else sale
    before = int(member["balance"]) if member else 0
    answer = {"member_id": sale.phone, "decision": decision, "points_added": 0, "balance": before}
    if decision == "ignore":
        logger.info("sale ignored", extra={"sale_id": sale.sale_id, "why": reason})
        return answer
    now = datetime.now(timezone.utc)
    stamp = utc_stamp(now, "milliseconds")
    day = business_date(settings.time_zone, now).isoformat()
    if decision == "hold_for_review":
        held = {"total": str(sale.total), "computed_points": points, "flag_reason": reason, "status": "open", "held_at": stamp}
        first = record(sale, settings.review_table, 0, "held", answer, stamp, day, tier_for(rules, before), held)
        if first is None:
            emit("held_for_review", {"phone": sale.phone, "sale_id": sale.sale_id, "points": points, "why": reason})
        return first or answer
    after = before + points
    crossed = rules.rewards_crossed(before, after)
    answer.update(decision="add_and_reward" if crossed else "add", points_added=points, balance=after)
    first = record(sale, None, points, reason, answer, stamp, day, tier_for(rules, after))
    if first is not None:
        return first
    if crossed:
        emit("reward_earned", {"phone": sale.phone, "reward_id": crossed[-1].id, "balance": after})
    return answer
