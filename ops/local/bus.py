"""EventBridge locally: events handlers put on a bus reach the targets of the rules whose
patterns match, as the program declares them (rules and targets)."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone
from typing import Any, Callable


def _match_value(condition: Any, value: Any) -> bool:
    if isinstance(condition, dict):
        if "prefix" in condition:
            return isinstance(value, str) and value.startswith(condition["prefix"])
        if "suffix" in condition:
            return isinstance(value, str) and value.endswith(condition["suffix"])
        if "anything-but" in condition:
            excluded = condition["anything-but"]
            excluded = excluded if isinstance(excluded, list) else [excluded]
            return value is not None and value not in excluded
        if "exists" in condition:
            return (value is not None) == bool(condition["exists"])
        if "numeric" in condition:
            if not isinstance(value, (int, float)):
                return False
            ops = condition["numeric"]
            checks = {"<": value.__lt__, "<=": value.__le__, ">": value.__gt__, ">=": value.__ge__, "=": value.__eq__}
            return all(checks[ops[i]](ops[i + 1]) for i in range(0, len(ops), 2))
        return False
    return value == condition


def matches(pattern: dict, event: dict) -> bool:
    """EventBridge's pattern rules: every key must match; a list means "any of these"."""
    for key, condition in pattern.items():
        value = event.get(key) if isinstance(event, dict) else None
        if isinstance(condition, dict) and not set(condition) & {"prefix", "suffix", "anything-but", "exists", "numeric"}:
            if not isinstance(value, dict) or not matches(condition, value):
                return False
            continue
        options = condition if isinstance(condition, list) else [condition]
        if isinstance(value, list):
            if not any(_match_value(o, v) for o in options for v in value):
                return False
        elif not any(_match_value(o, value) for o in options):
            if not (value is None and any(isinstance(o, dict) and o.get("exists") is False for o in options)):
                return False
    return True


class Bus:
    def __init__(self, graph, invoke: Callable[[str, dict], Any], log: Callable[[str], None], region: str, account: str):
        self.invoke = invoke
        self.log = log
        self.region, self.account = region, account
        functions = {f.outputs["arn"]: f.name for f in graph.of_type("aws:lambda/function:Function")}
        rules = {r.inputs["name"]: r.inputs for r in graph.of_type("aws:cloudwatch/eventRule:EventRule")}
        self.routes: list[tuple[str, dict, str]] = []  # (rule, pattern, function)
        for target in graph.of_type("aws:cloudwatch/eventTarget:EventTarget"):
            rule = rules.get(target.inputs["rule"])
            if rule and target.inputs["arn"] in functions and rule.get("eventPattern"):
                self.routes.append((target.inputs["rule"], json.loads(rule["eventPattern"]), functions[target.inputs["arn"]]))

    def envelope(self, entry: dict) -> dict:
        return {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": entry.get("DetailType", ""),
            "source": entry.get("Source", ""),
            "account": self.account,
            "time": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": self.region,
            "resources": entry.get("Resources", []),
            "detail": json.loads(entry.get("Detail") or "{}"),
        }

    def put(self, entries: list[dict]) -> list[str]:
        """Deliver each entry to every matching rule's function; returns the functions invoked."""
        delivered = []
        for entry in entries:
            event = self.envelope(entry)
            for rule, pattern, function in self.routes:
                if matches(pattern, event):
                    self.log(f"bus {event['detail-type']} → rule {rule} → {function}")
                    self.invoke(function, event)
                    delivered.append(function)
        return delivered
