"""boto3 clients made once per execution environment, from one session. Endpoints come from
the standard `AWS_ENDPOINT_URL_<SERVICE>` variables, which local mode sets and Lambda does not."""

from __future__ import annotations

from functools import lru_cache
from typing import Any


@lru_cache(maxsize=1)
def session() -> Any:
    import boto3

    return boto3.session.Session()


@lru_cache(maxsize=None)
def client(service: str) -> Any:
    return session().client(service)
