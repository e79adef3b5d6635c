"""GET /ref/{code}: always a redirect; a click counted once, atomically, apart from bots."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

from handlers.shared.aws import client
import pytest

from handlers.referrals import storage
from tests.handlers.conftest import BROWSER

STATS, CLICKS = "mainstreet-dev-referral-stats", "mainstreet-dev-referral-clicks"


def total(vendor: str) -> dict:
    item = client("dynamodb").get_item(TableName=STATS, Key={"pk": {"S": "TOTAL"}, "sk": {"S": vendor}}).get("Item", {})
    return {k: (int(v["N"]) if "N" in v else v.get("S")) for k, v in item.items() if k not in ("pk", "sk")}


def events() -> list[dict]:
    return client("dynamodb").scan(TableName=CLICKS)["Items"]


def day_items(vendor: str) -> list[dict]:
    return client("dynamodb").query(
        TableName=STATS, KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": {"S": f"DAY#{vendor}"}}
    )["Items"]


def query_of(location: str) -> dict:
    return {k: v[0] if len(v) == 1 else v for k, v in parse_qs(urlsplit(location).query).items()}


@pytest.fixture
def click(function):
    return function("referral-click")


def test_a_click_redirects_with_utm_tags_and_is_counted(click):
    reply = click.get("/ref/solare")
    assert reply.status == 302
    assert reply.headers["Cache-Control"] == "no-store"
    location = reply.headers["Location"]
    assert location.startswith("https://queenofsandiego.example/?")
    assert query_of(location) == {"utm_source": "solare", "utm_medium": "referral", "utm_campaign": "vendor-referrals"}
    assert total("solare")["clicks"] == 1 and total("solare")["last_click"]
    [event] = events()
    assert event["vendor"]["S"] == "solare" and event["bot"]["BOOL"] is False
    assert event["ip"]["S"] == "198.51.100.7" and event["user_agent"]["S"] == BROWSER
    assert event["at"]["S"].endswith("Z", 0, 24)


def test_the_code_matches_case_insensitively(click):
    assert query_of(click.get("/ref/SoLaRe").headers["Location"])["utm_source"] == "solare"
    assert total("solare")["clicks"] == 1


def test_click_events_expire_after_ninety_days(click):
    click.get("/ref/puesto")
    [event] = events()
    expires = int(event["expires_at"]["N"])
    assert abs(expires - (time.time() + 90 * 86400)) < 120


def test_the_destinations_query_and_the_visitors_are_kept_and_our_tags_win(click, monkeypatch):
    click.module.settings = click.module.settings.replace(destination="https://example.com/landing?lang=en")
    location = click.get("/ref/solare", query="promo=spring&utm_source=someone-else").headers["Location"]
    assert urlsplit(location).path == "/landing"
    assert query_of(location) == {"lang": "en", "promo": "spring", "utm_source": "solare", "utm_medium": "referral",
                                  "utm_campaign": "vendor-referrals"}


def test_an_unknown_code_redirects_without_attribution_and_counts_as_an_orphan(click):
    reply = click.get("/ref/nosuchvendor")
    assert reply.status == 302
    assert "utm_source" not in query_of(reply.headers["Location"])
    assert total(storage.ORPHAN)["clicks"] == 1
    assert total("nosuchvendor") == {}
    [event] = events()
    assert event["vendor"]["S"] == storage.ORPHAN and event["code"]["S"] == "nosuchvendor"


@pytest.mark.parametrize("path", ["/ref/", "/ref/..%2F..%2Fetc", "/ref/" + "x" * 300, "/ref/%F0%9F%98%80", "/ref/a/b",
                                  "/ref/../../etc", '/ref/a"b', "/ref/a\\b", "/ref/a`b", "/ref/a#b", "/ref/\x00",
                                  "/ref/%E2%80%AE", "/ref/solare/extra"])
def test_malformed_codes_still_redirect_and_count_as_orphans(click, path):
    reply = click.get(path)
    assert reply.status == 302 and "utm_source" not in query_of(reply.headers["Location"])
    assert total(storage.ORPHAN)["clicks"] == 1


@pytest.mark.parametrize("path", ["/ref/solare/", "/ref//solare", "/ref/solare//", "/ref/%20solare%20"])
def test_a_vendors_code_with_stray_slashes_or_spaces_is_still_theirs(click, path):
    reply = click.get(path)
    assert reply.status == 302 and query_of(reply.headers["Location"])["utm_source"] == "solare"
    assert total("solare")["clicks"] == 1


@pytest.mark.parametrize("agent", [
    "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "Twitterbot/1.0",
    "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
    "WhatsApp/2.23.20.0",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "",
])
def test_link_previews_and_crawlers_are_redirected_but_counted_apart(click, agent):
    reply = click.get("/ref/smallgoods", headers={"user-agent": agent})
    assert reply.status == 302
    counts = total("smallgoods")
    assert counts.get("bot_hits") == 1 and "clicks" not in counts and "last_click" not in counts
    [day] = day_items("smallgoods")
    assert "visitors" not in day
    assert events()[0]["bot"]["BOOL"] is True


def test_unique_visitors_per_day_come_from_a_salted_hash_not_stored_address_pairs(click):
    click.get("/ref/solare")
    click.get("/ref/solare")
    click.get("/ref/solare", headers={"cloudfront-viewer-address": "192.0.2.99:1000"})
    [day] = day_items("solare")
    visitors = day["visitors"]["SS"]
    assert int(day["clicks"]["N"]) == 3 and len(visitors) == 2
    for visitor in visitors:
        assert "198.51" not in visitor and "192.0" not in visitor and len(visitor) == 20


def test_head_redirects_and_counts_nothing(click):
    reply = click.request("HEAD", "/ref/solare")
    assert reply.status == 302 and "utm_source=solare" in reply.headers["Location"]
    assert total("solare") == {} and events() == []


def test_calls_that_bypass_cloudfront_are_refused_and_write_nothing(click):
    reply = click.get("/ref/solare", origin=False)
    assert reply.status == 403 and reply.json()["error"] == "forbidden"
    assert events() == []
    assert click.get("/ref/solare", headers={"x-origin-verify": "guess"}).status == 403


def test_a_storage_failure_still_sends_the_visitor_on(click):
    client("dynamodb").delete_table(TableName=CLICKS)
    reply = click.get("/ref/solare")
    assert reply.status == 302 and "utm_source" not in reply.headers["Location"]


def test_a_known_vendors_click_is_one_write_and_no_read(click, calls):
    click.get("/ref/solare")  # warms the secret cache, as any request after a cold start has
    calls.clear()
    click.get("/ref/solare")
    assert calls.writes() == ["TransactWriteItems"] and calls.reads() == []
    assert calls.of("secretsmanager") == []


def test_an_orphan_click_is_at_most_two_writes(click, calls):
    click.get("/ref/solare")
    calls.clear()
    click.get("/ref/nobody")
    assert len(calls.writes()) == 2 and calls.reads() == []
