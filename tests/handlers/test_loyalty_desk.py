"""The desk beyond redeeming: held sales released or rejected once, a customer enrolled at the
counter, details corrected with a name on the audit row, the owner's adjustments, the history in
words, and the owner's daily digest of sales waiting."""

from __future__ import annotations

import pytest

from handlers.shared.aws import client
from tests.handlers.test_loyalty import (AUDIT, HOST, PHONE, REVIEW, balance_and_sum, desk, ledger, member, pos,  # noqa: F401
                                         sale, texts)

OTHER = "+6598765432"


@pytest.fixture
def ana(sign_in):
    return sign_in("loyalty-desk", email="ana@staff.example", name="Ana")


@pytest.fixture
def owner(staff_cookie):
    return staff_cookie


def post(desk, path, body, cookie):
    return desk.post(path, body, headers={"cookie": cookie}, host=HOST)


def audit(phone: str = PHONE) -> list[dict]:
    items = client("dynamodb").query(TableName=AUDIT, KeyConditionExpression="phone = :p",
                                     ExpressionAttributeValues={":p": {"S": phone}}, ConsistentRead=True)["Items"]
    return [{k: next(iter(v.values())) for k, v in i.items()} for i in items]


def held_sale(pos, sale_id="S-BIG", total="450.00", phone=PHONE):
    assert pos(sale(sale_id, total, phone=phone)).json()["decision"] == "hold_for_review"


# -- held sales --------------------------------------------------------------------------------

def test_the_desk_lists_held_sales_with_the_reason_and_the_points(pos, desk, ana):
    held_sale(pos)
    pos(sale("S-OK", "20.00"))  # credited at once: not held
    reply = desk.get("/api/held", headers={"cookie": ana}, host=HOST)
    assert reply.status == 200
    [held] = reply.json()["held"]
    assert held["member_id"] == PHONE and held["sale_id"] == "S-BIG" and held["points"] == 450 and held["total"] == "450.00"
    assert held["reason"] == "The sale's total is over $400"


def test_release_credits_the_held_points_once_naming_the_sale_and_who(pos, desk, ana):
    held_sale(pos)
    first = post(desk, "/api/held/release", {"member_id": PHONE, "sale_id": "S-BIG"}, ana)
    assert first.status == 200 and first.json()["points"] == 450 and first.json()["by_name"] == "Ana"
    again = post(desk, "/api/held/release", {"member_id": PHONE, "sale_id": "S-BIG"}, ana)  # a double-click, another desk
    assert again.status == 409 and again.json()["error"] == "already_released" and "by Ana" in again.json()["message"]
    assert post(desk, "/api/held/reject", {"member_id": PHONE, "sale_id": "S-BIG", "reason": "too late"}, ana).status == 409
    assert balance_and_sum() == (450, 450)
    [row] = [r for r in ledger() if r["entry"]["S"].startswith("release#")]
    assert row["sale_id"]["S"] == "S-BIG" and row["by_name"]["S"] == "Ana" and row["points_change"]["N"] == "450"
    assert [a["action"] for a in audit()] == ["release"]
    assert desk.get("/api/held", headers={"cookie": ana}, host=HOST).json()["held"] == []


def test_a_released_sale_that_crosses_a_reward_tells_the_member(pos, desk, ana, monkeypatch):
    sent = []
    monkeypatch.setattr(desk.module, "emit", lambda kind, detail: sent.append((kind, detail)))
    held_sale(pos)
    post(desk, "/api/held/release", {"member_id": PHONE, "sale_id": "S-BIG"}, ana)
    assert sent == [("reward_earned", {"phone": PHONE, "reward_id": "beans-bag", "balance": 450})]


def test_reject_writes_no_points_and_says_who_and_why(pos, desk, ana):
    held_sale(pos)
    reply = post(desk, "/api/held/reject", {"member_id": PHONE, "sale_id": "S-BIG", "reason": "staff discount sale"}, ana)
    assert reply.status == 200
    assert balance_and_sum() == (0, 0)
    [row] = audit()
    assert (row["action"], row["reason"], row["by_name"]) == ("reject", "staff discount sale", "Ana")
    review = client("dynamodb").get_item(TableName=REVIEW, Key={"phone": {"S": PHONE}, "sale_id": {"S": "S-BIG"}})["Item"]
    assert review["status"]["S"] == "rejected" and review["decided_by_name"]["S"] == "Ana"
    again = post(desk, "/api/held/release", {"member_id": PHONE, "sale_id": "S-BIG"}, ana)
    assert again.status == 409 and again.json()["error"] == "already_rejected"


