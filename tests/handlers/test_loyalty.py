"""Loyalty handlers through the events Lambda receives, on moto."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import datetime, timezone
from types import SimpleNamespace

import pytest

from handlers.shared.aws import client
from ops import harness

MEMBERS, LEDGER, REVIEW, AUDIT = ("mainstreet-dev-loyalty-members", "mainstreet-dev-loyalty-ledger",
                                  "mainstreet-dev-loyalty-review", "mainstreet-dev-loyalty-audit")
RULES_BUCKET = "mainstreet-dev-loyalty-rules-123456789012"
HOST = "loyalty.example.test"
PHONE = "+6591234567"


def signed(body: dict | str | bytes, secret: str = harness.TEST_POS_SECRET, at: int | str | None = None) -> tuple[str | bytes, dict]:
    """The body as sent and the POS's headers, signed over exactly those bytes."""
    raw = body if isinstance(body, (str, bytes)) else json.dumps(body)
    data = raw if isinstance(raw, bytes) else raw.encode()
    stamp = str(at if at is not None else int(time.time()))
    signature = "sha256=" + hmac.new(secret.encode(), stamp.encode() + b"." + data, hashlib.sha256).hexdigest()
    return raw, {"x-timestamp": stamp, "x-signature": signature, "content-type": "application/json"}


def sale(sale_id: str = "S-1001", total: str = "12.50", phone: str = PHONE, items=None) -> dict:
    return {"sale_id": sale_id, "phone": phone, "total": total, "items": items or [{"sku": "LATTE", "qty": 2, "price": "6.25"}],
            "occurred_at": "2026-11-22T09:15:00+08:00"}


@pytest.fixture
def pos(function, lambda_invokes):
    webhook = function("loyalty-pos-webhook")

    def post(body, **kw):
        raw, headers = signed(body, **kw)
        return webhook.request("POST", "/api/pos/sales", body=raw, headers=headers, host=HOST)

    post.client = webhook
    return post


@pytest.fixture
def desk(function):
    return function("loyalty-redeem")


def member(phone: str = PHONE) -> dict:
    return client("dynamodb").get_item(TableName=MEMBERS, Key={"phone": {"S": phone}}, ConsistentRead=True).get("Item", {})


def ledger(phone: str = PHONE) -> list[dict]:
    return client("dynamodb").query(TableName=LEDGER, KeyConditionExpression="phone = :p",
                                    ExpressionAttributeValues={":p": {"S": phone}}, ConsistentRead=True)["Items"]


def balance_and_sum(phone: str = PHONE) -> tuple[int, int]:
    return int(member(phone)["balance"]["N"]), sum(int(r["points_change"]["N"]) for r in ledger(phone))


# -- the POS signature ------------------------------------------------------------------------

NOW = 1_795_000_000  # a fixed "now" (2026-11-18T11:06:40Z) for the freshness window


@pytest.fixture
def frozen_pos(pos, monkeypatch):
    """The webhook with its clock stopped at NOW: the window's edges are exact, however slow the machine."""
    monkeypatch.setattr(pos.client.module, "time", SimpleNamespace(time=lambda: float(NOW)))
    return pos


@pytest.mark.parametrize("case, error", [("wrong secret", "wrong_signature"), ("stale", "stale_signature"),
                                         ("future", "stale_signature"), ("missing", "missing_signature"),
                                         ("body altered", "wrong_signature"), ("bad timestamp", "bad_timestamp")])
def test_a_bad_signature_is_401_and_nothing_is_written(frozen_pos, case, error):
    raw, headers = signed(sale(), secret="not-the-secret" if case == "wrong secret" else harness.TEST_POS_SECRET,
                          at=NOW - 301 if case == "stale" else NOW + 301 if case == "future" else NOW)
    if case == "missing":
        headers = {"content-type": "application/json"}
    if case == "body altered":
        raw = raw.replace("12.50", "1250.00")
    if case == "bad timestamp":
        headers["x-timestamp"] = "yesterday"
    reply = frozen_pos.client.request("POST", "/api/pos/sales", body=raw, headers=headers, host=HOST)
    assert reply.status == 401 and reply.json()["error"] == error
    assert member() == {} and ledger() == []


@pytest.mark.parametrize("offset", [-3600, -301, -300, -150, 0, 150, 300, 301, 3600])
def test_a_signature_is_fresh_for_five_minutes_either_side_of_now(frozen_pos, offset):
    """Sent `offset` seconds from the webhook's now: up to 300 s old or ahead (the till's clock may
    run fast) is accepted, a second more on either side is refused."""
    reply = frozen_pos(sale(), at=NOW + offset)
    if abs(offset) <= 300:
        assert reply.status == 200 and reply.json()["points_added"] == 12
    else:
        assert reply.status == 401 and reply.json()["error"] == "stale_signature"
        assert member() == {} and ledger() == []


def test_a_signed_sale_with_bad_fields_is_422_and_writes_nothing(pos):
    reply = pos({**sale(), "phone": "91234567", "total": "-3"})
    assert reply.status == 422 and {"phone", "total"} <= set(reply.json()["fields"])
    assert member("+6591234567") == {}


@pytest.mark.parametrize("signature", ["none", "wrong"])
def test_an_unsigned_body_that_is_not_even_utf8_is_401_not_500(frozen_pos, signature):
    """The signature is checked over the bytes before anything decodes them."""
    raw, headers = signed(b"\xff\xfe{\"sale_id\": \xc3\x28}", secret="not-the-secret", at=NOW)
    if signature == "none":
        headers = {"content-type": "application/json"}
    reply = frozen_pos.client.request("POST", "/api/pos/sales", body=raw, headers=headers, host=HOST)
    assert reply.status == 401 and reply.json()["error"] in ("missing_signature", "wrong_signature")
    assert member() == {} and ledger() == []


@pytest.mark.parametrize("raw, status, error", [
    (b"\xff\xfe{}", 400, "invalid_json"),  # not UTF-8
    (b"{\"sale_id\": ", 400, "invalid_json"),  # not JSON
    (b"[1, 2]", 400, "invalid_json"),  # not an object
    (b"\"S-1\"", 400, "invalid_json"),
    (b"{\"a\": NaN}", 400, "invalid_json"),
    (b"[" * 5000 + b"]" * 5000, 400, "invalid_json"),
    (b"{}", 422, "validation_failed"),
    (json.dumps({**sale(), "pad": "x" * 40_000}).encode(), 413, "too_large"),
])
def test_a_signed_body_that_is_not_a_sale_is_a_4xx_naming_why(frozen_pos, raw, status, error):
    body, headers = signed(raw, at=NOW)
    reply = frozen_pos.client.request("POST", "/api/pos/sales", body=body, headers=headers, host=HOST)
    assert (reply.status, reply.json()["error"]) == (status, error)
    assert member() == {} and ledger() == []


