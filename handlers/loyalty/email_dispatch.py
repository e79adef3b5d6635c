"""Mail (and reward texts) in the shop's voice, from bus events: reward earned, nightly balance,
win-back.

The owner's voice.txt writes the words (a subject and a body per kind, {placeholders} filled
here); the notifier (handlers.shared.notify) sends them in the `voice` template pair, signed with
loyalty's own name. Reward mail is transactional, with a text too when the member asked for
reward texts. Nightly and win-back mail are marketing: only to members who confirmed their
address and opted in (loyalty's own consent); quiet hours, one-click unsubscribe and the
suppression list (bounces, complaints, unsubscribes) are the notifier's. The bus event's id is
the message's key, so an event delivered twice sends once; a zero-point ledger row records each
mail the notifier took (the monthly summary counts win-back notes from them). A mail to a
confirmed address carries the member's personal link to their points page (two days; its token
after `#`, so no server log sees it).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone

from handlers.loyalty import rulebook, storage, voice
from handlers.shared import claims, notify, tokens
from handlers.shared.clock import business_date, utc_stamp
from handlers.shared.log import logger
from handlers.shared.params import parameter
from handlers.shared.secrets import secret_value
from handlers.shared.settings import bucket, secret, setting, site_url, table

KINDS = {"reward_earned": ("reward_earned", False), "nightly_email": ("nightly_balance", True),
         "winback_nudge": ("winback", True)}  # bus detail-type → (voice section, marketing?)
TOOK = (notify.SENT, notify.SENT_BEFORE, notify.DEFERRED)  # the notifier sent it, or holds it for the morning


class DispatchSettings(notify.MarketingSettings):
    members_table = table("loyalty-members")
    ledger_table = table("loyalty-ledger")
    rules_bucket = bucket("loyalty-rules")
    member_token_secret = secret("member-token-key")
    loyalty_site_url_parameter = site_url("loyalty")
    time_zone = setting("time zone")


settings = DispatchSettings.load()


def points_url(member: dict) -> str:
    """The member's own link to their points page, only to an address they confirmed is theirs:
    it opens their details too."""
    if not confirmed(member):
        return ""
    token = tokens.sign("member-points-link", secret_value(settings.member_token_secret), {"p": member["phone"]})
    return f"{parameter(settings.loyalty_site_url_parameter).rstrip('/')}/points/#t={token}"


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


def confirmed(member: dict) -> bool:
    """The member showed the address is theirs (the confirmation link; opted_in for members who
    confirmed before confirmed_email was kept)."""
    return bool(member.get("email")) and (member.get("confirmed_email") == member["email"] or bool(member.get("opted_in")))


def values_for(member: dict, detail: dict, shop: str) -> dict:
    rules = rulebook.current_rules(settings.rules_bucket)
    balance = int(detail.get("balance", member.get("balance", 0)))
    upcoming = rules.next_reward(balance)
    earned = rules.reward(detail.get("reward_id", "")) if detail.get("reward_id") else None
    # The name came from an anonymous form: it goes only to an address its owner confirmed, so
    # nobody can have the shop mail their words to someone else's inbox.
    name = (member.get("name") or "").split()[:1] if confirmed(member) else []
    return {"name": name[0] if name else "there", "balance": balance, "shop": shop,
            "reward_name": earned.name if earned else None, "next_reward": upcoming.name if upcoming else "your next reward",
            "points_to_next": (upcoming.cost - balance) if upcoming else 0}


def recipient(member: dict, marketing: bool) -> notify.Recipient:
    """Reward texts only to members who ticked "Text me when I earn a reward"; that consent is for
    rewards, so marketing goes by mail alone."""
    texts = not marketing and member.get("texts") is True
    return notify.Recipient(email=member.get("email") or "", phone=member["phone"] if texts else "", texts=texts)


def send(event: dict) -> notify.Outcome | str:
    detail_type = event.get("detail-type", "")
    if detail_type not in KINDS:
        return "not_mine"
    section, marketing = KINDS[detail_type]
    detail = event.get("detail") or {}
    member = storage.get_member(settings.members_table, detail.get("phone", ""))
    if not member:
        return "no_member"
    if member.get("status") == storage.MOVED:  # its mail goes with the membership, to the new number's row
        return "moved"
    if marketing and not (member.get("opted_in") and confirmed(member)):
        return "not_opted_in"
    to = recipient(member, marketing)
    if not to.email and not to.texts:
        return "no_address"
    shop = notify.sender_name("loyalty")
    template = rulebook.current_voice(settings.rules_bucket)[section]
    values = values_for(member, detail, shop)
    body = voice.fill(template.body, values)
    now = now_utc()
    outcome = notify.notify(
        key=f"{section}:{mail_key(event)}", to=to, kind=notify.MARKETING if marketing else notify.TRANSACTIONAL,
        system="loyalty", template="voice", now=now,
        # The owner's words usually end with the shop's name ({shop}); signed by the template otherwise.
        data={"subject": sentence_case(voice.fill(template.subject, values)), "body": body,
              "signed": body.rstrip().endswith(shop), "points_url": points_url(member) if to.email else ""},
    )
    if not outcome:  # texts only, and the stack has texts off
        return "no_address"
    if outcome.busy:
        # Raised, so Lambda's retry of this event (a minute or two later) finds the lease lapsed
        # if the try that holds it died.
        raise claims.InProgress(f"{section} message for this event is being sent by another try")
    if any(o in TOOK for o in outcome.values()):
        storage.record_mail(settings.ledger_table, member["phone"], section, mail_key(event), utc_stamp(now),
                            business_date(settings.time_zone, now).isoformat())
    return outcome


def sentence_case(subject: str) -> str:
    """"there, your Free drink is ready" → "There, your ..." (a subject may start with {name})."""
    return subject[:1].upper() + subject[1:]


def mail_key(event: dict) -> str:
    """What makes a message this one and no other: the bus event's id (the same on every delivery
    of it), or the event itself for a hand-made one without an id."""
    if event.get("id"):
        return str(event["id"])
    return hashlib.sha256(json.dumps([event.get("detail-type"), event.get("detail")], sort_keys=True).encode()).hexdigest()[:32]


@logger.inject_lambda_context
def handler(event, context):
    outcome = send(event)
    if isinstance(outcome, str):  # nothing to send
        logger.info("no message", extra={"kind": event.get("detail-type"), "outcome": outcome})
        return {"outcome": outcome}
    logger.info("message", extra={"kind": event.get("detail-type"), "channels": dict(outcome)})
    # The mail's outcome names the event's (the text, when there is no address).
    return {"outcome": outcome.get(notify.EMAIL) or outcome.get(notify.SMS), "channels": dict(outcome)}
