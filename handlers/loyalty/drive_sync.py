"""Two scheduled jobs of one function:

- "sync" (every 15 minutes, only when Drive is configured): the owner's rules and voice Google
  Docs, exported as plain text with a service account (its key in a SecureString parameter), are written
  to the rules bucket when they changed. The bucket is versioned: a bad edit rolls back in one
  click, and earn falls back to the last good version by itself.
- "backup" (daily): members and ledger, as JSON lines, into the backups bucket (Glacier after
  90 days, gone after 7 years). The one place the tables are scanned: a backup reads everything.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
import urllib.parse
import urllib.request
from datetime import datetime, timezone

from handlers.loyalty import storage
from handlers.shared.aws import client
from handlers.shared.log import logger
from handlers.shared.secrets import secret_value
from handlers.shared.settings import Settings, bucket, secret, setting, table

DRIVE_EXPORT = "https://www.googleapis.com/drive/v3/files/{id}/export?mimeType=text/plain"
SCOPE = "https://www.googleapis.com/auth/drive.readonly"


class SyncSettings(Settings):
    members_table = table("loyalty-members")
    ledger_table = table("loyalty-ledger")
    rules_bucket = bucket("loyalty-rules")
    backups_bucket = bucket("loyalty-backups")
    drive_files = setting("drive files")
    drive_secret = secret("drive-sa", default="")


settings = SyncSettings.load()


def http(url: str, data: bytes | None = None, headers: dict | None = None) -> bytes:
    request = urllib.request.Request(url, data=data, headers=headers or {})
    with urllib.request.urlopen(request, timeout=20) as response:
        return response.read()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def access_token(account: dict) -> str:
    """OAuth token for a Google service account: a JWT signed with its key, exchanged."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding

    now = int(time.time())
    header = _b64(json.dumps({"alg": "RS256", "typ": "JWT"}).encode())
    claims = _b64(json.dumps({"iss": account["client_email"], "scope": SCOPE, "aud": account["token_uri"],
                              "iat": now, "exp": now + 600}).encode())
    key = serialization.load_pem_private_key(account["private_key"].encode(), password=None)
    signature = key.sign(f"{header}.{claims}".encode(), padding.PKCS1v15(), hashes.SHA256())
    body = urllib.parse.urlencode({"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
                                   "assertion": f"{header}.{claims}.{_b64(signature)}"}).encode()
    return json.loads(http(account["token_uri"], body, {"Content-Type": "application/x-www-form-urlencoded"}))["access_token"]


def sync() -> dict:
    files = json.loads(settings.drive_files or "{}")  # {"rules.txt": "<doc id>", "voice.txt": "<doc id>"}
    if not files or not settings.drive_secret:
        return {"synced": [], "why": "Drive is not configured"}
    token = access_token(json.loads(secret_value(settings.drive_secret)))
    s3, synced = client("s3"), []
    for key, doc_id in files.items():
        text = http(DRIVE_EXPORT.format(id=urllib.parse.quote(doc_id)), headers={"Authorization": f"Bearer {token}"})
        digest = hashlib.sha256(text).hexdigest()
        try:
            current = s3.head_object(Bucket=settings.rules_bucket, Key=key).get("Metadata", {}).get("sha256")
        except s3.exceptions.ClientError:
            current = None
        if current != digest:
            s3.put_object(Bucket=settings.rules_bucket, Key=key, Body=text, ContentType="text/plain; charset=utf-8",
                          Metadata={"sha256": digest, "source": f"drive:{doc_id}"})
            synced.append(key)
    logger.info("drive sync", extra={"changed": synced})
    return {"synced": synced}


def backup() -> dict:
    day = datetime.now(timezone.utc).date().isoformat()
    written = {}
    for name, table in (("members", settings.members_table), ("ledger", settings.ledger_table)):
        rows = storage.scan_all(table)
        lines = "".join(json.dumps(row, default=str, sort_keys=True) + "\n" for row in rows)
        client("s3").put_object(Bucket=settings.backups_bucket, Key=f"{name}/{day}.jsonl", Body=lines.encode(),
                                ContentType="application/x-ndjson")
        written[name] = len(rows)
    logger.info("backup written", extra=written)
    return {"backup": day, **written}


@logger.inject_lambda_context
def handler(event, context):
    return backup() if event.get("task") == "backup" else sync()