@pytest.mark.parametrize("stamp", [f" {NOW}", f"+{NOW}", f"{NOW:_}", f"{NOW}.0", "\u0661" * 10, f"{NOW}\n", "-1", "9" * 5000])
def test_a_timestamp_that_is_not_plain_unix_seconds_is_401_even_correctly_signed(frozen_pos, stamp):
    raw, headers = signed(sale(), at=stamp)
    reply = frozen_pos.client.request("POST", "/api/pos/sales", body=raw, headers=headers, host=HOST)
    assert reply.status == 401 and reply.json()["error"] in ("bad_timestamp", "stale_signature")
    assert member() == {} and ledger() == []


US_NUMBER = "+14155550134"


def test_every_spelling_of_a_number_in_the_shops_country_is_one_member(pos, signup):
    """The till sends national numbers; the form takes what people type. All are read in the
    shop's country (US for the dev stack) and stored in E.164."""
    assert signup.post("/api/members", {"phone": "415-555-0134", "name": "Ana"}, host=HOST).status == 202
    for n, spelling in enumerate(("(415) 555-0134", "415-555-0134", "+1 415 555 0134")):
        reply = pos(sale(f"S-{n}", "10.00", phone=spelling))
        assert reply.status == 200 and reply.json()["member_id"] == US_NUMBER, reply.body
    assert signup.post("/api/members", {"phone": "(415) 555-0134", "name": "Ana"}, host=HOST).status == 202
    assert balance_and_sum(US_NUMBER) == (30, 30) and int(member(US_NUMBER)["visit_count"]["N"]) == 3
    assert [i["phone"]["S"] for i in client("dynamodb").scan(TableName=MEMBERS)["Items"]] == [US_NUMBER]


@pytest.mark.parametrize("send", ["sale", "signup"])
def test_a_number_that_is_not_one_is_422_with_a_sentence_naming_the_phone(pos, signup, send):
    if send == "sale":
        reply = pos(sale(phone="1234567"))
    else:
        reply = signup.post("/api/members", {"phone": "1234567", "name": "Ana"}, host=HOST)
    assert reply.status == 422
    assert reply.json()["fields"]["phone"].startswith("That is not a phone number we can call")
    assert client("dynamodb").scan(TableName=MEMBERS)["Items"] == [] and client("dynamodb").scan(TableName=LEDGER)["Items"] == []


# -- earn: the four outcomes -----------------------------------------------------------------

def test_a_sale_adds_points_once_however_often_the_till_retries(pos):
    first = pos(sale(total="12.50"))
    assert first.status == 200
    assert first.json() == {"member_id": PHONE, "decision": "add", "points_added": 12, "balance": 12}
    again = pos(sale(total="12.50"))
    assert again.json() == first.json()
    assert balance_and_sum() == (12, 12) and len(ledger()) == 1
    assert int(member()["visit_count"]["N"]) == 1


OTHER = "+6598765432"


@pytest.mark.parametrize("total, decision", [("12.50", "add"), ("450.00", "hold_for_review")])
def test_a_sale_id_retried_with_another_phone_is_409_and_credits_nobody(pos, total, decision):
    """A till's sale_id is credited once, whatever phone a retry carries."""
    first = pos(sale("S-1", total))
    assert first.status == 200 and first.json()["decision"] == decision
    other = pos(sale("S-1", total, phone=OTHER))
    assert other.status == 409 and other.json()["error"] == "sale_id_reused", other.body
    assert member(OTHER) == {} and ledger(OTHER) == []
    review = client("dynamodb").scan(TableName=REVIEW)["Items"]
    assert [r["phone"]["S"] for r in review] == ([] if decision == "add" else [PHONE])
    assert pos(sale("S-1", total)).json() == first.json()  # the first phone's retry still gets its answer
    assert len(ledger()) == 1


def test_the_same_sale_id_from_another_source_is_another_sale(pos):
    assert pos(sale("S-1", "10.00")).json()["points_added"] == 10
    web = pos({**sale("S-1", "20.00", phone=OTHER), "source": "web-shop"})
    assert web.status == 200 and web.json()["points_added"] == 20
    again = pos({**sale("S-1", "20.00"), "source": "web-shop"})
    assert again.status == 409 and again.json()["error"] == "sale_id_reused"
    assert balance_and_sum() == (10, 10) and balance_and_sum(OTHER) == (20, 20)
    assert pos({**sale("S-2"), "source": "Web Shop"}).status == 422


@pytest.fixture
def bus_entries(aws):
    """The entries handlers put on the bus (they still reach moto), in order."""
    from handlers.shared import aws as handler_aws

    put: list[dict] = []
    hooks = handler_aws.session().events
    hooks.register("before-parameter-build.eventbridge.PutEvents", lambda params, **_: put.extend(params["Entries"]),
                   unique_id="tests.bus_entries")
    handler_aws.client.cache_clear()  # clients copy the session's hooks when they are made
    yield put
    hooks.unregister("before-parameter-build.eventbridge.PutEvents", unique_id="tests.bus_entries")
    handler_aws.client.cache_clear()


def deliver(graph, function, entries: list[dict]) -> list[tuple[str, dict]]:
    """Each entry to the functions the program's bus rules route it to, as EventBridge would."""
    from ops.local.bus import Bus

    answers = []
    Bus(graph, lambda name, event: answers.append((name, function(name).invoke(event))), lambda _: None,
        "us-west-2", "123456789012").put(entries)
    return answers


def test_bonus_items_and_a_reward_crossing(pos, signup, aws, function, bus_entries, sent_mail):
    assert signup.post("/api/members", {"phone": PHONE, "name": "Ana Lim", "email": "ana@example.com"}, host=HOST).status == 202
    assert signup.post("/api/confirm", {"token": token_from(sent_mail()[0], f"https://{HOST}/confirm/#t=")}, host=HOST).status == 200
    mailed_before = len(sent_mail())  # the confirmation
    pos(sale("S-1", "80.00"))
    assert bus_entries == []  # 80 points: no reward yet
    bonus_sale = sale("S-2", "5.00", items=[{"sku": "BEANS-1KG", "qty": 1, "price": "5.00"}])
    reply = pos(bonus_sale)
    assert reply.json() == {"member_id": PHONE, "decision": "add_and_reward", "points_added": 30, "balance": 110}
    assert member()["tier"]["S"] == "free-drink"
    assert balance_and_sum() == (110, 110)
    assert pos(bonus_sale).json() == reply.json()  # the till retries: no second reward
    [entry] = bus_entries
    assert (entry["Source"], entry["DetailType"]) == ("mainstreet.dev.loyalty", "reward_earned")  # the stack is in the source
    assert json.loads(entry["Detail"]) == {"phone": PHONE, "reward_id": "free-drink", "balance": 110}

    # The program's bus rule hands the event to the mail function, which mails the member once.
    assert deliver(aws, function, bus_entries) == [("loyalty-email-dispatch", {"outcome": "sent", "channels": {"email": "sent"}})]
    [mail] = sent_mail()[mailed_before:]
    assert mail.destinations["ToAddresses"] == ["ana@example.com"]
    assert mail.subject == "Ana, your Free drink is ready" and "You have 110 points, enough for a Free drink" in mail.body


