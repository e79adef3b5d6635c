"""Count the AWS calls code makes, by service and operation, with botocore's event hooks."""

from __future__ import annotations

import re
from collections import Counter
from contextlib import contextmanager
from typing import Iterator

import boto3

WRITE = re.compile(r"^(Put|Update|Delete|TransactWrite|BatchWrite|Create|Send|Publish)")
READ = re.compile(r"^(Get|Query|Scan|BatchGet|TransactGet|Describe|List)")


class Calls:
    def __init__(self) -> None:
        self.log: list[tuple[str, str]] = []

    def __call__(self, model=None, **_) -> None:
        self.log.append((model.service_model.service_name, model.name))

    def of(self, service: str) -> list[str]:
        return [op for svc, op in self.log if svc == service]

    def writes(self, service: str = "dynamodb") -> list[str]:
        return [op for op in self.of(service) if WRITE.match(op)]

    def reads(self, service: str = "dynamodb") -> list[str]:
        return [op for op in self.of(service) if READ.match(op)]

    def counts(self) -> Counter:
        return Counter(f"{svc}:{op}" for svc, op in self.log)

    def clear(self) -> None:
        self.log.clear()


@contextmanager
def counting(session: boto3.Session | None = None) -> Iterator[Calls]:
    """Counts calls of clients created from `session` (default: the handlers') while open.

    Clients copy the session's hooks when they are made, so make them inside the block.
    """
    if session is None:
        from handlers.shared.aws import session as handler_session

        session = handler_session()
    calls = Calls()
    session.events.register("before-call", calls, unique_id="ops.awscalls")
    try:
        yield calls
    finally:
        session.events.unregister("before-call", unique_id="ops.awscalls")