def test_an_unknown_held_sale_is_404_and_bad_bodies_write_nothing(pos, desk, ana):
    held_sale(pos)
    assert post(desk, "/api/held/release", {"member_id": PHONE, "sale_id": "S-NONE"}, ana).status == 404
    assert post(desk, "/api/held/release", {"member_id": OTHER, "sale_id": "S-BIG"}, ana).status == 404  # another member's id
    bad = post(desk, "/api/held/reject", {"member_id": PHONE, "sale_id": "S-BIG", "reason": ""}, ana)
    assert bad.status == 422 and "reason" in bad.json()["fields"]
    assert desk.request("POST", "/api/held/release", body=b"{not json", headers={"cookie": ana, "content-type": "application/json"},
                        host=HOST).status == 400
    assert balance_and_sum() == (0, 0) and audit() == []


def test_only_desk_staff_and_the_owner_see_held_sales(desk, sign_in):
    dispatcher = sign_in("dispatch")
    assert desk.get("/api/held", headers={"cookie": dispatcher}, host=HOST).status == 403
    assert desk.get("/api/held", host=HOST).status == 401


# -- the owner's digest ------------------------------------------------------------------------

def test_the_owner_hears_of_waiting_sales_once_a_day_and_not_when_none_wait(pos, function, sent_mail):
    summary = function("loyalty-summary")
    assert summary.invoke({"task": "held-digest", "today": "2026-11-23"})["waiting"] == 0
    assert sent_mail() == []
    held_sale(pos)
    held_sale(pos, "S-BIG2", "460.00")
    assert summary.invoke({"task": "held-digest", "today": "2026-11-23"})["waiting"] == 2
    summary.invoke({"task": "held-digest", "today": "2026-11-23"})  # a retry: nothing more
    [digest] = sent_mail()
    assert digest.subject == "2 sales waiting for your review" and "/desk/" in digest.body and "910 points" in digest.body
    summary.invoke({"task": "held-digest", "today": "2026-11-24"})
    assert len(sent_mail()) == 2


# -- enrolment at the counter --------------------------------------------------------------------

def enrol(desk, cookie, request_id="enrol-0000001", **fields):
    body = {"phone": "(415) 555-0188", "name": "Cy", "texts": False, "consent": True, "request_id": request_id, **fields}
    return post(desk, "/api/members/enrol", body, cookie)


def test_a_customer_is_enrolled_at_the_counter_once_with_who_enrolled_them(desk, ana, sent_mail):
    first = enrol(desk, ana, email="cy@example.com")
    assert first.status == 201 and first.json()["member_id"] == "+14155550188"
    assert enrol(desk, ana, email="cy@example.com").status == 201  # the same press again: the same answer
    made = member("+14155550188")
    assert made["name"]["S"] == "Cy" and made["enrolled_by"]["S"] == "Ana" and made["balance"]["N"] == "0"
    assert [a["action"] for a in audit("+14155550188")] == ["enrol"]
    [confirm] = sent_mail()  # the address confirms itself before anything else goes to it
    assert confirm.destinations["ToAddresses"] == ["cy@example.com"] and "/confirm/#t=" in confirm.body
    again = enrol(desk, ana, request_id="enrol-0000002", name="Someone")
    assert again.status == 409 and again.json()["error"] == "already_member"
    assert member("+14155550188")["name"]["S"] == "Cy"


@pytest.mark.parametrize("fields, field", [({"consent": False}, "consent"), ({"phone": "12"}, "phone"), ({"name": " "}, "name"),
                                           ({"email": "nope"}, "email"), ({"texts": "yes"}, "texts")])
def test_enrolment_needs_the_customers_consent_and_good_fields(desk, ana, fields, field):
    reply = enrol(desk, ana, **fields)
    assert reply.status == 422 and field in reply.json()["fields"], reply.json()
    assert member("+14155550188") == {}


# -- details, adjustments, history ---------------------------------------------------------------

