"""Every DynamoDB expression of loyalty. The ledger is the truth: every change of a balance is
one transaction that writes the ledger row and ADDs to the balance, conditional on that row not
existing yet (so a retried sale, redeem or reverse applies once) and, for a redeem, on
`balance >= cost` (so no redeem can overdraw). A balance is never read, changed and written back.
Sale and redemption ids are unique across members: the same transaction takes the id's owner
row, so a till reusing a sale_id for another phone, or a desk reusing a request id for another
member, changes nothing.

members  phone                     balance, tier, visits, opt-in, email, confirmed_email, pending_email
                                   (a change waiting for its link), texts, status ("moved": moved_to
                                   names the number the membership went to)
ledger   phone, entry              sale#<id> | redeem#<id> | reverse#<id> | release#<sale> | adjust#<request id>
                                   | moved#<the other number> | mail#<kind>#<event id>
         SALE#<source>#<id>, owner  a sale id taken once for the shop, naming the member credited
         REDEMPTION#<id>, owner     a redemption id taken once for the shop, naming its member
audit    phone, ts                 reverses and other staff or lifecycle actions
review   phone, sale_id            sales held for a person to look at: open, then released or rejected
                                   once, naming who decided (by-status index: the open ones)
lapsing  phone                     the current lapsing list
Indexes: members by-status (status, last_seen), by-email (email; no function queries it now that
bounces are the notifier's), by-joined (joined_month);
ledger by-day (day, ts), by-ref (ref); audit by-day (day, ts).
Rows a staff member wrote (redeem#, reverse#, their audit rows) name them: by_staff (the
account's id) and by_name (their name then).
"""

from __future__ import annotations

import json
import secrets
from typing import Any, Optional

from handlers.shared.aws import client
from handlers.shared.dynamo import n as _n
from handlers.shared.dynamo import plain as _plain
from handlers.shared.dynamo import s as _s
from handlers.shared.dynamo import Busy, transact
from handlers.shared.dynamo import typed as _typed

DEFAULT_SOURCE = "pos"  # the shop's till; other sources name themselves in the sale
OWNER = "owner"  # the entry of a sale's or redemption's owner row
MOVED = "moved"  # a member's status once their membership went to another number (moved_to)


class Refused(Exception):
    """A condition refused the change: `code` says which ("busy": another transaction on the
    same items kept winning; nothing was written, try again)."""

    def __init__(self, code: str, item: Optional[dict] = None):
        super().__init__(code)
        self.code, self.item = code, item


class Unexpected(Exception):
    """A transaction was cancelled for a reason no caller's input explains (a bug, or a row
    changed by hand)."""

    def __init__(self, reasons: list[dict]):
        super().__init__([r.get("Code") for r in reasons])


def get_member(table: str, phone: str) -> Optional[dict]:
    item = client("dynamodb").get_item(TableName=table, Key={"phone": _s(phone)}, ConsistentRead=True).get("Item")
    return _plain(item) if item else None


MOVES_FOLLOWED = 5  # a number moved on again and again is followed this far


def current_member(table: str, phone: str) -> Optional[dict]:
    """The member a number stands for: its own row, or the row its membership moved to (a till or a
    desk may still know the old number)."""
    member = get_member(table, phone)
    for _ in range(MOVES_FOLLOWED):
        if not member or member.get("status") != MOVED:
            return member
        member = get_member(table, member["moved_to"])
    return None


def _ledger_row(phone: str, entry: str, points: int, reason: str, ts: str, day: str, **extra: Any) -> dict:
    return {"phone": phone, "entry": entry, "points_change": points, "reason": reason, "ts": ts, "day": day, **extra}


