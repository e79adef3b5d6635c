"""Secret values, fetched from Secrets Manager by ARN once per execution environment."""

from __future__ import annotations

from functools import lru_cache

from handlers.shared.aws import client


@lru_cache(maxsize=None)
def secret_value(arn: str) -> str:
    return client("secretsmanager").get_secret_value(SecretId=arn)["SecretString"]