def test_staff_change_details_at_the_desk_and_a_new_address_waits_for_its_link(pos, desk, ana, sent_mail):
    pos(sale("S-1", "20.00"))
    reply = post(desk, "/api/members/details", {"phone": PHONE, "name": "Ana Lim", "email": "ana.lim@example.com", "texts": True}, ana)
    assert reply.status == 200 and reply.json()["pending_email"] == "ana.lim@example.com"
    found = member()
    assert found["name"]["S"] == "Ana Lim" and found["texts"]["BOOL"] is True and "email" not in found
    [row] = audit()
    assert row["action"] == "details" and row["by_name"] == "Ana" and row["changed"] == "name,texts,email"
    [confirm] = sent_mail()
    assert confirm.destinations["ToAddresses"] == ["ana.lim@example.com"]
    assert post(desk, "/api/members/details", {"phone": OTHER, "name": "X"}, ana).status == 404


def test_the_owner_adjusts_points_once_per_press_and_never_below_zero(pos, desk, ana, owner):
    pos(sale("S-1", "50.00"))
    body = {"phone": PHONE, "points": 25, "reason": "coffee spilled", "request_id": "adjust-000001"}
    assert post(desk, "/api/members/adjust", body, ana).status == 403  # desk staff may not
    first = post(desk, "/api/members/adjust", body, owner)
    assert first.status == 200 and first.json()["balance"] == 75
    again = post(desk, "/api/members/adjust", body, owner)
    assert again.status == 409 and again.json()["error"] == "already_adjusted"
    too_far = post(desk, "/api/members/adjust", {**body, "points": -100, "request_id": "adjust-000002"}, owner)
    assert too_far.status == 409 and too_far.json()["error"] == "insufficient_points"
    assert post(desk, "/api/members/adjust", {**body, "points": -75, "request_id": "adjust-000003"}, owner).json()["balance"] == 0
    assert balance_and_sum() == (0, 0)
    assert [a["action"] for a in audit()] == ["adjust", "adjust"] and {a["by_name"] for a in audit()} == {"Olive Owner"}
    for points in (0, "5", 1.5, 100000):
        reply = post(desk, "/api/members/adjust", {**body, "points": points, "request_id": "adjust-000009"}, owner)
        assert reply.status == 422 and "points" in reply.json()["fields"], points
    assert post(desk, "/api/members/adjust", {**body, "phone": OTHER, "request_id": "adjust-000010"}, owner).status == 404


def test_the_history_says_what_happened_and_who_did_it_in_words(pos, desk, ana, owner):
    pos(sale("S-1", "150.00"))
    held_sale(pos)
    post(desk, "/api/redeem", {"phone": PHONE, "reward_id": "free-drink", "request_id": "press-0000001"}, ana)
    post(desk, "/api/held/release", {"member_id": PHONE, "sale_id": "S-BIG"}, ana)
    post(desk, "/api/members/adjust", {"phone": PHONE, "points": -5, "reason": "double scan", "request_id": "adjust-000001"}, owner)
    history = desk.post("/api/members/lookup", {"phone": PHONE}, headers={"cookie": ana}, host=HOST).json()["history"]
    words = [h["what"] for h in history]
    assert words[:3] == ["Adjusted by Olive Owner: double scan", "Held sale S-BIG released by Ana", "Free drink — redeemed by Ana"]
    assert set(words[3:]) == {"Visit — held for review", "Visit", "Joined"}
    assert [h["points"] for h in history[:3]] == [-5, 450, -100]
    assert not any("free-drink" in w or "#" in w for w in words)


def test_a_new_number_moves_the_whole_membership_and_the_till_may_still_use_the_old_one(pos, desk, ana):
    pos(sale("S-1", "150.00"))
    moved = post(desk, "/api/members/details", {"phone": PHONE, "new_phone": OTHER, "reason": "new phone"}, ana)
    assert moved.status == 200 and moved.json()["member_id"] == OTHER and moved.json()["changed"] == ["phone"]
    assert balance_and_sum(PHONE) == (0, 0) and balance_and_sum(OTHER) == (150, 150)
    assert member(PHONE)["status"]["S"] == "moved" and member(OTHER)["moved_from"]["S"] == PHONE
    assert member(OTHER)["visit_count"]["N"] == "1"
    [row] = audit()
    assert (row["action"], row["moved_to"], row["by_name"], row["reason"]) == ("move", OTHER, "Ana", "new phone")
    assert pos(sale("S-2", "20.00")).json()["member_id"] == OTHER  # the old number at the till credits the new one
    assert balance_and_sum(OTHER) == (170, 170) and balance_and_sum(PHONE) == (0, 0)
    found = desk.post("/api/members/lookup", {"phone": PHONE}, headers={"cookie": ana}, host=HOST).json()
    assert found["member_id"] == OTHER and found["balance"] == 170
    assert "Moved from +65 9123 4567 by Ana: new phone" in [h["what"] for h in found["history"]]