def test_a_large_sale_is_held_for_review_and_adds_nothing(pos):
    reply = pos(sale("S-BIG", "450.00"))
    assert reply.json()["decision"] == "hold_for_review" and reply.json()["points_added"] == 0
    held = client("dynamodb").get_item(TableName=REVIEW, Key={"phone": {"S": PHONE}, "sale_id": {"S": "S-BIG"}})["Item"]
    assert held["computed_points"]["N"] == "450" and held["status"]["S"] == "open"
    assert balance_and_sum() == (0, 0)


def test_a_small_sale_is_ignored(pos):
    reply = pos(sale("S-SMALL", "2.00"))
    assert reply.json() == {"member_id": PHONE, "decision": "ignore", "points_added": 0, "balance": 0}
    assert ledger() == []


def test_broken_rules_keep_the_last_good_ones_and_never_fail_a_sale(pos, caplog):
    s3 = client("s3")
    assert pos(sale("S-1", "10.00")).json()["points_added"] == 10  # good rules loaded
    s3.put_object(Bucket=RULES_BUCKET, Key="rules.txt", Body=b"points per dollar: many\n")
    from handlers.loyalty import rulebook

    rulebook._state.clear()  # a cold start: nothing in memory, so the versioned bucket is the fallback
    reply = pos(sale("S-2", "10.00"))
    assert reply.status == 200 and reply.json()["points_added"] == 10
    assert "rules invalid" in caplog.text


def test_the_usual_earn_is_two_calls(pos, function, calls):
    earn = function("loyalty-earn")
    earn.invoke(sale("S-0", "10.00"))  # warm: rules cached
    calls.clear()
    earn.invoke(sale("S-1", "10.00"))
    assert [op for _, op in calls.log] == ["GetItem", "TransactWriteItems"]


# -- the desk ----------------------------------------------------------------------------------

def lookup(desk, phone, cookie=None):
    return desk.post("/api/members/lookup", {"phone": phone}, headers={"cookie": cookie} if cookie else {}, host=HOST)


def test_the_desk_sees_balance_tier_and_claimable_rewards(pos, desk, staff_cookie):
    pos(sale("S-1", "150.00"))
    assert lookup(desk, PHONE).status == 401
    reply = lookup(desk, PHONE, staff_cookie)
    data = reply.json()
    assert (data["balance"], data["tier"]) == (150, "free-drink")
    assert [(r["id"], r["claimable"]) for r in data["rewards"]] == [("free-drink", True), ("free-pastry-pair", False), ("beans-bag", False)]
    assert lookup(desk, "+6590000000", staff_cookie).status == 404
    assert lookup(desk, "12", staff_cookie).status == 422


def test_the_member_lookup_is_a_post_and_shows_the_number_the_way_the_shop_writes_it(pos, desk, staff_cookie):
    """A phone number in a URL lands in access logs: the lookup moved from GET /api/members/{phone}
    to a POST body, and the old address answers nothing."""
    pos(sale("S-1", "150.00", phone="(415) 555-0134"))
    reply = lookup(desk, "415-555-0134", staff_cookie)
    assert reply.status == 200
    assert (reply.json()["member_id"], reply.json()["phone"]) == ("+14155550134", "(415) 555-0134")
    pos(sale("S-2", "150.00"))
    assert lookup(desk, PHONE, staff_cookie).json()["phone"] == "+65 9123 4567"  # foreign: international form
    assert desk.get("/api/members/+14155550134", headers={"cookie": staff_cookie}, host=HOST).status == 404
    bad = lookup(desk, "1234567", staff_cookie)
    assert bad.status == 422 and bad.json()["fields"]["phone"].startswith("That is not a phone number")


def redeem(desk, cookie, reward="free-drink", request_id=None, phone=PHONE):
    body = {"phone": phone, "reward_id": reward, **({"request_id": request_id} if request_id else {})}
    return desk.post("/api/redeem", body, headers={"cookie": cookie}, host=HOST)


def test_redeem_subtracts_only_what_the_balance_covers(pos, desk, staff_cookie):
    pos(sale("S-1", "150.00"))
    first = redeem(desk, staff_cookie)
    assert first.status == 200 and first.json()["balance"] == 50
    second = redeem(desk, staff_cookie)
    assert second.status == 409 and second.json()["error"] == "insufficient_points"
    assert balance_and_sum() == (50, 50)
    assert redeem(desk, staff_cookie, reward="nope").status == 422


def test_a_repeated_press_redeems_once(pos, desk, staff_cookie):
    pos(sale("S-1", "250.00"))
    assert redeem(desk, staff_cookie, request_id="press-0000001").status == 200
    again = redeem(desk, staff_cookie, request_id="press-0000001")
    assert again.status == 409 and again.json()["error"] == "already_redeemed"
    assert balance_and_sum() == (150, 150)


def reverse(desk, cookie, redemption_id, reason="wrong member"):
    return desk.post(f"/api/redemptions/{redemption_id}/reverse", {"reason": reason}, headers={"cookie": cookie}, host=HOST)


def test_a_request_id_is_the_shops_so_a_reverse_reaches_only_the_member_it_was_for(pos, desk, staff_cookie):
    """Today's bug: one request_id redeemed for A and for B, then a reverse from B's desk put the
    points back on A."""
    pos(sale("S-1", "250.00"))
    pos(sale("S-2", "250.00", phone=OTHER))
    assert redeem(desk, staff_cookie, request_id="press-0000001").json()["balance"] == 150
    reused = redeem(desk, staff_cookie, request_id="press-0000001", phone=OTHER)
    assert reused.status == 409 and reused.json()["error"] == "request_id_reused", reused.body
    assert "another member" in reused.json()["message"]
    assert balance_and_sum(OTHER) == (250, 250) and [r["entry"]["S"] for r in ledger(OTHER)] == ["sale#S-2"]
    assert reverse(desk, staff_cookie, "Rpress-0000001").json()["balance"] == 250
    assert balance_and_sum() == (250, 250) and balance_and_sum(OTHER) == (250, 250)


