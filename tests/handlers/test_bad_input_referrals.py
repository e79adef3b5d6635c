"""Every referral endpoint under generated bad requests (tests/handlers/badinput.py): never a 5xx,
a 4xx in the house shape, nothing written; the public click always sends the visitor somewhere
and writes only click counters."""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from hypothesis import given, strategies as st

from tests.handlers.badinput import bad_requests, generated, path_segments, refused_cleanly, snapshot_tables
from tests.handlers.test_referral_api import api, click  # noqa: F401 (the same fixtures)

STATS, CLICKS = "mainstreet-dev-referral-stats", "mainstreet-dev-referral-clicks"
DESTINATION = "https://queenofsandiego.example/"
BATCH_FIELDS = ("vendor_codes", "subject", "note")


def in_words(reply) -> None:
    """A refusal in the house shape whose message and field messages are sentences."""
    refused_cleanly(reply)
    payload = reply.json()
    for sentence in [payload["message"], *payload["fields"].values()]:
        assert sentence[:1].isupper() and sentence.rstrip(")").endswith("."), sentence


def query_of(location: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(location).query)


def changed(before: dict[str, list[str]], after: dict[str, list[str]]) -> dict[str, set[str]]:
    """Per table, the items that are new or different."""
    return {name: set(after[name]) - set(before.get(name, [])) for name in after
            if set(after[name]) != set(before.get(name, []))}


def vendors_and_orphan(tables: dict[str, list[str]]) -> set[str]:
    stats = [json.loads(item) for item in tables[STATS]]
    return {"_orphan"} | {item["sk"]["S"] for item in stats if item["pk"]["S"] == "VENDOR"}


# -- the public click ---------------------------------------------------------------------------

_header_text = st.one_of(
    st.text(max_size=300),
    st.sampled_from(["", " ", "\x00", "\r\nSet-Cookie: x=1", "\u202e", "😀", "x" * 4000, "Twitterbot/1.0",
                     "[::1]:443", "[::1", "]:", ":", "::::", "1.2.3.4:99999", "not an address", "%ff"]),
)
_paths = st.lists(path_segments, min_size=0, max_size=3).flatmap(
    lambda parts: st.sampled_from([
        "/ref/" + "/".join(quote(p, safe="") for p in parts),  # as a browser sends it
        "/ref/" + "/".join(parts),  # raw, whatever it holds
        "/ref/" + "/".join(parts) + "/",
    ])
)
_queries = st.one_of(st.just(""), st.text(max_size=80),
                     st.sampled_from(["utm_source=evil", "a=%ff&a=2&&=&", "next=//evil.example", "%00=%0d%0a"]))


@generated(80)
@given(path=_paths, query=_queries, method=st.sampled_from(["GET", "HEAD"]),
       headers=st.fixed_dictionaries({"user-agent": _header_text, "referer": _header_text,
                                      "cloudfront-viewer-address": _header_text}))
def test_any_referral_link_redirects_and_counts_at_most_one_click(click, path, query, method, headers):
    before = snapshot_tables()
    reply = click.request(method, path, query=query, headers=headers)
    assert reply.status == 302, (reply.status, reply.body[:300])  # a visitor is never shown an error
    location = reply.headers["Location"]
    assert location.startswith(DESTINATION) and "\r" not in location and "\n" not in location
    source = query_of(location).get("utm_source", ["_orphan"])[0]
    # GET credits a vendor that exists; HEAD (link checkers) reads nothing, so credits a code's shape.
    assert source in vendors_and_orphan(before) if method == "GET" else re.fullmatch(r"[a-z0-9][a-z0-9-]{0,39}|_orphan", source)
    after = snapshot_tables()
    assert all(len(after[name]) >= len(before[name]) for name in before)  # nothing removed
    writes = changed(before, after)
    if method == "HEAD":
        assert writes == {}
        return
    # One click: one event, and the running and daily counters of the vendor or of unknown codes.
    assert set(writes) <= {STATS, CLICKS} and len(writes.get(CLICKS, ())) <= 1, writes
    counted = vendors_and_orphan(before)
    counters = [json.loads(item) for item in writes.get(STATS, ())]
    assert len(counters) <= 2, counters
    for item in counters:
        pk, sk = item["pk"]["S"], item["sk"]["S"]
        assert (pk == "TOTAL" and sk in counted) or (pk.removeprefix("DAY#") in counted and pk.startswith("DAY#")), item


# -- staff endpoints: with the staff cookie, without it, and with cookies that are not one ------------

SIGNED_IN = "signed in"
_cookies = st.sampled_from([SIGNED_IN, None, "ms_staff=", "ms_staff=garbage", "ms_staff=" + "x" * 5000,
                            "ms_staff=a.b.c", "other=1", "ms_staff=\u202e"])


