"""My points: a member proves the number is theirs with a one-time code (or a balance mail's
personal link) and sees their own points; the page never says who is a member before the code."""

from __future__ import annotations

import re

import pytest

from handlers.shared.aws import client
from tests.handlers.test_loyalty import (HOST, MEMBERS, PHONE, a_member, bus_event, daytime, dispatch, member,  # noqa: F401
                                         pos, sale, texts)

CODES = "mainstreet-dev-loyalty-codes"
STRANGER = "+6581110000"
T0 = 1_795_000_000 - 1_795_000_000 % 3600 + 60  # a minute into a clock hour


@pytest.fixture
def points(function, monkeypatch):
    fn = function("loyalty-points")
    clock = {"now": T0}
    monkeypatch.setattr(fn.module, "now_s", lambda: clock["now"])
    fn.clock = clock
    return fn


def ask(points, phone=PHONE):
    return points.post("/api/points/code", {"phone": phone}, host=HOST)


def verify(points, code, phone=PHONE):
    return points.post("/api/points/verify", {"phone": phone, "code": code}, host=HOST)


def code_in(message: str) -> str:
    return re.search(r"\b(\d{6})\b", message).group(1)


def texted_code(texts) -> str:
    return code_in(texts()[-1][1])


def codes_rows() -> list[dict]:
    return client("dynamodb").scan(TableName=CODES)["Items"]


def test_the_answer_is_the_same_for_a_member_and_a_stranger_and_only_the_member_gets_a_code(points, texts, sent_mail):
    a_member(opted_in=True)
    for_member, for_stranger = ask(points), ask(points, STRANGER)
    assert for_member.status == for_stranger.status == 202 and for_member.json() == for_stranger.json()
    [(to, message)] = texts()
    assert to == PHONE and "It works once, for 10 minutes" in message
    assert sent_mail() == []  # the text is the code's way when the stack has texts
    assert not [r for r in codes_rows() if r["key"]["S"] == f"CODE#{STRANGER}"]


def test_the_right_code_opens_the_members_own_points_once(points, pos, texts):
    pos(sale("S-1", "130.00"))
    client("dynamodb").update_item(TableName=MEMBERS, Key={"phone": {"S": PHONE}}, UpdateExpression="SET #n = :n",
                                   ExpressionAttributeNames={"#n": "name"}, ExpressionAttributeValues={":n": {"S": "Ana"}})
    ask(points)
    code = texted_code(texts)
    opened = verify(points, code)
    assert opened.status == 200, opened.body
    seen = opened.json()["member"]
    assert seen["balance"] == 130 and seen["tier"] == "Free drink" and seen["phone"] == "+65 9123 4567"
    assert seen["next_reward"] == {"name": "Two pastries", "needed": 50}
    assert [(r["name"], r["claimable"], r["needed"]) for r in seen["rewards"]] == [
        ("Free drink", True, 0), ("Two pastries", False, 50), ("Bag of house beans", False, 170)]
    [visit] = seen["visits"]
    assert visit["points"] == 130 and not visit["held"] and re.fullmatch(r"\d{4}-\d{2}-\d{2}", visit["day"])
    assert "free-drink" not in opened.text and "S-1" not in opened.text  # words, not internal ids
    again = verify(points, code)
    assert again.status == 401 and again.json()["error"] == "code_wrong"  # used once
    me = points.post("/api/points/me", {"token": opened.json()["token"]}, host=HOST)
    assert me.status == 200 and me.json()["member"]["balance"] == 130


def test_a_code_expires_after_ten_minutes(points, texts):
    a_member(opted_in=True)
    ask(points)
    points.clock["now"] = T0 + 601
    assert verify(points, texted_code(texts)).status == 401


def test_five_wrong_codes_an_hour_then_not_even_the_right_one(points, texts):
    a_member(opted_in=True)
    ask(points)
    code = texted_code(texts)
    wrong = f"{(int(code) + 1) % 10 ** 6:06d}"
    for _ in range(5):
        assert verify(points, wrong).status == 401
    refused = verify(points, code)
    assert refused.status == 429 and refused.json()["error"] == "too_many_wrong_codes" and "Retry-After" in refused.headers
    points.clock["now"] = T0 + 3600  # the next hour; the code is gone by now, a new one works
    ask(points)
    assert verify(points, texted_code(texts)).status == 200


def test_a_right_code_is_not_counted_as_a_wrong_one(points, texts):
    a_member(opted_in=True)
    for n in range(5):
        points.clock["now"] = T0 + n * 40  # past the double-press window each time
        ask(points)
        assert verify(points, texted_code(texts)).status == 200


def test_codes_asked_for_are_limited_for_members_and_strangers_alike(points, texts):
    a_member(opted_in=True)
    for phone in (PHONE, STRANGER):
        for n in range(5):
            points.clock["now"] = T0 + n * 40
            assert ask(points, phone).status == 202
        limited = ask(points, phone)
        assert limited.status == 429 and limited.json()["error"] == "too_many_codes"
    assert len(texts()) == 5


def test_a_double_press_sends_one_code_and_the_first_still_works(points, texts):
    a_member(opted_in=True)
    ask(points)
    points.clock["now"] = T0 + 5
    ask(points)
    [(_, message)] = texts()
    assert verify(points, code_in(message)).status == 200