def _visit(members: str, phone: str, now: str, month: str, points: int, tier: str) -> dict:
    """A visit: points ADDed (never read and written back), the member made if new, active again."""
    values = {":pts": _n(points), ":one": _n(1), ":now": _s(now), ":month": _s(month), ":active": _s("active"),
              ":zero": _n(0), ":false": {"BOOL": False}, ":tier": _s(tier)}
    update = ("ADD balance :pts, visit_count :one SET last_seen = :now, #status = :active, nudge_count = :zero, tier = :tier, "
              "joined = if_not_exists(joined, :now), joined_month = if_not_exists(joined_month, :month), "
              "opted_in = if_not_exists(opted_in, :false)")
    return {"Update": {"TableName": members, "Key": {"phone": _s(phone)}, "UpdateExpression": update,
                       "ConditionExpression": "attribute_not_exists(balance) OR balance >= :zero",
                       "ExpressionAttributeNames": {"#status": "status"}, "ExpressionAttributeValues": values}}


def sale_entry(source: str, sale_id: str) -> str:
    """The member's ledger entry of a sale (the till's own sales keep the entry they always had)."""
    return f"sale#{sale_id}" if source == DEFAULT_SOURCE else f"sale#{source}#{sale_id}"


def _owner_row(ledger: str, key: str, phone: str, now: str, **extra: Any) -> dict:
    """A sale's or redemption's id, taken once for the whole shop, naming the member it went to
    (a condition failing on it hands back the row, so no second read tells whose it is)."""
    return {"Put": {"TableName": ledger, "Item": _typed({"phone": key, "entry": OWNER, "member": phone, "ts": now, **extra}),
                    "ConditionExpression": "attribute_not_exists(entry)", "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}}


def _transact(items: list[dict]) -> Optional[list[dict]]:
    """handlers.shared.dynamo.transact, a lost race answered as Refused("busy")."""
    try:
        return transact(client("dynamodb"), items)
    except Busy:
        raise Refused("busy") from None


def _failed(reason: dict) -> bool:
    return reason.get("Code") == "ConditionalCheckFailed"


def record_sale(members: str, ledger: str, review: Optional[str], phone: str, source: str, sale_id: str, points: int,
                reason: str, answer: dict, now: str, day: str, tier: str, held: Optional[dict] = None) -> Optional[dict]:
    """Credit (or hold) one sale, once for the shop: None when applied, the first answer on a
    retry with the same phone, Refused("sale_id_reused") when the sale went to another phone."""
    entry = sale_entry(source, sale_id)
    row = _ledger_row(phone, entry, points, reason, now, day, sale_id=sale_id, source=source, answer=json.dumps(answer))
    items = [
        _visit(members, phone, now, day[:7], points, tier),
        {"Put": {"TableName": ledger, "Item": _typed(row), "ConditionExpression": "attribute_not_exists(entry)",
                 "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}},
        _owner_row(ledger, f"SALE#{source}#{sale_id}", phone, now),
    ]
    if held is not None and review:
        items.append({"Put": {"TableName": review, "Item": _typed({"phone": phone, "sale_id": entry.removeprefix("sale#"), **held})}})
    reasons = _transact(items)
    if reasons is None:
        return None
    if len(reasons) > 2 and _failed(reasons[2]) and reasons[2].get("Item", {}).get("member", {}).get("S") != phone:
        raise Refused("sale_id_reused")
    if len(reasons) > 1 and _failed(reasons[1]) and "answer" in reasons[1].get("Item", {}):
        return json.loads(reasons[1]["Item"]["answer"]["S"])
    raise Unexpected(reasons)


def redeem(members: str, ledger: str, phone: str, reward_id: str, cost: int, redemption_id: str, by: dict[str, str], now: str,
           day: str) -> int:
    """Subtract `cost` only if the balance covers it, with its ledger row naming who redeemed it
    (`by`: Staff.by()); the new balance. The redemption id is taken for the whole shop: another
    member's redeem cannot reuse it."""
    row = _ledger_row(phone, f"redeem#{redemption_id}", -cost, "reward-redeem", now, day, reward=reward_id, ref=redemption_id, **by)
    reasons = _transact([
        {"Update": {"TableName": members, "Key": {"phone": _s(phone)}, "UpdateExpression": "ADD balance :neg",
                    "ConditionExpression": "balance >= :cost",
                    "ExpressionAttributeValues": {":neg": _n(-cost), ":cost": _n(cost)},
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}},
        {"Put": {"TableName": ledger, "Item": _typed(row), "ConditionExpression": "attribute_not_exists(entry)"}},
        _owner_row(ledger, f"REDEMPTION#{redemption_id}", phone, now, ref=redemption_id),
    ])
    if reasons is not None:
        if len(reasons) > 2 and _failed(reasons[2]):
            taken_by = reasons[2].get("Item", {}).get("member", {}).get("S")
            raise Refused("already_redeemed" if taken_by == phone else "request_id_reused")
        if len(reasons) > 1 and _failed(reasons[1]):
            raise Refused("already_redeemed")
        if reasons and _failed(reasons[0]):
            had = _plain(reasons[0].get("Item") or {})
            if had.get("status") == MOVED:  # an old number: the caller redeems on moved_to
                raise Refused("moved", had)
            raise Refused("insufficient_points" if had else "no_member")
        raise Unexpected(reasons)
    member = get_member(members, phone)
    return int(member["balance"]) if member else 0


def find_redemption(ledger: str, redemption_id: str) -> Optional[dict]:
    """The redemption's row in the ledger of the member it belongs to (its owner row names them)."""
    page = client("dynamodb").query(TableName=ledger, IndexName="by-ref", KeyConditionExpression="#r = :r",
                                    ExpressionAttributeNames={"#r": "ref"}, ExpressionAttributeValues={":r": _s(redemption_id)})
    rows = [_plain(i) for i in page.get("Items", [])]
    owner = next((r["member"] for r in rows if r["entry"] == OWNER), None)
    redeems = [r for r in rows if r["entry"].startswith("redeem#") and owner in (None, r["phone"])]
    if len({r["phone"] for r in redeems}) > 1:
        # Redeemed under one id for two members before ids were taken once for the shop: which
        # member a reverse is for cannot be told, so it is not guessed.
        raise Refused("ambiguous")
    if any(r["entry"].startswith("reverse#") for r in rows):
        # Reversed already, perhaps on the number the membership had before it moved.
        raise Refused("already_reversed")
    return redeems[0] if redeems else None


def reverse(members: str, ledger: str, audit: str, redemption: dict, reason: str, by: dict[str, str], now: str, day: str,
            phone: Optional[str] = None) -> None:
    """Put a redemption's points back, once, with a `reversed` ledger row and an audit row, both
    naming who reversed it (`by`: Staff.by()), on `phone` (the number the membership has now;
    by default the redemption's own)."""
    phone, points, rid = phone or redemption["phone"], -int(redemption["points_change"]), redemption["ref"]
    row = _ledger_row(phone, f"reverse#{rid}", points, "reversed", now, day, ref=rid, note=reason, **by)
    audit_row = {"phone": phone, "ts": f"{now}#{secrets.token_hex(3)}", "day": day, "action": "reverse", **by,
                 "before": f"redeem#{rid}", "after": f"reverse#{rid}", "reason": reason}
    reasons = _transact([
        {"Update": {"TableName": members, "Key": {"phone": _s(phone)}, "UpdateExpression": "ADD balance :pts",
                    "ConditionExpression": "attribute_exists(phone)", "ExpressionAttributeValues": {":pts": _n(points)}}},
        {"Put": {"TableName": ledger, "Item": _typed(row), "ConditionExpression": "attribute_not_exists(entry)"}},
        {"Put": {"TableName": audit, "Item": _typed(audit_row)}},
    ])
    if reasons is not None:
        if len(reasons) > 1 and _failed(reasons[1]):
            raise Refused("already_reversed")
        raise Unexpected(reasons)


# -- the desk: held sales, adjustments, enrolment --------------------------------------------

def held_sales(review: str, limit: int = 100) -> list[dict]:
    """Sales still waiting for a person, oldest first (the review table's by-status index)."""
    page = client("dynamodb").query(TableName=review, IndexName="by-status", KeyConditionExpression="#s = :open",
                                    ExpressionAttributeNames={"#s": "status"}, ExpressionAttributeValues={":open": _s("open")},
                                    Limit=limit)
    return [_plain(i) for i in page.get("Items", [])]


def _audit_row(audit: str, phone: str, now: str, day: str, action: str, by: dict[str, str], **extra: Any) -> dict:
    row = {"phone": phone, "ts": f"{now}#{secrets.token_hex(3)}", "day": day, "action": action, **by, **extra}
    return {"Put": {"TableName": audit, "Item": _typed(row)}}


def _decide_held(review: str, phone: str, sale_id: str, status: str, by: dict[str, str], now: str, note: str) -> dict:
    """The review row goes from open to `status` once, naming who decided; a second decision is
    refused and hands back the first (who, when)."""
    return {"Update": {"TableName": review, "Key": {"phone": _s(phone), "sale_id": _s(sale_id)},
                       "UpdateExpression": "SET #s = :to, decided_at = :now, decided_by = :by_staff, decided_by_name = :by_name, note = :note",
                       "ConditionExpression": "#s = :open", "ExpressionAttributeNames": {"#s": "status"},
                       "ExpressionAttributeValues": {":to": _s(status), ":open": _s("open"), ":now": _s(now), ":note": _s(note),
                                                     ":by_staff": _s(by["by_staff"]), ":by_name": _s(by["by_name"])},
                       "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}}


def _held_refusal(reason: dict) -> "Refused":
    item = _plain(reason.get("Item") or {})
    return Refused("no_held_sale" if not item else f"already_{item.get('status', 'decided')}", item or None)


def release_held(members: str, ledger: str, review: str, audit: str, phone: str, sale_id: str, by: dict[str, str],
                 now: str, day: str, credit: Optional[str] = None) -> tuple[int, int]:
    """Credit a held sale's computed points, once: the review row released, a ledger row naming
    the sale and who released it, the balance ADDed (on `credit`, the number the membership has
    now, by default the sale's), an audit row. (points, balance before)."""
    item = client("dynamodb").get_item(TableName=review, Key={"phone": _s(phone), "sale_id": _s(sale_id)},
                                       ConsistentRead=True).get("Item")
    if not item:
        raise Refused("no_held_sale")
    held = _plain(item)
    if held.get("status") != "open":
        raise Refused(f"already_{held.get('status')}", held)
    points, credit = int(held["computed_points"]), credit or phone
    row = _ledger_row(credit, f"release#{sale_id}", points, "held sale released", now, day, sale_id=sale_id, **by)
    reasons = _transact([
        _decide_held(review, phone, sale_id, "released", by, now, ""),
        {"Put": {"TableName": ledger, "Item": _typed(row), "ConditionExpression": "attribute_not_exists(entry)"}},
        {"Update": {"TableName": members, "Key": {"phone": _s(credit)}, "UpdateExpression": "ADD balance :pts",
                    "ConditionExpression": "attribute_exists(phone) AND (attribute_not_exists(#s) OR #s <> :moved)", "ExpressionAttributeNames": {"#s": "status"},
                    "ExpressionAttributeValues": {":pts": _n(points), ":moved": _s(MOVED)}}},
        _audit_row(audit, credit, now, day, "release", by, sale_id=sale_id, points=points),
    ])
    if reasons is not None:
        if _failed(reasons[0]):
            raise _held_refusal(reasons[0])
        raise Unexpected(reasons)
    member = get_member(members, credit) or {}
    return points, int(member.get("balance", points)) - points


def reject_held(review: str, audit: str, phone: str, sale_id: str, reason: str, by: dict[str, str], now: str, day: str) -> None:
    """A held sale a person looked at and refused: no points, the review row and an audit row say who and why."""
    reasons = _transact([
        _decide_held(review, phone, sale_id, "rejected", by, now, reason),
        _audit_row(audit, phone, now, day, "reject", by, sale_id=sale_id, reason=reason),
    ])
    if reasons is not None:
        if _failed(reasons[0]):
            raise _held_refusal(reasons[0])
        raise Unexpected(reasons)


def adjust(members: str, ledger: str, audit: str, phone: str, points: int, reason: str, request_id: str,
           by: dict[str, str], now: str, day: str) -> int:
    """The owner's correction: ADD `points` (negative takes away, never below zero), with its
    ledger row (once per request id) and an audit row naming them. The new balance."""
    row = _ledger_row(phone, f"adjust#{request_id}", points, "adjusted", now, day, note=reason, **by)
    reasons = _transact([
        {"Update": {"TableName": members, "Key": {"phone": _s(phone)}, "UpdateExpression": "ADD balance :pts",
                    "ConditionExpression": "attribute_exists(phone) AND balance >= :floor AND (attribute_not_exists(#s) OR #s <> :moved)",
                    "ExpressionAttributeNames": {"#s": "status"},
                    "ExpressionAttributeValues": {":pts": _n(points), ":floor": _n(max(0, -points)), ":moved": _s(MOVED)},
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}},
        {"Put": {"TableName": ledger, "Item": _typed(row), "ConditionExpression": "attribute_not_exists(entry)"}},
        _audit_row(audit, phone, now, day, "adjust", by, points=points, reason=reason),
    ])
    if reasons is not None:
        if len(reasons) > 1 and _failed(reasons[1]):
            raise Refused("already_adjusted")
        if _failed(reasons[0]):
            raise Refused("insufficient_points" if reasons[0].get("Item") else "no_member")
        raise Unexpected(reasons)
    return int(get_member(members, phone)["balance"])


KEPT_ON_MOVE = ("name", "email", "confirmed_email", "pending_email", "opted_in", "texts", "tier", "visit_count", "joined",
                "joined_month", "last_seen", "nudge_count", "enrolled_by", "enrolled_by_staff")


def move_member(members: str, ledger: str, audit: str, old: str, new: str, reason: str, by: dict[str, str], now: str,
                day: str) -> int:
    """The membership goes to a new number, in one transaction: the old row keeps nothing but a
    pointer (status "moved", moved_to), the balance leaves it with a ledger row and arrives on the
    new number with another, so each number's balance stays its ledger's sum. Conditional on the
    balance being what was read (Refused("busy") when it changed meanwhile) and on the new number
    not being a member (Refused("number_taken")). The balance moved."""
    current = get_member(members, old)
    if current is None:
        raise Refused("no_member")
    if current.get("status") == MOVED:
        raise Refused("already_moved", current)
    balance = int(current.get("balance", 0))
    moved = {k: current[k] for k in KEPT_ON_MOVE if k in current}
    arrived = {"phone": new, **moved, "balance": balance, "status": "active", "moved_from": old}
    reasons = _transact([
        {"Update": {"TableName": members, "Key": {"phone": _s(old)},
                    "UpdateExpression": "SET #s = :moved, moved_to = :new ADD balance :out",
                    "ConditionExpression": "balance = :balance AND #s <> :moved", "ExpressionAttributeNames": {"#s": "status"},
                    "ExpressionAttributeValues": {":moved": _s(MOVED), ":new": _s(new), ":out": _n(-balance), ":balance": _n(balance)}}},
        {"Put": {"TableName": members, "Item": _typed(arrived), "ConditionExpression": "attribute_not_exists(phone)"}},
        {"Put": {"TableName": ledger, "Item": _typed(_ledger_row(old, f"moved#{new}", -balance, "moved to a new number", now, day,
                                                                 note=reason, **by)),
                 "ConditionExpression": "attribute_not_exists(entry)"}},
        {"Put": {"TableName": ledger, "Item": _typed(_ledger_row(new, f"moved#{old}", balance, "moved from another number", now, day,
                                                                 note=reason, **by)),
                 "ConditionExpression": "attribute_not_exists(entry)"}},
        _audit_row(audit, old, now, day, "move", by, moved_to=new, reason=reason),
    ])
    if reasons is not None:
        if len(reasons) > 1 and _failed(reasons[1]):
            raise Refused("number_taken")
        if _failed(reasons[0]):
            raise Refused("busy")
        raise Unexpected(reasons)
    return balance


def record_staff_action(audit: str, phone: str, action: str, by: dict[str, str], now: str, day: str, **extra: Any) -> None:
    """An audit row for a staff action that moves no points (enrolment, a change of details)."""
    client("dynamodb").put_item(**_audit_row(audit, phone, now, day, action, by, **extra)["Put"])


def ledger_rows(ledger: str, phone: str, limit: Optional[int] = None) -> list[dict]:
    dynamodb = client("dynamodb")
    kwargs: dict[str, Any] = {"TableName": ledger, "KeyConditionExpression": "phone = :p", "ExpressionAttributeValues": {":p": _s(phone)},
                              "ConsistentRead": True}
    rows: list[dict] = []
    while True:
        page = dynamodb.query(**kwargs)
        rows += [_plain(i) for i in page.get("Items", [])]
        if "LastEvaluatedKey" not in page or (limit and len(rows) >= limit):
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    return rows


def ledger_for_day(ledger: str, day: str) -> list[dict]:
    dynamodb = client("dynamodb")
    kwargs: dict[str, Any] = {"TableName": ledger, "IndexName": "by-day", "KeyConditionExpression": "#d = :d",
                              "ExpressionAttributeNames": {"#d": "day"}, "ExpressionAttributeValues": {":d": _s(day)}}
    rows: list[dict] = []
    while True:
        page = dynamodb.query(**kwargs)
        rows += [_plain(i) for i in page.get("Items", [])]
        if "LastEvaluatedKey" not in page:
            return rows
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def audit_for_day(audit: str, day: str) -> list[dict]:
    page = client("dynamodb").query(TableName=audit, IndexName="by-day", KeyConditionExpression="#d = :d",
                                    ExpressionAttributeNames={"#d": "day"}, ExpressionAttributeValues={":d": _s(day)})
    return [_plain(i) for i in page.get("Items", [])]


def joined_in(members: str, month: str) -> int:
    page = client("dynamodb").query(TableName=members, IndexName="by-joined", KeyConditionExpression="joined_month = :m",
                                    ExpressionAttributeValues={":m": _s(month)}, Select="COUNT")
    return int(page.get("Count", 0))


def record_mail(ledger: str, phone: str, kind: str, key: str, now: str, day: str) -> None:
    """A message the notifier took, on the member's ledger: zero points (the balance stays the
    ledger's sum), keyed by what asked for it (the bus event), so a redelivered event records it
    once. Its `day` puts it on the by-day index (the monthly summary counts win-back notes)."""
    client("dynamodb").update_item(
        TableName=ledger, Key={"phone": _s(phone), "entry": _s(f"mail#{kind}#{key}")},
        UpdateExpression="SET points_change = :zero, reason = :reason, ts = if_not_exists(ts, :now), #day = if_not_exists(#day, :day)",
        ExpressionAttributeNames={"#day": "day"},
        ExpressionAttributeValues={":zero": _n(0), ":reason": _s(f"mail:{kind}"), ":now": _s(now), ":day": _s(day)},
    )


# -- members: sign-up, opt-in -------------------------------------------------------------

def sign_up(members: str, phone: str, name: str, email: Optional[str], texts: bool, now: str, month: str,
            **extra: Any) -> Optional[dict]:
    """A new member: None. A phone that is a member already is never changed here (the form is
    anonymous: whoever typed the number may not own it): the member as they are is returned.
    `extra` goes on a new member's row (a desk enrolment names who enrolled them)."""
    dynamodb = client("dynamodb")
    record = {"phone": phone, "name": name, "email": email, "texts": texts, "opted_in": False, "balance": 0, "visit_count": 0,
              "tier": "none", "joined": now, "joined_month": month, "last_seen": now, "status": "active", "nudge_count": 0, **extra}
    try:
        dynamodb.put_item(TableName=members, Item=_typed(record), ConditionExpression="attribute_not_exists(phone)",
                          ReturnValuesOnConditionCheckFailure="ALL_OLD")
        return None
    except dynamodb.exceptions.ConditionalCheckFailedException as taken:
        return _plain(taken.response.get("Item") or {}) or get_member(members, phone) or {}


def change_details(members: str, phone: str, *, name: Optional[str] = None, texts: Optional[bool] = None,
                   email: Optional[str] = None) -> Optional[dict]:
    """Change what a member who proved it is them (a one-time code to their phone, or staff at the
    desk) asked to change; the member after, None when there is no such member. A new e-mail
    address waits as `pending_email` until its own confirmation link is opened: nothing is mailed
    to it before (confirm_address)."""
    sets, names, values = [], {}, {}
    if name is not None:
        sets.append("#name = :name"); names["#name"] = "name"; values[":name"] = _s(name)
    if texts is not None:
        sets.append("texts = :texts"); values[":texts"] = {"BOOL": texts}
    if email is not None:
        sets.append("pending_email = :email"); values[":email"] = _s(email)
    if not sets:
        return get_member(members, phone)
    dynamodb = client("dynamodb")
    try:
        item = dynamodb.update_item(TableName=members, Key={"phone": _s(phone)}, UpdateExpression="SET " + ", ".join(sets),
                                    ConditionExpression="attribute_exists(phone)", ReturnValues="ALL_NEW",
                                    **({"ExpressionAttributeNames": names} if names else {}), ExpressionAttributeValues=values)
    except dynamodb.exceptions.ConditionalCheckFailedException:
        return None
    return _plain(item["Attributes"])


def confirm_address(members: str, phone: str, email: str) -> bool:
    """The confirmation link: the address is known to be the member's (`email`, `confirmed_email`)
    and marketing mail may go to it (`opted_in`), if it is still the member's address or the one
    they asked to change to. False otherwise. (Opting out is the notifier's one-click unsubscribe.)"""
    dynamodb = client("dynamodb")
    try:
        dynamodb.update_item(TableName=members, Key={"phone": _s(phone)},
                             UpdateExpression="SET opted_in = :v, email = :email, confirmed_email = :email REMOVE pending_email",
                             ConditionExpression="email = :email OR pending_email = :email",
                             ExpressionAttributeValues={":v": {"BOOL": True}, ":email": _s(email)})
    except dynamodb.exceptions.ConditionalCheckFailedException:
        return False
    return True


# -- lapsing ----------------------------------------------------------------------------------

def lapsing_candidates(members: str, before: str, limit: int) -> list[dict]:
    """Active members last seen before `before`, oldest first, from the by-status index."""
    page = client("dynamodb").query(TableName=members, IndexName="by-status",
                                    KeyConditionExpression="#s = :active AND last_seen < :before",
                                    ExpressionAttributeNames={"#s": "status"},
                                    ExpressionAttributeValues={":active": _s("active"), ":before": _s(before)}, Limit=limit)
    return [_plain(i) for i in page.get("Items", [])]


def mark_lapsing(members: str, lapsing: str, phone: str, weeks_away: int, now: str, max_nudges: int) -> bool:
    """Stamp a member as lapsing and count a nudge, unless they have had `max_nudges` already."""
    dynamodb = client("dynamodb")
    try:
        dynamodb.transact_write_items(TransactItems=[
            {"Update": {"TableName": members, "Key": {"phone": _s(phone)},
                        "UpdateExpression": "SET #s = :lapsing ADD nudge_count :one",
                        "ConditionExpression": "#s = :active AND (attribute_not_exists(nudge_count) OR nudge_count < :max)",
                        "ExpressionAttributeNames": {"#s": "status"},
                        "ExpressionAttributeValues": {":lapsing": _s("lapsing"), ":active": _s("active"), ":one": _n(1), ":max": _n(max_nudges)}}},
            {"Put": {"TableName": lapsing, "Item": _typed({"phone": phone, "weeks_away": weeks_away, "last_nudge": now})}},
        ])
    except dynamodb.exceptions.TransactionCanceledException:
        return False
    return True


def scan_all(table: str) -> list[dict]:
    """Every item, for the daily backup (the one job that has to read the whole table)."""
    dynamodb = client("dynamodb")
    kwargs: dict[str, Any] = {"TableName": table}
    items: list[dict] = []
    while True:
        page = dynamodb.scan(**kwargs)
        items += [_plain(i) for i in page.get("Items", [])]
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