def with_cookie(headers: dict, cookie: str | None, staff_cookie: str) -> dict:
    return {**headers, "cookie": staff_cookie if cookie == SIGNED_IN else cookie}


_day_counts = st.one_of(
    st.text(max_size=20), st.integers(min_value=-(10**12), max_value=10**12).map(str),
    st.sampled_from(["", "garbage", "-1", "0", "1", "90", "91", str(10**9), "7.5", "1e3", " 7", "7 ", "\u0663", "0x10",
                     "NaN", "inf", "\x00", "1" * 5000]),
)


@generated(60)
@given(days=_day_counts, cookie=_cookies, repeat=st.booleans())
def test_stats_answer_a_window_or_a_sentence(api, staff_cookie, days, cookie, repeat):
    before = snapshot_tables()
    query = "days=" + quote(days, safe="") + ("&days=7" if repeat else "")
    reply = api.get("/api/referrals/stats", query=query, headers=with_cookie({}, cookie, staff_cookie))
    if reply.status == 200:
        assert cookie == SIGNED_IN and 1 <= reply.json()["days"] <= 90
    else:
        in_words(reply)
        assert reply.status == (422 if cookie == SIGNED_IN else 401)
    assert snapshot_tables() == before


@generated(20)
@given(query=_queries, cookie=_cookies)
def test_the_batch_list_answers_staff_only(api, staff_cookie, query, cookie):
    reply = api.get("/api/referrals/outreach", query=query, headers=with_cookie({}, cookie, staff_cookie))
    if cookie == SIGNED_IN:
        assert reply.status == 200 and reply.json()["batches"] == []
    else:
        in_words(reply)
        assert reply.status == 401


@bad_requests(fields=BATCH_FIELDS, examples=80)
def test_a_new_batch_refuses_garbage_and_writes_nothing(api, staff_cookie, sent_mail, request):
    before = snapshot_tables()
    reply = api.request("POST", "/api/referrals/outreach", **{**request, "headers": {**request["headers"], "cookie": staff_cookie}})
    assert sent_mail() == []
    if reply.status == 201:  # a generated body may be a good one: then it is a batch for review
        return
    in_words(reply)
    assert snapshot_tables() == before


@bad_requests(fields=BATCH_FIELDS)
def test_a_new_batch_without_a_session_is_401_and_writes_nothing(api, request):
    before = snapshot_tables()
    reply = api.request("POST", "/api/referrals/outreach", **{**request, "headers": {**request["headers"], "cookie": "ms_staff=x"}})
    in_words(reply)
    assert reply.status == 401
    assert snapshot_tables() == before


_batch_ids = st.one_of(
    path_segments.map(lambda s: quote(s, safe="")), path_segments,
    st.sampled_from(["20260101T000000Z-00000000", "20260101T000000Z-ABCDEF12", "20261399T999999Z-abcdef12",
                     "20260101T000000Z-abcdef12/..", "%32%30", "20260101T000000Z-abcdef12%00",
                     "20260101T000000Z-abcdef12%0A", "20260101T000000Z-abcdef12\n"]),
)


@generated(60)
@given(batch_id=_batch_ids, cookie=_cookies,
       route=st.sampled_from([("GET", ""), ("GET", "/preview"), ("POST", "/approve")]))
def test_unknown_batches_are_not_found_and_nothing_is_written_or_sent(api, staff_cookie, sent_mail, batch_id, cookie, route):
    method, tail = route
    before = snapshot_tables()
    reply = api.request(method, f"/api/referrals/outreach/{batch_id}{tail}", headers=with_cookie({}, cookie, staff_cookie))
    in_words(reply)
    assert reply.status in ((404,) if cookie == SIGNED_IN else (401, 404))
    assert snapshot_tables() == before and sent_mail() == []


@bad_requests(fields=(), examples=20)
def test_approving_ignores_any_body_and_sends_each_mail_once(api, staff_cookie, sent_mail, request):
    """Approve takes no body: whatever comes with it, the batch goes once, or (415) nothing happens."""
    created = api.post("/api/referrals/outreach", {"vendor_codes": ["solare"]}, headers={"cookie": staff_cookie})
    batch_id = created.json()["batch"]["id"]
    sent_before, before = len(sent_mail()), snapshot_tables()
    signed_in = {**request["headers"], "cookie": staff_cookie}
    reply = api.request("POST", f"/api/referrals/outreach/{batch_id}/approve", **{**request, "headers": signed_in})
    if reply.status == 200:
        assert reply.json()["batch"]["status"] == "sent"
    else:
        in_words(reply)
        assert snapshot_tables() == before
    again = api.post(f"/api/referrals/outreach/{batch_id}/approve", headers={"cookie": staff_cookie})
    assert again.status in (200, 409)
    assert api.post(f"/api/referrals/outreach/{batch_id}/approve", headers={"cookie": staff_cookie}).status == 409
    assert len(sent_mail()) - sent_before == 1