def test_two_verifies_of_one_code_at_once_make_one_session(points, texts):
    """The code row is deleted on condition that it still holds this code: whichever of two
    simultaneous verifies deletes it second finds it gone."""
    from handlers.loyalty import codes

    a_member(opted_in=True)
    ask(points)
    code = texted_code(texts)
    digest = codes.digest(points.module.key(), PHONE, code)
    with points.running():
        assert codes.use(CODES, PHONE, digest, T0) is True
        assert codes.use(CODES, PHONE, digest, T0) is False
    assert verify(points, code).status == 401


def test_without_texts_the_code_goes_to_the_confirmed_address_only(points, monkeypatch, sent_mail, texts):
    monkeypatch.setattr(points.module, "settings", points.module.settings.replace(sms_origination=""))
    a_member(opted_in=True)
    ask(points)
    [mail] = sent_mail()
    assert mail.destinations["ToAddresses"] == ["ana@example.com"] and texts() == []
    assert verify(points, code_in(mail.body)).status == 200
    a_member(opted_in=False, confirmed=False, email="typed@example.com")  # an address nobody confirmed
    points.clock["now"] = T0 + 60
    assert ask(points).status == 202
    assert len(sent_mail()) == 1


def test_a_session_ends_after_thirty_minutes(points, texts, monkeypatch):
    import itsdangerous.timed

    a_member(opted_in=True)
    ask(points)
    token = verify(points, texted_code(texts)).json()["token"]
    later = itsdangerous.timed.time.time() + 31 * 60
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: later)
    ended = points.post("/api/points/me", {"token": token}, host=HOST)
    assert ended.status == 401 and ended.json()["error"] == "session_over"
    assert points.post("/api/points/me", {"token": token[:-3] + "abc"}, host=HOST).status == 401


def test_a_member_changes_their_details_and_a_new_address_waits_for_its_link(points, texts, sent_mail, function):
    a_member(opted_in=True, texts=False)
    ask(points)
    token = verify(points, texted_code(texts)).json()["token"]
    changed = points.post("/api/points/details", {"token": token, "name": "Ana", "texts": True, "email": "ana.new@example.com"}, host=HOST)
    assert changed.status == 200
    details = changed.json()["member"]["details"]
    assert details == {"email": "ana@example.com", "email_confirmed": True, "pending_email": "ana.new@example.com", "texts": True}
    assert member()["name"]["S"] == "Ana" and member()["email"]["S"] == "ana@example.com"
    [confirm] = sent_mail()
    assert confirm.destinations["ToAddresses"] == ["ana.new@example.com"] and "/confirm/#t=" in confirm.body
    link = re.search(r"/confirm/#t=([A-Za-z0-9_.-]+)", confirm.body).group(1)
    assert function("loyalty-signup").post("/api/confirm", {"token": link}, host=HOST).status == 200
    assert member()["email"]["S"] == member()["confirmed_email"]["S"] == "ana.new@example.com"


def test_a_balance_mail_carries_a_personal_link_that_opens_the_page(points, dispatch, sent_mail, daytime):
    a_member(opted_in=True, balance=120)
    dispatch.invoke(bus_event("nightly_email", event_id="n1", balance=120))
    [mail] = sent_mail()
    token = re.search(r"/points/#t=([A-Za-z0-9_.-]+)", mail.body).group(1)
    opened = points.post("/api/points/link", {"token": token}, host=HOST)
    assert opened.status == 200 and opened.json()["member"]["balance"] == 120 and opened.json()["token"] != token
    assert points.post("/api/points/me", {"token": token}, host=HOST).status == 401  # a link is not a session
    assert points.post("/api/points/link", {"token": token[:-3] + "abc"}, host=HOST).status == 401


def test_a_mail_to_an_address_nobody_confirmed_carries_no_personal_link(dispatch, sent_mail, daytime):
    a_member(opted_in=False, confirmed=False)
    dispatch.invoke(bus_event("reward_earned", reward_id="free-drink", balance=120))
    [mail] = sent_mail()
    assert "/points/" not in mail.body


@pytest.mark.parametrize("path, body, status, field", [
    ("/api/points/code", {"phone": "12"}, 422, "phone"),
    ("/api/points/code", {}, 422, "phone"),
    ("/api/points/verify", {"phone": PHONE, "code": "12345"}, 422, "code"),
    ("/api/points/verify", {"phone": PHONE, "code": 123456}, 422, "code"),
    ("/api/points/me", {"token": "not a token!"}, 422, "token"),
    ("/api/points/details", {"token": "x" * 20, "email": "nope"}, 422, "email"),
])
def test_bad_input_is_a_4xx_naming_the_field_and_writes_nothing(points, path, body, status, field):
    reply = points.post(path, body, host=HOST)
    assert reply.status == status and field in reply.json()["fields"], reply.body
    assert codes_rows() == []


def test_a_body_that_is_not_json_is_400(points):
    reply = points.request("POST", "/api/points/code", body=b"{phone", headers={"content-type": "application/json"}, host=HOST)
    assert reply.status == 400 and codes_rows() == []
