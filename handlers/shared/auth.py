"""Staff sessions, roles, and stored service keys.

A staff member signs in with their own account (handlers/shared/session.py, on Amazon Cognito);
the session is then a row of the `staff-sessions` table in that person's partition
(`USER#<id>`, `SESSION#<random id>`), and the cookie (HttpOnly, SameSite=Strict) names it, signed
with the session key so a forged cookie costs no read. Every staff request reads the row once:
deleting it ends the session at once, and it carries who the person is and their roles, so no
request asks Cognito. Ending all of a person's sessions reads their partition consistently, so
none is missed.

Roles are the user pool's groups (components/blocks/identity.py). A route names the roles that
may call it (`staff_only(settings, "dispatch")`); `owner` may call every route.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Sequence

from handlers.shared import tokens
from handlers.shared.errors import ApiError, forbidden, unauthorized

COOKIE = "ms_staff"
SESSION_SECONDS = tokens.PURPOSES["staff-session"].max_age_s
OWNER = "owner"
ROLES = (OWNER, "dispatch", "charters", "referrals", "loyalty-desk")
USER_PREFIX = "USER#"  # a person's partition: their sessions, and their state row
SESSION_PREFIX = "SESSION#"
STATE = "STATE"  # sort key of the row saying since when a session of theirs may begin
SESSION_KIND = "session"  # the `signed-in` index's partition: only session rows carry it


class SessionRefused(Exception):
    """The account changed (disabled, roles changed) after this sign-in was authenticated."""


@dataclass(frozen=True)
class Staff:
    id: str  # the Cognito user's `sub`: stable, unlike the address
    name: str
    email: str
    roles: tuple[str, ...]
    session_id: str = ""

    def may(self, roles: Sequence[str]) -> bool:
        return OWNER in self.roles or bool(set(roles) & set(self.roles))

    def by(self) -> dict[str, str]:
        """Who did it, as every ledger, audit and history row records it."""
        return {"by_staff": self.id, "by_name": self.name}


def hash_service_key(key: str) -> str:
    return "sha256$" + hashlib.sha256(key.encode()).hexdigest()


def verify_service_key(key: str, stored: str) -> bool:
    return hmac.compare_digest(hash_service_key(key).encode(), stored.encode())


def session_key(account_id: str, sid: str) -> dict[str, dict[str, str]]:
    return {"pk": {"S": USER_PREFIX + account_id}, "sk": {"S": SESSION_PREFIX + sid}}


def state_key(account_id: str) -> dict[str, dict[str, str]]:
    return {"pk": {"S": USER_PREFIX + account_id}, "sk": {"S": STATE}}


def now_ms() -> int:
    return int(time.time() * 1000)


def start_session(table: str, key: str, staff: Staff, authenticated_ms: int, address: str = "", agent: str = "") -> str:
    """Record a new session for `staff`, authenticated by Cognito at `authenticated_ms`, and return
    the cookie value naming it.

    The session is written only if nothing changed the account since (its state row's
    `not_before`): a disable or a role change that ends the person's sessions first moves
    `not_before`, then ends every session it finds in the person's partition (read consistently),
    so a sign-in racing it is either refused here or ended there."""
    from handlers.shared.aws import client
    from handlers.shared.clock import utc_stamp

    dynamodb = client("dynamodb")
    sid = secrets.token_urlsafe(24)
    item = {
        **session_key(staff.id, sid),
        "kind": {"S": SESSION_KIND},
        "session_id": {"S": sid},
        "user_id": {"S": staff.id},
        "name": {"S": staff.name},
        "email": {"S": staff.email},
        "roles": {"L": [{"S": r} for r in staff.roles]},
        "created_at": {"S": utc_stamp()},
        "expires_at": {"N": str(int(time.time()) + SESSION_SECONDS)},
        "address": {"S": address[:64]},
        "agent": {"S": agent[:200]},
    }
    try:
        dynamodb.transact_write_items(TransactItems=[
            {"Put": {"TableName": table, "Item": item, "ConditionExpression": "attribute_not_exists(pk)"}},
            {"ConditionCheck": {"TableName": table, "Key": state_key(staff.id),
                                "ConditionExpression": "attribute_not_exists(not_before) OR not_before <= :at",
                                "ExpressionAttributeValues": {":at": {"N": str(authenticated_ms)}}}},
        ])
    except dynamodb.exceptions.TransactionCanceledException:
        raise SessionRefused() from None
    return tokens.sign("staff-session", key, {"u": staff.id, "sid": sid})


def session_ref(token: str, key: str) -> tuple[str, str] | None:
    """(account id, session id) a cookie names, or None when it is altered, expired or not ours."""
    try:
        data = tokens.read("staff-session", key, token)
    except tokens.BadToken:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), str) or not isinstance(data.get("sid"), str):
        return None  # cookies of the passcode era named no account
    return data["u"], data["sid"]


def read_session(table: str, account_id: str, sid: str) -> Staff | None:
    """The signed-in staff member of that session, or None when it was ended or has run out
    (TTL deletes expired rows within days, not at once: the time is checked here)."""
    from handlers.shared.aws import client

    item = client("dynamodb").get_item(TableName=table, Key=session_key(account_id, sid), ConsistentRead=True).get("Item")
    if not item or int(item["expires_at"]["N"]) <= time.time():
        return None
    return Staff(item["user_id"]["S"], item["name"]["S"], item["email"]["S"],
                 tuple(r["S"] for r in item.get("roles", {}).get("L", [])), sid)


def end_session(table: str, account_id: str, sid: str) -> None:
    from handlers.shared.aws import client

    client("dynamodb").delete_item(TableName=table, Key=session_key(account_id, sid))


def cookie_value(cookies: list[str] | None, name: str = COOKIE) -> str:
    for item in cookies or []:
        for part in item.split(";"):
            key, _, value = part.strip().partition("=")
            if key == name:
                return value
    return ""


def request_cookie(app) -> str:
    event = app.current_event
    cookies = list(event.get("cookies") or [])
    if not cookies and (event.headers or {}).get("cookie"):
        cookies = [event.headers["cookie"]]
    return cookie_value(cookies)


def signed_in(app, settings) -> Staff | None:
    """Who the request's session cookie belongs to, or None."""
    from handlers.shared.secrets import secret_value

    token = request_cookie(app)
    ref = session_ref(token, secret_value(settings.session_key_secret)) if token else None
    return read_session(settings.staff_sessions_table, *ref) if ref else None


def staff_only(settings, *roles: str):
    """Route middleware: 401 unless the caller is signed in, 403 unless their account has one of
    `roles` (or is the owner's), 403 when a state-changing request comes from another site
    (handlers.shared.http.require_same_site). The route then finds the caller in
    `current_staff(app)`."""
    unknown = set(roles) - set(ROLES)
    if not roles or unknown:
        raise ValueError(f"staff_only needs roles from {ROLES}; got {roles}")
    allowed = tuple(dict.fromkeys((*roles, OWNER)))

    def middleware(app, next_middleware):
        from handlers.shared.http import require_same_site

        staff = signed_in(app, settings)
        if staff is None:
            raise unauthorized()
        if not staff.may(allowed):
            raise forbidden(allowed)
        require_same_site(app)
        app.append_context(staff=staff)
        return next_middleware(app)

    middleware.roles = allowed  # type: ignore[attr-defined]  # read by the role table's test
    return middleware


def current_staff(app) -> Staff:
    staff = app.context.get("staff")
    if not isinstance(staff, Staff):
        raise ApiError(401, "unauthorized", "Sign in with your staff account first.")
    return staff
