"""dev and prod share the account's default EventBridge bus: a stack's rules must match the events
its own functions put, and never those of the other stack (prod customers' mail from dev).

Each function allowed events:PutEvents is loaded with exactly the environment the program gives
it and made to put its events (AWS stubbed at the client); the events are then evaluated against
every rule's generated pattern by moto's EventBridge pattern matcher (the one its rules use; moto
does not implement the TestEventPattern call) and by local mode's bus.
"""

from __future__ import annotations

import importlib
import sys

import pytest
from moto.events.models import EventPattern

from ops.local.bus import Bus
from ops.local.events import LambdaContext
from tests.components.graphs import functions, grants

RULE = "aws:cloudwatch/eventRule:EventRule"
PHONE = "+6591234567"


class Recorder:
    """Stands in for `handlers.shared.aws.client`: keeps what is put on the bus, allows nothing else."""

    def __init__(self):
        self.entries: list[dict] = []

    def __call__(self, service: str):
        assert service == "events", f"the driver did not stub a {service} call"
        return self

    def put_events(self, Entries):
        self.entries.extend(Entries)
        return {"FailedEntryCount": 0, "Entries": [{"EventId": str(i)} for i, _ in enumerate(Entries)]}


def _earn(module, patch):
    module.emit("reward_earned", {"phone": PHONE, "reward_id": "free-drink", "balance": 110})
    module.emit("held_for_review", {"phone": PHONE, "sale_id": "S-1", "points": 900, "why": "points over 500"})


def _desk(module, patch):
    module.emit("reward_earned", {"phone": PHONE, "reward_id": "free-drink", "balance": 120})  # a released held sale


def _nightly(module, patch):
    patch.setattr(module, "changed_today", lambda day: [PHONE])
    module.handler({"day": "2026-03-02"}, LambdaContext(function_name="loyalty-nightly-balance"))


def _sweep(module, patch):
    patch.setattr(module.knobs, "knobs", lambda path: {"lapsing-weeks": "6", "regular-threshold": "3", "max-nudges": "2"})
    patch.setattr(module.storage, "lapsing_candidates",
                  lambda *a: [{"phone": PHONE, "visit_count": 5, "last_seen": "2025-01-01T09:00:00Z"}])
    patch.setattr(module.storage, "mark_lapsing", lambda *a: True)
    module.handler({}, LambdaContext(function_name="loyalty-lapsing-sweep"))


# How to make each handler that puts events put them. A new one must be added here.
DRIVERS = {
    "handlers.loyalty.earn": _earn,
    "handlers.loyalty.redeem": _desk,
    "handlers.loyalty.nightly_balance": _nightly,
    "handlers.loyalty.lapsing_sweep": _sweep,
}


def put_by(graph, monkeypatch) -> dict[str, list[dict]]:
    """Function name → the entries it puts on the bus, run with its own environment."""
    allowed = grants(graph)
    found = {}
    for fn in functions(graph):
        if not any(g.action == "events:PutEvents" for g in allowed[fn.name]):
            continue
        module_name = fn.inputs["handler"].rsplit(".", 1)[0]
        assert module_name in DRIVERS, f"{fn.name} may put events: add a driver for {module_name}"
        with monkeypatch.context() as patch:
            for key, value in fn.inputs["environment"]["variables"].items():
                patch.setenv(key, value)
            sys.modules.pop(module_name, None)
            module = importlib.import_module(module_name)
            recorder = Recorder()
            patch.setattr(module, "client", recorder)
            DRIVERS[module_name](module, patch)
            sys.modules.pop(module_name, None)  # the next import reads its own stack's environment
        assert recorder.entries, f"{fn.name}'s driver put nothing"
        found[fn.name] = recorder.entries
    return found


def envelope(entry: dict, graph) -> dict:
    return Bus(graph, lambda *a: None, lambda line: None, "us-west-2", "123456789012").envelope(entry)


def patterns(graph) -> dict[str, str]:
    return {rule.name: rule.inputs["eventPattern"] for rule in graph.of_type(RULE) if rule.inputs.get("eventPattern")}


@pytest.fixture(scope="module")
def stacks(dev_graph, prod_graph):
    return {"dev": dev_graph, "prod": prod_graph}


@pytest.fixture
def puts(stacks, monkeypatch):
    return {stack: put_by(graph, monkeypatch) for stack, graph in stacks.items()}


def test_each_stacks_events_reach_its_own_rules_and_never_the_other_stacks(stacks, puts):
    other = {"dev": "prod", "prod": "dev"}

    def matched(pattern: str, event: dict) -> bool:
        return EventPattern.load(pattern).matches_event(event)

    for stack, graph in stacks.items():
        assert puts[stack], f"{stack}: no function puts events"
        own, foreign = patterns(graph), patterns(stacks[other[stack]])
        assert own and foreign
        for function, entries in puts[stack].items():
            for entry in entries:
                event = envelope(entry, graph)
                leaks = [rule for rule, pattern in foreign.items() if matched(pattern, event)]
                assert not leaks, f"{stack} {function}'s {entry['DetailType']} matches {other[stack]}'s rules {leaks}"
        # The mail rule still gets what it is for (held_for_review has no rule: staff read the table).
        mailed = [e for entries in puts[stack].values() for e in entries if e["DetailType"] != "held_for_review"]
        assert {e["DetailType"] for e in mailed} == {"reward_earned", "nightly_email", "winback_nudge"}
        for entry in mailed:
            assert any(matched(p, envelope(entry, graph)) for p in own.values()), f"{stack}: no rule of its own matches {entry}"


def test_local_modes_bus_routes_each_stacks_events_to_its_own_functions_only(stacks, puts):
    for stack, graph in stacks.items():
        for other, other_graph in stacks.items():
            delivered: list[str] = []
            bus = Bus(other_graph, lambda function, event: delivered.append(function), lambda line: None, "us-west-2", "123456789012")
            for entries in puts[stack].values():
                bus.put(entries)
            if other == stack:
                assert delivered and set(delivered) == {"loyalty-email-dispatch"}, (stack, delivered)
            else:
                assert delivered == [], f"{stack}'s events reached {other}'s {delivered}"


def test_the_source_names_the_stack(puts):
    for stack, by_function in puts.items():
        assert {e["Source"] for entries in by_function.values() for e in entries} == {f"mainstreet.{stack}.loyalty"}