def test_a_redemption_id_two_members_share_from_before_is_not_reversed_on_a_guess(pos, desk, staff_cookie):
    pos(sale("S-1", "250.00"))
    pos(sale("S-2", "250.00", phone=OTHER))
    for phone in (PHONE, OTHER):  # as the old code wrote them: no owner row
        client("dynamodb").put_item(TableName=LEDGER, Item={
            "phone": {"S": phone}, "entry": {"S": "redeem#Rold-0000001"}, "ref": {"S": "Rold-0000001"},
            "points_change": {"N": "-100"}, "ts": {"S": "2026-01-01T00:00:00.000Z"}})
    before = (ledger(), ledger(OTHER))
    reply = reverse(desk, staff_cookie, "Rold-0000001")
    assert reply.status == 409 and reply.json()["error"] == "ambiguous"
    assert (ledger(), ledger(OTHER)) == before


def test_reverse_puts_points_back_once_with_a_ledger_row_and_an_audit_row(pos, desk, staff_cookie):
    pos(sale("S-1", "150.00"))
    redemption = redeem(desk, staff_cookie).json()["redemption_id"]
    reply = desk.post(f"/api/redemptions/{redemption}/reverse", {"reason": "wrong member"}, headers={"cookie": staff_cookie}, host=HOST)
    assert reply.status == 200 and reply.json()["balance"] == 150
    again = desk.post(f"/api/redemptions/{redemption}/reverse", {"reason": "twice"}, headers={"cookie": staff_cookie}, host=HOST)
    assert again.status == 409 and again.json()["error"] == "already_reversed"
    assert balance_and_sum() == (150, 150)
    assert sorted(r["reason"]["S"] for r in ledger()) == ["earn", "reversed", "reward-redeem"]
    audit = client("dynamodb").query(TableName=AUDIT, KeyConditionExpression="phone = :p", ExpressionAttributeValues={":p": {"S": PHONE}})["Items"]
    assert [a["action"]["S"] for a in audit] == ["reverse"] and audit[0]["reason"]["S"] == "wrong member"
    assert desk.post("/api/redemptions/Rnope/reverse", {"reason": "x y z"}, headers={"cookie": staff_cookie}, host=HOST).status == 404
    assert desk.post(f"/api/redemptions/{redemption}/reverse", {"reason": ""}, headers={"cookie": staff_cookie}, host=HOST).status == 422


def test_a_redemption_and_its_reversal_name_who_made_them(pos, desk, sign_in, staff_account):
    """The ledger, the audit row and the desk's answers say which person did it, not "desk"."""
    ana = sign_in("loyalty-desk", email="ana@staff.example", name="Ana")
    ben = sign_in("loyalty-desk", email="ben@staff.example", name="Ben")
    ana_id, ben_id = (staff_account.directory.find(e).id for e in ("ana@staff.example", "ben@staff.example"))
    pos(sale("S-1", "150.00"))
    redeemed = redeem(desk, ana)
    assert redeemed.status == 200, redeemed.text
    answer = redeemed.json()
    assert (answer["by_staff"], answer["by_name"], answer["time_zone"]) == (ana_id, "Ana", "America/Los_Angeles")
    assert answer["at"].endswith("Z")
    reversed_ = reverse(desk, ben, answer["redemption_id"])
    assert reversed_.status == 200, reversed_.text
    assert (reversed_.json()["by_staff"], reversed_.json()["by_name"]) == (ben_id, "Ben")

    rows = {r["reason"]["S"]: r for r in ledger()}
    assert (rows["reward-redeem"]["by_staff"]["S"], rows["reward-redeem"]["by_name"]["S"]) == (ana_id, "Ana")
    assert (rows["reversed"]["by_staff"]["S"], rows["reversed"]["by_name"]["S"]) == (ben_id, "Ben")
    audit = client("dynamodb").query(TableName=AUDIT, KeyConditionExpression="phone = :p", ExpressionAttributeValues={":p": {"S": PHONE}})["Items"]
    assert [(a["by_staff"]["S"], a["by_name"]["S"]) for a in audit] == [(ben_id, "Ben")] and "by_user" not in audit[0]

    shown = lookup(desk, PHONE, ana).json()
    assert shown["time_zone"] == "America/Los_Angeles"  # the dev stack's
    [row] = shown["redemptions"]
    assert (row["by_name"], row["at"], row["reversed"]) == ("Ana", answer["at"], True)
    assert (row["reversed_by_name"], row["reversed_at"]) == ("Ben", reversed_.json()["at"])


def test_a_redeem_is_one_write(pos, desk, staff_cookie, calls):
    pos(sale("S-1", "300.00"))
    redeem(desk, staff_cookie, reward="free-drink")
    calls.clear()
    redeem(desk, staff_cookie, reward="free-drink")
    assert calls.writes() == ["TransactWriteItems"]


# -- signing up and confirming -------------------------------------------------------

@pytest.fixture
def signup(function):
    return function("loyalty-signup")


def token_from(mail, marker: str) -> str:
    return mail.body.split(marker)[1].split()[0].split('"')[0]


def test_sign_up_and_confirm(signup, sent_mail):
    reply = signup.post("/api/members", {"phone": "+65 9123 4567", "name": "Ana", "email": "Ana@Example.com"}, host=HOST)
    assert reply.status == 202 and reply.json()["received"] is True
    assert member()["opted_in"]["BOOL"] is False and member()["balance"]["N"] == "0"
    [mail] = sent_mail()
    assert mail.destinations["ToAddresses"] == ["ana@example.com"]
    token = token_from(mail, f"https://{HOST}/confirm/#t=")
    assert signup.post("/api/confirm", {"token": token}, host=HOST).status == 200
    assert member()["opted_in"]["BOOL"] is True and member()["confirmed_email"]["S"] == "ana@example.com"
    assert signup.post("/api/confirm", {"token": token[:-2] + "xx"}, host=HOST).status == 400


