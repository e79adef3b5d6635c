"""Staff sessions and stored credentials.

Passcodes are kept as scrypt hashes and service keys as SHA-256 hashes (they are long random
strings); both are compared in constant time. The session is an HttpOnly, SameSite=Strict cookie
signed with the session key (handlers.shared.tokens) and good for 12 hours.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from handlers.shared import tokens
from handlers.shared.errors import unauthorized

COOKIE = "ms_staff"
SESSION_SECONDS = tokens.PURPOSES["staff-session"].max_age_s
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hash_passcode(passcode: str, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(passcode.encode(), salt=salt, dklen=32, **_SCRYPT)
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${_b64(salt)}${_b64(digest)}"


def verify_passcode(passcode: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        given = hashlib.scrypt(passcode.encode(), salt=_unb64(salt), dklen=32, n=int(n), r=int(r), p=int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(given, _unb64(digest))


def hash_service_key(key: str) -> str:
    return "sha256$" + hashlib.sha256(key.encode()).hexdigest()


def verify_service_key(key: str, stored: str) -> bool:
    return hmac.compare_digest(hash_service_key(key).encode(), stored.encode())


def issue_session(key: str) -> str:
    return tokens.sign("staff-session", key, {"sid": secrets.token_urlsafe(12)})


def session_valid(token: str, key: str) -> bool:
    try:
        tokens.read("staff-session", key, token)
    except tokens.BadToken:  # altered or expired
        return False
    return True


def cookie_value(cookies: list[str] | None, name: str = COOKIE) -> str:
    for item in cookies or []:
        for part in item.split(";"):
            key, _, value = part.strip().partition("=")
            if key == name:
                return value
    return ""


def require_staff(app, session_key_arn: str) -> None:
    """Raise 401 unless the request carries a valid staff session cookie."""
    from handlers.shared.secrets import secret_value

    event = app.current_event
    cookies = list(event.get("cookies") or [])
    if not cookies and (event.headers or {}).get("cookie"):
        cookies = [event.headers["cookie"]]
    token = cookie_value(cookies)
    if not token or not session_valid(token, secret_value(session_key_arn)):
        raise unauthorized()


def staff_only(session_key_arn: str):
    """Route middleware: the route answers 401 unless the caller is signed in as staff, and 403
    when a state-changing request comes from another site (handlers.shared.http.require_same_site)."""

    def middleware(app, next_middleware):
        from handlers.shared.http import require_same_site

        require_staff(app, session_key_arn)
        require_same_site(app)
        return next_middleware(app)

    return middleware
