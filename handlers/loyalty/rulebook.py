"""The rules and the voice in force: read from the rules bucket, kept a few minutes.

A rules.txt with a mistake never fails a sale: the last good rules stay (in memory, or else the
newest earlier version in the versioned bucket, or else the defaults shipped with the code) and
"rules invalid" is logged, which a metric filter turns into an alarm for the owner.
"""

from __future__ import annotations

import time
from pathlib import Path

from handlers.loyalty import rules as rules_module
from handlers.loyalty import voice as voice_module
from handlers.shared.aws import client
from handlers.shared.log import logger

RULES_KEY, VOICE_KEY = "rules.txt", "voice.txt"
DEFAULTS = Path(__file__).parent / "defaults"
TTL_S = 300
_state: dict[str, dict] = {}


def _read(bucket: str, key: str, version: str | None = None) -> str:
    extra = {"VersionId": version} if version else {}
    return client("s3").get_object(Bucket=bucket, Key=key, **extra)["Body"].read().decode("utf-8", "replace")


def _earlier_good_rules(bucket: str) -> rules_module.Rules | None:
    versions = client("s3").list_object_versions(Bucket=bucket, Prefix=RULES_KEY).get("Versions", [])
    for version in sorted(versions, key=lambda v: v["LastModified"], reverse=True)[1:]:
        try:
            return rules_module.parse(_read(bucket, RULES_KEY, version["VersionId"]))
        except rules_module.RulesError:
            continue
    return None


def current_rules(bucket: str) -> rules_module.Rules:
    state = _state.setdefault("rules", {})
    if state.get("value") is not None and time.time() - state["at"] < TTL_S:
        return state["value"]
    try:
        text = _read(bucket, RULES_KEY)
    except Exception:
        logger.exception("rules unreadable; keeping the last good rules")
        text = None
    if text is not None:
        try:
            state.update(value=rules_module.parse(text), at=time.time())
            return state["value"]
        except rules_module.RulesError as exc:
            logger.error("rules invalid", extra={"problems": exc.problems})
    if state.get("value") is None:
        state["value"] = _earlier_good_rules(bucket) or rules_module.parse((DEFAULTS / RULES_KEY).read_text())
    state["at"] = time.time()
    return state["value"]


def current_voice(bucket: str) -> dict[str, voice_module.Template]:
    state = _state.setdefault("voice", {})
    if state.get("value") is not None and time.time() - state["at"] < TTL_S:
        return state["value"]
    try:
        parsed = voice_module.parse(_read(bucket, VOICE_KEY))
    except Exception:
        logger.exception("voice unreadable; using the shipped voice")
        parsed = {}
    defaults = voice_module.parse((DEFAULTS / VOICE_KEY).read_text())
    state.update(value={**defaults, **parsed}, at=time.time())
    return state["value"]