def test_the_confirmation_mail_carries_nothing_a_stranger_typed(signup, monkeypatch):
    """Nobody has confirmed the address yet: the mail to it has fixed wording, so the form cannot be
    used to send someone else's words (or headers) to any inbox."""
    from handlers.shared import mail

    sent = []
    monkeypatch.setattr(mail, "send", lambda **kw: sent.append(kw) or "id")
    name = "<b>Win</b>\r\nBcc: x@evil.example"
    reply = signup.post("/api/members", {"phone": PHONE, "name": name, "email": "ana@example.com"}, host=HOST)
    assert reply.status == 202
    [message] = sent
    for part in ("subject", "text", "html"):
        for piece in ("Win", "evil.example", "Bcc", "\r", "&lt;b&gt;"):
            assert piece not in message[part], (part, piece)
    assert message["subject"] == "Confirm your e-mail for Harbor Bean Café rewards" and message["from_name"] == "Harbor Bean Café"
    assert f"https://{HOST}/confirm/#t=" in message["text"]


def a_confirmed_member(signup, sent_mail) -> str:
    """Ana, signed up with her address and confirmed it: her confirmation link."""
    assert signup.post("/api/members", {"phone": PHONE, "name": "Ana Lim", "email": "ana@example.com", "texts": True},
                       host=HOST).status == 202
    token = token_from(sent_mail()[-1], f"https://{HOST}/confirm/#t=")
    assert signup.post("/api/confirm", {"token": token}, host=HOST).status == 200
    return token


def test_a_sign_up_with_a_members_number_changes_nothing_and_tells_the_member(signup, sent_mail, texts):
    """The takeover: a stranger types Ana's number with their own name and address. The answer is
    the one any sign-up gets, Ana's membership is as it was, her own link still works, and her
    confirmed address hears of it with nothing the stranger typed; the stranger's address gets nothing."""
    ana_link = a_confirmed_member(signup, sent_mail)
    before, mails_before = member(), len(sent_mail())
    fresh = signup.post("/api/members", {"phone": "+6581234567", "name": "Bo", "email": "bo@example.com"}, host=HOST)
    attempt = signup.post("/api/members", {"phone": "+65 9123-4567", "name": "Mallory", "email": "mallory@evil.example", "texts": False},
                          host=HOST)
    assert (attempt.status, attempt.json()) == (fresh.status, fresh.json())  # no "already a member" oracle
    assert member() == before
    assert signup.post("/api/confirm", {"token": ana_link}, host=HOST).status == 200
    told = [m for m in sent_mail()[mails_before:] if m.destinations["ToAddresses"] == ["ana@example.com"]]
    assert len(told) == 1 and "Mallory" not in told[0].body and "mallory" not in told[0].body
    assert "nothing changed" in told[0].body and f"https://{HOST}/points/" in told[0].body
    assert not [m for m in sent_mail() if "mallory@evil.example" in m.destinations["ToAddresses"]]
    assert not texts()  # her confirmed address is where she hears it
    for _ in range(3):  # a form sent over and over tells her once a day
        signup.post("/api/members", {"phone": PHONE, "name": "Mallory"}, host=HOST)
    assert len([m for m in sent_mail() if m.destinations["ToAddresses"] == ["ana@example.com"]]) == 2  # confirmation + one notice


def test_a_member_without_a_confirmed_address_is_told_by_text_at_their_number(signup, sent_mail, texts):
    assert signup.post("/api/members", {"phone": PHONE, "name": "Ana", "email": "ana@example.com"}, host=HOST).status == 202
    before = member()
    assert signup.post("/api/members", {"phone": PHONE, "name": "Mallory", "email": "ana@example.com"}, host=HOST).status == 202
    assert member() == before
    [(to, message)] = texts()
    assert to == PHONE and "Nothing changed" in message and "Mallory" not in message
    assert len(sent_mail()) == 1  # the unconfirmed address got its confirmation only


def test_marketing_consent_follows_a_confirmed_address_only(signup, sent_mail):
    """A member's change of address (storage.change_details: the points page or the desk) waits as
    pending until its own link is opened; the old link no longer confirms anything new."""
    from handlers.loyalty import storage, tokens

    a_confirmed_member(signup, sent_mail)
    storage.change_details(MEMBERS, PHONE, email="ana.new@example.com")
    assert member()["email"]["S"] == "ana@example.com" and member()["pending_email"]["S"] == "ana.new@example.com"
    from handlers.shared.secrets import secret_value

    key = secret_value(signup.env["MEMBER_TOKEN_KEY_SECRET"])
    stale = tokens.sign(key, "confirm", PHONE, "someone@else.example")
    assert signup.post("/api/confirm", {"token": stale}, host=HOST).status == 409
    fresh = tokens.sign(key, "confirm", PHONE, "ana.new@example.com")
    assert signup.post("/api/confirm", {"token": fresh}, host=HOST).status == 200
    assert member()["email"]["S"] == member()["confirmed_email"]["S"] == "ana.new@example.com" and "pending_email" not in member()


@pytest.mark.parametrize("body, field", [({"phone": "12345", "name": "A"}, "phone"), ({"phone": PHONE, "name": ""}, "name"),
                                         ({"phone": PHONE, "name": "A", "email": "nope"}, "email"),
                                         ({"phone": "1234567", "name": "A"}, "phone")])
def test_bad_sign_ups_name_the_field_and_write_nothing(signup, body, field):
    reply = signup.post("/api/members", body, host=HOST)
    assert reply.status == 422 and field in reply.json()["fields"] and member() == {}


def test_reward_texts_are_a_strict_yes_or_no_on_the_member(signup):
    for texts in ("yes", 1, "true", None):
        reply = signup.post("/api/members", {"phone": PHONE, "name": "Ana", "texts": texts}, host=HOST)
        assert reply.status == 422 and "texts" in reply.json()["fields"], texts
    assert member() == {}
    assert signup.post("/api/members", {"phone": PHONE, "name": "Ana", "texts": True}, host=HOST).status == 202
    assert member()["texts"]["BOOL"] is True
    assert signup.post("/api/members", {"phone": PHONE, "name": "Ana"}, host=HOST).status == 202
    assert member()["texts"]["BOOL"] is True  # the anonymous form changes no member: the points page does, with a code


def test_a_sign_up_sent_twice_mails_one_confirmation(signup, sent_mail):
    for _ in range(2):
        assert signup.post("/api/members", {"phone": "+6581234567", "name": "Bo", "email": "bo@example.com"}, host=HOST).status == 202
    assert len(sent_mail()) == 1


def test_the_sign_up_page_learns_the_reward_ladder_from_the_owners_rules(signup):
    reply = signup.get("/api/program", host=HOST)
    assert reply.status == 200
    assert reply.json() == {"points_per_dollar": "1", "minimum_spend": "3", "rewards": [
        {"name": "Free drink", "cost": 100}, {"name": "Two pastries", "cost": 180}, {"name": "Bag of house beans", "cost": 300}]}


