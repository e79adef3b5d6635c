"""Linking: one declaration gives a function both its IAM statements and its environment.

A resource offers links (`table.write`, `bucket.read("g/")`, `secret.read`); a function lists the
links it uses. From that list, and nothing else, come the function's least-privilege policy
(exact ARNs) and the environment variables that tell the handler where each resource is. A
function therefore cannot use a resource it did not declare, nor lack the variable for one it did.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Mapping, Optional, Sequence

import pulumi


@dataclass(frozen=True)
class Statement:
    actions: tuple[str, ...]
    resources: tuple[pulumi.Input[str], ...]
    condition: Optional[str] = None  # an IAM Condition block, JSON-encoded (hashable, comparable)


@dataclass(frozen=True)
class Link:
    target: str  # what is linked, for people: "table referral-stats (write)"
    env: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    statements: tuple[Statement, ...] = ()


def env_name(name: str, kind: str) -> str:
    """`clicks`, `table` → `CLICKS_TABLE`: the variable a handler's settings field is aliased to."""
    return f"{re.sub(r'[^A-Za-z0-9]', '_', name).upper()}_{kind.upper()}"


def setting(name: str, value: pulumi.Input[str]) -> Link:
    """A plain, non-secret value the handler needs (a URL, a campaign name): env only, no IAM."""
    return Link(target=f"setting {name}", env={env_name(name, "setting"): value})


def merge_env(links: Sequence[Link]) -> dict[str, pulumi.Input[str]]:
    env: dict[str, pulumi.Input[str]] = {}
    for link in links:
        for key, value in link.env.items():
            if key in env and env[key] is not value:
                raise ValueError(f"two links set {key}: rename one of the linked resources")
            env[key] = value
    return env


def policy_document(statements: Sequence[Statement]) -> pulumi.Output[str]:
    """An IAM policy with one statement per (actions, resources) pair, resources resolved."""
    grouped: dict[tuple, list[pulumi.Input[str]]] = {}
    for statement in statements:
        key = (tuple(sorted(set(statement.actions))), statement.condition)
        grouped.setdefault(key, []).extend(statement.resources)
    keys = list(grouped)

    def render(resolved: list[list[str]]) -> str:
        body = []
        for (actions, condition), resources in zip(keys, resolved):
            entry = {"Effect": "Allow", "Action": list(actions), "Resource": sorted(set(resources))}
            if condition:
                entry["Condition"] = json.loads(condition)
            body.append(entry)
        return json.dumps({"Version": "2012-10-17", "Statement": body}, sort_keys=True)

    return pulumi.Output.all(*[pulumi.Output.all(*grouped[k]) for k in keys]).apply(
        lambda resolved: render([list(r) for r in resolved])
    )


def default_bus(region: str, account_id: str) -> Link:
    """Put events on the account's default EventBridge bus."""
    return Link(
        target="default event bus (put)",
        env={"DEFAULT_BUS": "default"},
        statements=(Statement(("events:PutEvents",), (f"arn:aws:events:{region}:{account_id}:event-bus/default",)),),
    )