def test_a_move_to_a_number_that_is_a_member_is_refused_and_changes_nothing(pos, desk, ana):
    pos(sale("S-1", "150.00"))
    pos(sale("S-2", "30.00", phone=OTHER))
    refused = post(desk, "/api/members/details", {"phone": PHONE, "new_phone": OTHER, "reason": "new phone"}, ana)
    assert refused.status == 409 and refused.json()["error"] == "number_taken"
    assert balance_and_sum(PHONE) == (150, 150) and balance_and_sum(OTHER) == (30, 30) and audit() == []
    for body, field in (({"new_phone": OTHER}, "reason"), ({"new_phone": PHONE, "reason": "same"}, "new_phone")):
        reply = post(desk, "/api/members/details", {"phone": PHONE, **body}, ana)
        assert reply.status == 422 and field in reply.json()["fields"], reply.json()


def test_after_a_move_every_desk_action_on_the_old_number_reaches_the_member_where_they_are_now(pos, desk, ana, owner):
    """A desk screen older than the move, a held sale from before it, a redemption to reverse."""
    pos(sale("S-1", "250.00"))
    held_sale(pos)
    redeemed = post(desk, "/api/redeem", {"phone": PHONE, "reward_id": "free-drink", "request_id": "press-0000001"}, ana).json()
    done_before = post(desk, "/api/redeem", {"phone": PHONE, "reward_id": "free-drink", "request_id": "press-0000002"}, ana).json()
    assert desk.post(f"/api/redemptions/{done_before['redemption_id']}/reverse", {"reason": "wrong"}, headers={"cookie": ana},
                     host=HOST).status == 200
    assert post(desk, "/api/members/details", {"phone": PHONE, "new_phone": OTHER, "reason": "new phone"}, ana).status == 200
    assert balance_and_sum(OTHER) == (150, 150)

    again = post(desk, "/api/redeem", {"phone": PHONE, "reward_id": "free-drink", "request_id": "press-0000003"}, ana)
    assert again.status == 200 and again.json()["balance"] == 50
    reversed_ = desk.post(f"/api/redemptions/{redeemed['redemption_id']}/reverse", {"reason": "wrong"}, headers={"cookie": ana}, host=HOST)
    assert reversed_.status == 200 and reversed_.json()["balance"] == 150
    twice = desk.post(f"/api/redemptions/{done_before['redemption_id']}/reverse", {"reason": "wrong"}, headers={"cookie": ana}, host=HOST)
    assert twice.status == 409 and twice.json()["error"] == "already_reversed"  # reversed on the old number, before the move
    assert post(desk, "/api/held/release", {"member_id": PHONE, "sale_id": "S-BIG"}, ana).json()["balance"] == 600
    adjusted = post(desk, "/api/members/adjust", {"phone": PHONE, "points": 5, "reason": "sorry", "request_id": "adjust-000001"}, owner)
    assert adjusted.json() == {**adjusted.json(), "member_id": OTHER, "balance": 605}
    assert balance_and_sum(PHONE) == (0, 0) and balance_and_sum(OTHER) == (605, 605)


def test_a_moved_number_gets_no_mail_no_code_and_no_page(pos, desk, ana, function, sent_mail, texts):
    from tests.handlers.test_loyalty import bus_event

    pos(sale("S-1", "20.00"))
    post(desk, "/api/members/details", {"phone": PHONE, "new_phone": OTHER, "reason": "new phone"}, ana)
    assert function("loyalty-email-dispatch").invoke(bus_event("nightly_email", balance=0))["outcome"] == "moved"
    points = function("loyalty-points")
    assert points.post("/api/points/code", {"phone": PHONE}, host=HOST).status == 202
    assert texts() == [] and sent_mail() == []