def test_the_old_loyalty_unsubscribe_route_is_gone(signup):
    """One-click unsubscribe is the notifier's, on every site (handlers/shared/unsubscribe.py)."""
    reply = signup.request("POST", "/api/unsubscribe", query={"t": "x" * 20}, host=HOST)
    assert reply.status == 404


# -- mail in the shop's voice ----------------------------------------------------------------------

@pytest.fixture
def dispatch(function):
    return function("loyalty-email-dispatch")


def a_member(opted_in: bool, email="ana@example.com", balance=120, confirmed: bool | None = None, name="Ana Lim",
             texts: bool | None = None):
    """`confirmed`: the member tapped the confirmation link for this address (by default, when opted in)."""
    item = {"phone": {"S": PHONE}, "name": {"S": name}, "email": {"S": email}, "opted_in": {"BOOL": opted_in},
            "balance": {"N": str(balance)}, "status": {"S": "active"}, "last_seen": {"S": "2026-11-01T00:00:00Z"}}
    if not email:
        del item["email"]
    if opted_in if confirmed is None else confirmed:
        item["confirmed_email"] = {"S": email}
    if texts is not None:
        item["texts"] = {"BOOL": texts}
    client("dynamodb").put_item(TableName=MEMBERS, Item=item)


def bus_event(kind: str, event_id: str = "e1", **detail) -> dict:
    return {"version": "0", "id": event_id, "detail-type": kind, "source": "mainstreet.loyalty", "detail": {"phone": PHONE, **detail}}


def sent(outcome: str, sms: str | None = None) -> dict:
    """email-dispatch's answer when the mail's outcome is `outcome` (and the text's `sms`)."""
    return {"outcome": outcome, "channels": {"email": outcome, **({"sms": sms} if sms else {})}}


NOON_LA = datetime(2026, 7, 1, 19, 0, tzinfo=timezone.utc)  # outside the dev stack's quiet hours (21:00-08:00)
NIGHT_LA = datetime(2026, 11, 1, 5, 0, tzinfo=timezone.utc)  # 22:00 in Los Angeles, the night the clocks go back


@pytest.fixture
def daytime(monkeypatch):
    """Noon in Los Angeles: outside quiet hours."""
    monkeypatch.setattr("handlers.loyalty.email_dispatch.now_utc", lambda: NOON_LA)


@pytest.fixture
def texts():
    """The texts SNS accepted, [(phone, message)]."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.sns.models import sns_backends

    return lambda: list(sns_backends[DEFAULT_ACCOUNT_ID]["us-west-2"].sms_messages.values())


def from_name(call: dict) -> str:
    from email.header import decode_header, make_header
    from email.utils import parseaddr

    return str(make_header(decode_header(parseaddr(call["FromEmailAddress"])[0])))


def test_reward_mail_is_transactional_and_goes_even_without_marketing_consent(dispatch, sent_mail, daytime):
    a_member(opted_in=False, confirmed=True)  # confirmed the address, then opted out of marketing
    assert dispatch.invoke(bus_event("reward_earned", reward_id="free-drink", balance=120)) == sent("sent")
    [mail] = sent_mail()
    assert mail.subject == "Ana, your Free drink is ready" and "120 points" in mail.body
    assert [r["reason"]["S"] for r in ledger()] == ["mail:reward_earned"] and ledger()[0]["points_change"]["N"] == "0"
    assert dispatch.invoke(bus_event("reward_earned", reward_id="free-drink", balance=120)) == sent("sent_before")  # redelivered
    assert len(sent_mail()) == 1 and len(ledger()) == 1


POINTS_FOOTER = "\n\nYour points, rewards and visits"  # the member's personal link, under the letter


def test_reward_mail_is_from_the_cafe_by_name_and_signed_with_it(dispatch, ses_calls, daytime):
    """The café's mail is not signed by the charter company (the stack's businessName)."""
    a_member(opted_in=False, confirmed=True)
    dispatch.invoke(bus_event("reward_earned", reward_id="free-drink", balance=120))
    [call] = ses_calls
    assert from_name(call) == "Harbor Bean Café" and call["FromEmailAddress"].endswith("<hello@dev.mainstreet.example>")
    body = call["Content"]["Simple"]["Body"]
    letter, footer = body["Text"]["Data"].split(POINTS_FOOTER)
    assert letter.rstrip().endswith("See you soon,\nHarbor Bean Café") and "/points/#t=" in footer
    assert "Harbor Bean Café" in body["Html"]["Data"] and "Queen of San Diego" not in body["Text"]["Data"] + body["Html"]["Data"]
    assert "Headers" not in call["Content"]["Simple"]  # transactional: no unsubscribe


def test_an_owners_voice_without_the_shops_name_is_signed_by_the_template(dispatch, ses_calls, daytime, monkeypatch):
    client("s3").put_object(Bucket=RULES_BUCKET, Key="voice.txt", Body=b"[reward_earned]\nsubject: Yours: {reward_name}\nEnjoy it.\n")
    from handlers.loyalty import rulebook

    monkeypatch.setattr(rulebook, "_state", {})  # read afresh, and forgotten after this test
    a_member(opted_in=False, confirmed=True)
    dispatch.invoke(bus_event("reward_earned", reward_id="free-drink", balance=120))
    [call] = ses_calls
    assert call["Content"]["Simple"]["Body"]["Text"]["Data"].split(POINTS_FOOTER)[0].strip() == "Enjoy it.\n\nHarbor Bean Café"


def test_a_reward_is_texted_only_to_members_who_asked_for_reward_texts(dispatch, sent_mail, texts, daytime):
    a_member(opted_in=False, confirmed=True, texts=False)
    assert dispatch.invoke(bus_event("reward_earned", reward_id="free-drink")) == sent("sent")
    assert texts() == []
    a_member(opted_in=False, confirmed=True, texts=True)
    assert dispatch.invoke(bus_event("reward_earned", "e2", reward_id="free-drink")) == sent("sent", "sent")
    [(phone, message)] = texts()
    assert phone == PHONE and message == "Harbor Bean Café: Ana, your Free drink is ready"
    a_member(opted_in=False, email="", texts=True)  # no address: the text alone
    assert dispatch.invoke(bus_event("reward_earned", "e3", reward_id="free-drink")) == {"outcome": "sent", "channels": {"sms": "sent"}}
    a_member(opted_in=True, texts=True)  # reward texts are not marketing texts
    assert dispatch.invoke(bus_event("nightly_email", "e4")) == sent("sent")
    assert len(texts()) == 2


def test_reward_mail_to_an_address_nobody_confirmed_carries_no_name_from_the_form(dispatch, sent_mail, daytime, signup):
    """Sign-up is anonymous: until the address's owner taps the confirmation link, mail to it does
    not repeat what the form was given."""
    a_member(opted_in=False, name="<b>Win</b> Bcc: x@evil.example")
    assert dispatch.invoke(bus_event("reward_earned", reward_id="free-drink", balance=120)) == sent("sent")
    [mail] = sent_mail()
    assert mail.subject == "There, your Free drink is ready" and "Hi there," in mail.body
    assert "Win" not in mail.subject + mail.body and "evil" not in mail.subject + mail.body
    from handlers.loyalty import tokens
    from handlers.shared.secrets import secret_value

    token = tokens.sign(secret_value(signup.env["MEMBER_TOKEN_KEY_SECRET"]), "confirm", PHONE, "ana@example.com")
    assert signup.post("/api/confirm", {"token": token}, host=HOST).status == 200
    assert member()["confirmed_email"]["S"] == "ana@example.com"
    assert dispatch.invoke(bus_event("reward_earned", "e2", reward_id="free-drink", balance=120)) == sent("sent")
    assert sent_mail()[1].subject == "<b>Win</b>, your Free drink is ready"  # their own words, to their own inbox


def test_marketing_mail_waits_for_the_members_confirmation(dispatch, sent_mail, daytime):
    """Consent to marketing is loyalty's own: the confirmation link (the notifier only takes it away)."""
    a_member(opted_in=False)
    assert dispatch.invoke(bus_event("nightly_email")) == {"outcome": "not_opted_in"}
    assert dispatch.invoke(bus_event("winback_nudge")) == {"outcome": "not_opted_in"}
    assert sent_mail() == []


