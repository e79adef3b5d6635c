"""The stack's secrets, one row each: the config key that holds it, when the program needs it, how
it is made and what of it the stack stores.

Config validation, `python -m ops secrets`, the harness's test secrets and local mode's
credentials all read `SECRETS`. Plain data: importing this module declares nothing and imports
neither Pulumi nor the handlers (the hash functions are imported when a value is stored).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any, Callable, Optional


def _sha256_hash(plain: str) -> str:
    from handlers.shared.auth import hash_service_key  # unsalted: the key itself is random

    return hash_service_key(plain)


def _whole(plain: str) -> str:
    return plain


@dataclass(frozen=True)
class Making:
    """How a secret comes to be, and what of it the stack stores."""

    how: str
    new: Optional[Callable[[], str]]  # a fresh plain value (local mode, `ops secrets`); None: a person gives it
    store: Callable[[str], str]  # plain value → what the stack stores
    shown_once: bool = False  # `ops secrets` shows the plain value once, to be entered elsewhere


RANDOM_KEY = Making("a random url-safe key, shown once; only its SHA-256 hash is stored",
                    new=lambda: secrets.token_urlsafe(32), store=_sha256_hash, shown_once=True)
# Stored whole: the program needs the secret itself to check signatures.
RANDOM_HEX = Making("random hex, shown once and stored whole (encrypted, as every secret)",
                    new=lambda: secrets.token_hex(32), store=_whole, shown_once=True)
BY_HAND = Making("given by hand: a Google service account's JSON key file, stored whole", new=None, store=_whole)


@dataclass(frozen=True)
class SecretSpec:
    key: str  # the config key: `pulumi config set --secret <key>`
    making: Making
    systems: tuple[str, ...] = ()  # needed when the stack runs one of these
    when_set: tuple[str, ...] = ()  # ...or when one of these settings (StackConfig fields) is set
    credential: Optional[str] = None  # the plain value's name in tests and local mode
    replace_flag: Optional[str] = None  # `ops secrets --<flag>` replaces a value already set
    announce: str = ""  # what `ops secrets` says above a value it shows once
    if_missing: str = ""  # the problem config validation reports; default: run `ops secrets`

    def needed(self, settings: Any) -> bool:
        """Whether a stack with these settings (a StackConfig, or None if they are invalid) needs it."""
        if not self.systems and not self.when_set:
            return True
        if settings is None:
            return False
        return any(settings.enabled(s) for s in self.systems) or any(getattr(settings, f) for f in self.when_set)


SECRETS: tuple[SecretSpec, ...] = (
    SecretSpec("serviceKeyHash", RANDOM_KEY, systems=("charters",), credential="service_key",
               replace_flag="new-service-key",
               announce="New service key for the marketplace (shown once, only its hash is kept)"),
    SecretSpec("posHmacSecret", RANDOM_HEX, systems=("loyalty",), credential="pos_hmac_secret",
               replace_flag="new-pos-secret",
               announce="New POS webhook secret (shown once; enter it in the POS's webhook settings)"),
    SecretSpec("driveServiceAccount", BY_HAND, when_set=("drive_rules_doc_id", "drive_voice_doc_id"),
               if_missing="Drive sync is configured, so set the service account's JSON key as a secret"),
)

KEYS = frozenset(spec.key for spec in SECRETS)


def new_credentials() -> dict[str, str]:
    """Fresh plain values, by credential name, for every secret a machine can make (local mode)."""
    return {spec.credential: spec.making.new() for spec in SECRETS if spec.credential and spec.making.new}


def stored(credentials: dict[str, str]) -> dict[str, str]:
    """The secret config (key → stored value) made from plain credentials (tests, local mode)."""
    return {spec.key: spec.making.store(credentials[spec.credential])
            for spec in SECRETS if spec.credential and spec.credential in credentials}
