"""Secret values, fetched from Parameter Store (SecureString) by name once per execution environment."""

from __future__ import annotations

from functools import lru_cache

from handlers.shared.aws import client


@lru_cache(maxsize=None)
def secret_value(name: str) -> str:
    # Cached per cold start: one GetParameter per secret per execution environment.
    return client("ssm").get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]