def unsubscribe_link(call: dict) -> str:
    """The one-click URL of a mail's List-Unsubscribe header (RFC 8058), its page in the mail's own words."""
    import re

    headers = {h["Name"]: h["Value"] for h in call["Content"]["Simple"]["Headers"]}
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    match = re.fullmatch(r"<(https://[^/]+/api/unsubscribe\?t=([A-Za-z0-9_.-]+))>", headers["List-Unsubscribe"])
    assert match, headers
    body = call["Content"]["Simple"]["Body"]
    assert f"/unsubscribe/#t={match.group(2)}" in body["Text"]["Data"] and f"/unsubscribe/#t={match.group(2)}" in body["Html"]["Data"]
    return match.group(2)


def test_a_nightly_mail_carries_one_click_unsubscribe_that_stops_marketing_but_not_rewards(dispatch, function, ses_calls, sent_mail,
                                                                                            daytime):
    a_member(opted_in=True)
    assert dispatch.invoke(bus_event("nightly_email")) == sent("sent")
    [nightly] = ses_calls
    assert "120 points; 60 more for a Two pastries" in nightly["Content"]["Simple"]["Body"]["Text"]["Data"]
    token = unsubscribe_link(nightly)
    answer = function("notify-unsubscribe").post("/api/unsubscribe", query=f"t={token}", body="List-Unsubscribe=One-Click",
                                                 headers={"content-type": "application/x-www-form-urlencoded"})
    assert answer.status == 200 and answer.json() == {"unsubscribed": True, "from": "Harbor Bean Café"}
    assert dispatch.invoke(bus_event("nightly_email", "e2")) == sent("suppressed")
    assert dispatch.invoke(bus_event("winback_nudge", "e3")) == sent("suppressed")
    assert dispatch.invoke(bus_event("reward_earned", "e4", reward_id="free-drink")) == sent("sent")  # transactional still goes
    assert [m.subject for m in sent_mail()] == ["Your points today: 120", "Ana, your Free drink is ready"]
    assert sorted(r["reason"]["S"] for r in ledger()) == ["mail:nightly_balance", "mail:reward_earned"]  # what went


def test_marketing_mail_in_quiet_hours_is_held_by_the_notifier_until_eight(dispatch, function, sent_mail, monkeypatch):
    a_member(opted_in=True)
    monkeypatch.setattr("handlers.loyalty.email_dispatch.now_utc", lambda: NIGHT_LA)
    assert dispatch.invoke(bus_event("winback_nudge")) == sent("deferred")
    assert dispatch.invoke(bus_event("winback_nudge")) == sent("deferred")  # redelivered: the same schedule
    assert sent_mail() == []
    [schedule] = client("scheduler").list_schedules()["Schedules"]
    assert schedule["Name"].startswith("mainstreet-dev-notify-defer")
    detail = client("scheduler").get_schedule(Name=schedule["Name"])
    assert detail["ScheduleExpression"] == "at(2026-11-01T08:00:00)"
    assert detail["ScheduleExpressionTimezone"] == "America/Los_Angeles" and detail["ActionAfterCompletion"] == "DELETE"
    assert detail["Target"]["Arn"].endswith(":function:mainstreet-dev-notify-events")
    assert function("notify-events").invoke(json.loads(detail["Target"]["Input"])) == {"outcome": "sent"}  # 08:00
    [mail] = sent_mail()
    assert mail.subject == "We miss you, Ana" and mail.destinations["ToAddresses"] == ["ana@example.com"]


def test_transactional_mail_ignores_quiet_hours(dispatch, sent_mail, monkeypatch):
    a_member(opted_in=False, confirmed=True)
    monkeypatch.setattr("handlers.loyalty.email_dispatch.now_utc", lambda: NIGHT_LA)
    assert dispatch.invoke(bus_event("reward_earned", reward_id="free-drink"))["outcome"] == "sent"
    [mail] = sent_mail()  # sent now, not deferred to the end of quiet hours
    assert mail.destinations["ToAddresses"] == ["ana@example.com"] and mail.subject == "Ana, your Free drink is ready"
    assert client("scheduler").list_schedules()["Schedules"] == []


def test_an_address_that_bounced_gets_no_loyalty_mail(dispatch, function, sent_mail, daytime):
    """Bounces reach the notifier's suppression list (tests/handlers/test_notify.py has every source)."""
    from ops.local import channel_events

    a_member(opted_in=True)
    notice = channel_events.ses_notice("Bounce", to=["ana@example.com"], source="hello@dev.mainstreet.example", message_id="m")
    function("notify-events").invoke(channel_events.sns_event("arn:aws:sns:us-west-2:123456789012:mainstreet-dev-mailer-events", notice))
    assert dispatch.invoke(bus_event("reward_earned", reward_id="free-drink")) == sent("suppressed")
    assert dispatch.invoke(bus_event("nightly_email", "e2")) == sent("suppressed")
    assert sent_mail() == [] and ledger() == []


# -- the schedules ---------------------------------------------------------------------------

