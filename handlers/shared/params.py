"""Parameter Store values, read once per execution environment."""

from __future__ import annotations

from functools import lru_cache

from handlers.shared.aws import client


@lru_cache(maxsize=None)
def parameter(name: str) -> str:
    return client("ssm").get_parameter(Name=name)["Parameter"]["Value"]
