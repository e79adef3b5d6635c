"""`GET /ref/{code}`: count the click, then send the visitor on with UTM attribution.

The visitor is always redirected, whatever happens to the counting: a referral link that shows
an error loses the customer. HEAD requests (link checkers) are redirected and not counted.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit
from zoneinfo import ZoneInfo

from aws_lambda_powertools.event_handler import Response

from handlers.referrals import storage
from handlers.referrals.bots import is_bot
from handlers.shared.http import header, logger, make_api
from handlers.shared.secrets import secret_value
from handlers.shared.settings import HttpSettings, secret, setting, table

CODE = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")


class ClickSettings(HttpSettings):
    stats_table = table("referral-stats")
    clicks_table = table("referral-clicks")
    visitor_salt_secret = secret("visitor-salt")
    destination = setting("referral destination")
    campaign = setting("referral campaign")
    time_zone = setting("time zone")


settings = ClickSettings.load()
app = make_api(settings.origin_verify_secret)
zone = ZoneInfo(settings.time_zone)


def normalise(raw: str) -> str:
    return unquote(raw).strip().strip("/").lower()


def destination_url(base: str, visitor_query: list[tuple[str, str]], code: str | None, campaign: str) -> str:
    """The destination with its own query, the visitor's query, and our UTM tags last."""
    parts = urlsplit(base)
    utm = {"utm_source": code, "utm_medium": "referral", "utm_campaign": campaign}
    utm = {k: v for k, v in utm.items() if v}
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) + visitor_query if not k.startswith("utm_")]
    return urlunsplit(parts._replace(query=urlencode(kept + list(utm.items()))))


def viewer_ip() -> str:
    # CloudFront-Viewer-Address is "ip:port" (IPv6 too); CloudFront sets it, viewers cannot.
    address = header(app, "cloudfront-viewer-address")
    return address.rsplit(":", 1)[0].strip("[]") if address else ""


def visitor_hash(day: str, ip: str, user_agent: str) -> str:
    salt = secret_value(settings.visitor_salt_secret).encode()
    return hmac.new(salt, f"{day}|{ip}|{user_agent}".encode(), hashlib.sha256).hexdigest()[:20]


def count(code: str, known_format: bool) -> str:
    now = datetime.now(timezone.utc)
    day = now.astimezone(zone).date().isoformat()
    ip, user_agent = viewer_ip(), header(app, "user-agent")
    click = storage.Click(
        vendor=code if known_format else storage.ORPHAN,
        code=code[:40],
        at=now.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        day=day,
        ip=ip,
        user_agent=user_agent,
        bot=is_bot(user_agent),
        visitor=visitor_hash(day, ip, user_agent),
        expires_at=int((now + timedelta(days=storage.CLICK_TTL_DAYS)).timestamp()),
        nonce=secrets.token_hex(4),
    )
    return storage.record_click(settings.stats_table, settings.clicks_table, click)


# Every path under /ref/ is a referral link, however mangled ("/ref/solare/", "/ref//solare", "/ref/a/b"):
# the visitor is sent on, never shown an error page.
@app.route(r"/ref/[\s\S]*", method=["GET", "HEAD"])
def follow() -> Response:
    code = normalise(app.current_event.path.removeprefix("/ref/"))
    known_format = bool(CODE.fullmatch(code))
    counted_for = storage.ORPHAN
    if app.current_event.http_method == "GET":
        try:
            counted_for = count(code, known_format)
        except Exception:  # never let counting stop the visitor
            logger.exception("click not counted", extra={"code": code[:80]})
    elif known_format:
        counted_for = code  # HEAD: attribute, do not count
    query = list((app.current_event.query_string_parameters or {}).items())
    source = None if counted_for == storage.ORPHAN else counted_for
    location = destination_url(settings.destination, query, source, settings.campaign)
    return Response(status_code=302, headers={"Location": location, "Cache-Control": "no-store"}, body="")


@logger.inject_lambda_context
def handler(event, context):
    return app.resolve(event, context)