def test_nightly_balance_queues_a_mail_for_each_member_whose_balance_changed_today(pos, function, monkeypatch):
    pos(sale("S-1", "10.00"))
    pos(sale("S-2", "10.00", phone="+6598765432"))
    assert pos(sale("S-3", "2.00", phone="+6591111111")).json()["decision"] == "ignore"  # no change
    put = []
    from handlers.shared.aws import client as make_client

    events = make_client("events")
    monkeypatch.setattr(events, "put_events", lambda **kw: put.extend(kw["Entries"]) or {"FailedEntryCount": 0, "Entries": []})
    result = function("loyalty-nightly-balance").invoke({"schedule": "loyalty-nightly-balance"})
    assert result["members"] == 2
    assert sorted(json.loads(e["Detail"])["phone"] for e in put) == ["+6591234567", "+6598765432"]
    assert {e["DetailType"] for e in put} == {"nightly_email"}


def test_the_lapsing_sweep_nudges_regulars_who_stopped_coming_at_most_max_nudges_times(function):
    for phone, visits, seen in (("+6510000001", 5, "2026-01-01T00:00:00Z"), ("+6510000002", 1, "2026-01-01T00:00:00Z"),
                                ("+6510000003", 5, "2099-01-01T00:00:00Z")):
        client("dynamodb").put_item(TableName=MEMBERS, Item={"phone": {"S": phone}, "status": {"S": "active"}, "last_seen": {"S": seen},
                                                             "visit_count": {"N": str(visits)}, "balance": {"N": "0"}})
    sweep = function("loyalty-lapsing-sweep")
    assert sweep.invoke({}) == {"nudged": 1}  # only the regular who stayed away
    assert sweep.invoke({}) == {"nudged": 0}  # lapsing now: not nudged again until they come back
    for _ in range(3):
        client("dynamodb").update_item(TableName=MEMBERS, Key={"phone": {"S": "+6510000001"}}, UpdateExpression="SET #s = :a",
                                       ExpressionAttributeNames={"#s": "status"}, ExpressionAttributeValues={":a": {"S": "active"}})
        sweep.invoke({})
    nudges = int(member("+6510000001")["nudge_count"]["N"])
    assert nudges == 2  # loyaltyMaxNudges


def test_the_monthly_summary_writes_from_the_template_when_bedrock_is_off(pos, function, sent_mail):
    pos(sale("S-1", "150.00"))
    day = datetime.now(timezone.utc).astimezone().date()
    next_month = (day.replace(day=28) + __import__("datetime").timedelta(days=5)).replace(day=3)
    result = function("loyalty-summary").invoke({"today": next_month.isoformat()})
    assert result["author"] == "template" and result["sales_credited"] == 1 and result["points_earned"] == 150
    assert result["mail"] == "sent"
    [mail] = sent_mail()
    assert mail.destinations["ToAddresses"] == ["owner@example.com"] and "1 sale earned 150 points" in mail.body
    assert "Harbor Bean Café" in mail.body and "Queen of San Diego" not in mail.body
    assert function("loyalty-summary").invoke({"today": next_month.isoformat()})["mail"] == "sent_before"  # a retry: one mail
    assert len(sent_mail()) == 1


def test_the_summary_asks_haiku_through_converse_when_bedrock_is_on(pos, function, sent_mail, monkeypatch):
    summary = function("loyalty-summary")
    summary.module.settings = summary.module.settings.replace(bedrock_model="global.anthropic.claude-haiku-4-5-20251001-v1:0")
    asked = []

    class FakeBedrock:
        def converse(self, **kw):
            asked.append(kw)
            return {"output": {"message": {"content": [{"text": "A fine month."}]}}}

    monkeypatch.setattr(summary.module, "client", lambda service: FakeBedrock() if service == "bedrock-runtime" else client(service))
    result = summary.invoke({"today": "2026-12-07"})
    assert result["author"] == "bedrock" and asked[0]["modelId"].startswith("global.anthropic.claude-haiku-4-5")
    assert "A fine month.</p>" in sent_mail()[0].body


def test_the_daily_backup_writes_members_and_ledger(pos, function):
    pos(sale("S-1", "10.00"))
    result = function("loyalty-drive-sync").invoke({"task": "backup"})
    assert result["members"] == 1 and result["ledger"] == 2  # the sale's row and its id's owner row
    keys = [o["Key"] for o in client("s3").list_objects_v2(Bucket="mainstreet-dev-loyalty-backups-123456789012")["Contents"]]
    assert sorted(k.split("/")[0] for k in keys) == ["ledger", "members"]


def test_drive_sync_is_off_unless_configured(function):
    assert function("loyalty-drive-sync").invoke({"task": "sync"}) == {"synced": [], "why": "Drive is not configured"}


@pytest.mark.iam_unchecked(reason="the dev stack configures no Drive sync, so it declares and grants no drive-sa secret: "
                           "the test patches the setting in; tests/ops/test_iam_eval.py replays these calls on a "
                           "stack configured with Drive")
def test_drive_sync_exports_the_owners_docs_into_the_rules_bucket_when_they_changed(function, monkeypatch):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    account = {"client_email": "sync@shop.iam.gserviceaccount.com", "token_uri": "https://oauth2.example/token",
               "private_key": key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                serialization.NoEncryption()).decode()}
    client("ssm").put_parameter(Name="/mainstreet/dev/drive-sa", Value=json.dumps(account), Type="SecureString")
    sync = function("loyalty-drive-sync")
    sync.module.settings = sync.module.settings.replace(drive_files=json.dumps({"rules.txt": "DOC-RULES"}),
                                                        drive_secret="/mainstreet/dev/drive-sa")
    new_rules = (sync.module.__file__.rsplit("/", 1)[0] + "/defaults/rules.txt")
    exported = open(new_rules, "rb").read().replace(b"points per dollar: 1", b"points per dollar: 2")
    requests = []

    def fake_http(url, data=None, headers=None):
        requests.append((url, headers or {}))
        if url == account["token_uri"]:
            assertion = dict(pair.split("=", 1) for pair in data.decode().split("&"))["assertion"]
            assert assertion.count(".") == 2  # a signed JWT
            return json.dumps({"access_token": "drive-token"}).encode()
        assert url.endswith("/files/DOC-RULES/export?mimeType=text/plain") and headers["Authorization"] == "Bearer drive-token"
        return exported

    monkeypatch.setattr(sync.module, "http", fake_http)
    assert sync.invoke({"task": "sync"}) == {"synced": ["rules.txt"]}
    assert client("s3").get_object(Bucket=RULES_BUCKET, Key="rules.txt")["Body"].read() == exported
    assert sync.invoke({"task": "sync"}) == {"synced": []}  # unchanged: not written again
