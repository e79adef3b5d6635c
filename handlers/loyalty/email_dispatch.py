"""Mail in the shop's voice, from bus events (reward earned, nightly balance, win-back), its own
deferred schedules, and SES's bounce and complaint notifications.

Reward mail is transactional: it always goes (unless the address bounced or complained).
Nightly and win-back mail are marketing: only to members who confirmed their address and did
not opt out, never inside quiet hours (then a one-off Scheduler `at()` schedule, which deletes
itself, brings the same event back at the window's end), and with one-click unsubscribe.
Each mail is claimed on its ledger row before it goes and marked done after (handlers.shared.claims),
so an event delivered twice mails once and a try that died mid-send is finished by Lambda's retry.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from handlers.loyalty import knobs, quiet, rulebook, storage, tokens, voice
from handlers.shared import claims, mail
from handlers.shared.aws import client
from handlers.shared.clock import business_date, utc_stamp
from handlers.shared.log import logger
from handlers.shared.params import parameter
from handlers.shared.secrets import secret_value
from handlers.shared.settings import MailSettings, bucket, parameters, role, schedules, secret, setting, site_url, table

KINDS = {"reward_earned": ("reward_earned", False), "nightly_email": ("nightly_balance", True),
         "winback_nudge": ("winback", True)}  # bus detail-type → (voice section, marketing?)


class DispatchSettings(MailSettings):
    members_table = table("loyalty-members")
    ledger_table = table("loyalty-ledger")
    rules_bucket = bucket("loyalty-rules")
    member_token_secret = secret("member-token-key")
    knobs_path = parameters("loyalty knobs")
    loyalty_site_url_parameter = site_url("loyalty")
    defer_role = role("deferred-mail")
    schedule_prefix = schedules("deferred-mail")
    business_name = setting("business name")


settings = DispatchSettings.load()


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


def defer(event: dict, kind: str, phone: str, until: datetime, zone: str, target_arn: str) -> None:
    """A one-off schedule that hands this event back at `until`, then deletes itself. Its name
    is fixed by member, kind and day, so a second defer of the same mail is a no-op."""
    local = until.astimezone(ZoneInfo(zone))
    name = f"{settings.schedule_prefix}{kind}-{re.sub(r'[^0-9]', '', phone)}-{local:%Y%m%d}"[:64]
    scheduler = client("scheduler")
    try:
        scheduler.create_schedule(
            Name=name, ScheduleExpression=f"at({local:%Y-%m-%dT%H:%M:%S})", ScheduleExpressionTimezone=zone,
            FlexibleTimeWindow={"Mode": "OFF"}, ActionAfterCompletion="DELETE",
            Target={"Arn": target_arn, "RoleArn": settings.defer_role, "Input": json.dumps({**event, "deferred": True})},
        )
        logger.info("marketing mail deferred to the end of quiet hours", extra={"kind": kind, "at": local.isoformat()})
    except scheduler.exceptions.ConflictException:
        pass


def confirmed(member: dict) -> bool:
    """The member showed the address is theirs (the confirmation link; opted_in for members who
    confirmed before confirmed_email was kept)."""
    return bool(member.get("email")) and (member.get("confirmed_email") == member["email"] or bool(member.get("opted_in")))


def values_for(member: dict, detail: dict) -> dict:
    rules = rulebook.current_rules(settings.rules_bucket)
    balance = int(detail.get("balance", member.get("balance", 0)))
    upcoming = rules.next_reward(balance)
    earned = rules.reward(detail.get("reward_id", "")) if detail.get("reward_id") else None
    # The name came from an anonymous form: it goes only to an address its owner confirmed, so
    # nobody can have the shop mail their words to someone else's inbox.
    name = (member.get("name") or "").split()[:1] if confirmed(member) else []
    return {"name": name[0] if name else "there", "balance": balance, "shop": settings.business_name,
            "reward_name": earned.name if earned else None, "next_reward": upcoming.name if upcoming else "your next reward",
            "points_to_next": (upcoming.cost - balance) if upcoming else 0}


def send(event: dict, target_arn: str) -> str:
    detail_type = event.get("detail-type", "")
    if detail_type not in KINDS:
        return "not_mine"
    section, marketing = KINDS[detail_type]
    detail = event.get("detail") or {}
    member = storage.get_member(settings.members_table, detail.get("phone", ""))
    if not member or not member.get("email") or member.get("mail_off"):
        return "no_address"
    if marketing and not member.get("opted_in"):
        return "not_opted_in"
    config = knobs.knobs(settings.knobs_path)
    zone = config["time-zone"]
    if marketing:
        until = quiet.send_at(now_utc(), config["quiet-hours"], zone)
        if until is not None:
            defer(event, section, member["phone"], until, zone, target_arn)
            return "deferred"
    template = rulebook.current_voice(settings.rules_bucket)[section]
    values = values_for(member, detail)
    headers = None
    text = voice.fill(template.body, values)
    if marketing:
        token = tokens.sign(secret_value(settings.member_token_secret), "unsubscribe", member["phone"], member["email"])
        url = f"{parameter(settings.loyalty_site_url_parameter)}/api/unsubscribe?t={token}"
        headers = {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
        page = f"{parameter(settings.loyalty_site_url_parameter)}/unsubscribe/#t={token}"
        text += f"\nNo more of these: {page}\n"
    now = now_utc()
    outcome = claims.once(
        storage.mail_claim(settings.ledger_table, member["phone"], section, mail_key(event)),
        lambda: mail.send(sender=settings.mail_sender, configuration_set=settings.mail_configuration_set, to=member["email"],
                          subject=sentence_case(voice.fill(template.subject, values)), text=text,
                          html=mail.render("loyalty", "voice.html.j2", text=text), headers=headers),
        claimed=storage.mail_row(section, utc_stamp(now)), succeeded=lambda _: {"day": business_date(zone, now).isoformat()},
    )
    if outcome == claims.BUSY:
        # Raised, so Lambda's retry of this event (a minute or two later) finds the lease lapsed
        # if the try that holds it died.
        raise claims.InProgress(f"{section} mail for this event is being sent by another try")
    return "sent" if outcome == claims.RAN else "sent_before"


def sentence_case(subject: str) -> str:
    """"there, your Free drink is ready" → "There, your ..." (a subject may start with {name})."""
    return subject[:1].upper() + subject[1:]


def mail_key(event: dict) -> str:
    """What makes a mail this one and no other: the bus event's id (the same on every delivery of
    it, and in a deferred copy), or the event itself for a hand-made one without an id."""
    if event.get("id"):
        return str(event["id"])
    return hashlib.sha256(json.dumps([event.get("detail-type"), event.get("detail")], sort_keys=True).encode()).hexdigest()[:32]


def bounces(record: dict) -> list[str]:
    """An SES bounce or complaint, via SNS: mail off for each address it names."""
    notice = json.loads(record["Sns"]["Message"])
    kind = notice.get("eventType") or notice.get("notificationType", "")
    if kind == "Bounce" and notice.get("bounce", {}).get("bounceType") == "Permanent":
        addresses = [r["emailAddress"] for r in notice["bounce"].get("bouncedRecipients", [])]
    elif kind == "Complaint":
        addresses = [r["emailAddress"] for r in notice["complaint"].get("complainedRecipients", [])]
    else:
        return []
    for address in addresses:
        storage.mail_off_for(settings.members_table, address, kind.lower())
    return addresses


@logger.inject_lambda_context
def handler(event, context):
    if "Records" in event:
        turned_off = [a for record in event["Records"] if record.get("EventSource") == "aws:sns" for a in bounces(record)]
        return {"mail_off": len(turned_off)}
    outcome = send(event, context.invoked_function_arn)
    logger.info("mail", extra={"kind": event.get("detail-type"), "outcome": outcome})
    return {"outcome": outcome}
