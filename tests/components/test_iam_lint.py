"""IAM lint: parliament (with its community auditors) over every IAM policy both stacks declare.

Linted: each role's inline policies (`aws:iam/rolePolicy:RolePolicy`) and the resource policies
(S3 bucket policies, SNS topic policies). Not linted: roles' trust policies, which parliament
does not support (it requires a Resource element, which trust policies never have).

A policy must lint clean, or each finding must be one the allow-list below justifies, pinned to
the action and the resources it concerns: a finding on anything else fails, and so does an entry
no policy needs any more. Offline: parliament checks against the IAM data its wheel carries.
"""

from __future__ import annotations

import json
import re
from typing import NamedTuple

import pytest
from parliament import analyze_policy_string

from tests.components.graphs import POLICY

RESOURCE_POLICIES = ("aws:s3/bucketPolicy:BucketPolicy", "aws:sns/topicPolicy:TopicPolicy")


class Allowed(NamedTuple):
    issue: str
    action: str
    resource: re.Pattern
    why: str


ALLOWED = (
    Allowed(
        "RESOURCE_STAR",
        "sns:Publish",
        re.compile(r"^\*$"),
        "a text is an SNS Publish to a phone number, and a phone number has no ARN: AWS documents "
        "Resource '*' for it. The program publishes to no topic (links.UNSCOPED).",
    ),
    Allowed(
        "PERMISSIONS_MANAGEMENT_ACTIONS",
        "iam:PassRole",
        re.compile(r"^arn:aws:iam::\d{12}:role/mainstreet-[a-z0-9]+-notify-deferred$"),
        "functions that send marketing create the one-off schedules that bring a message held by "
        "quiet hours back (handlers.shared.notify), so they must pass those schedules' role "
        "(notify-deferred: only Scheduler may assume it, and it may only invoke notify-events); "
        "that one role and no other.",
    ),
    Allowed(
        "RESOURCE_MISMATCH",
        "bedrock:InvokeModel",
        # The global inference profile and the foundation model it routes to, in this region and
        # in no region (the ARN AWS documents for global cross-Region inference).
        re.compile(r"^arn:aws:bedrock:([a-z0-9-]+)?:(\d{12})?:(inference-profile|foundation-model)/[a-z0-9.-]+:\d+$"),
        "parliament demands, per action, a resource of every type AWS's reference marks as required; "
        "for bedrock:InvokeModel those are eight alternatives (foundation model, inference profile, "
        "provisioned model, ...), of which a request touches one, so only Resource '*' could pass. "
        "The ARNs themselves are AWS's documented ones for a global inference profile.",
    ),
)


def findings(document: dict) -> list:
    return analyze_policy_string(json.dumps(document), include_community_auditors=True).findings


def _listed(value) -> list:
    return [value] if isinstance(value, str) else list(value)


def atoms(document: dict):
    """The document cut into one-action, one-resource statements (each keeping the rest of its
    statement: effect, principal, condition), so a finding can be pinned to what it is about."""
    statements = document["Statement"]
    for statement in [statements] if isinstance(statements, dict) else statements:
        for action in _listed(statement.get("Action", [])):
            for resource in _listed(statement.get("Resource", [])):
                atom = dict(statement, Action=action, Resource=resource)
                yield action, resource, {"Version": "2012-10-17", "Statement": [atom]}


def _actions(finding) -> set[str] | None:
    """The actions a finding names (lower case), or None when it names none."""
    if isinstance(finding.detail, list):  # RESOURCE_MISMATCH: [{"action": ..., "required_format": ...}]
        return {d["action"].lower() for d in finding.detail if isinstance(d, dict) and "action" in d} or None
    if isinstance(finding.location, dict) and finding.location.get("actions"):  # community auditors
        return {a.lower() for a in finding.location["actions"]}
    return None


def unexplained(document: dict, used: set[int]) -> list[str]:
    """Findings on the document that the allow-list does not justify (and which entries it used).

    Each finding is pinned to the single action-resource pairs of the actions it names that show
    the same finding on their own; it is excused only if there are such pairs and the allow-list
    justifies every one of them."""
    problems = []
    for finding in findings(document):
        named = _actions(finding)
        culprits = [(action, resource) for action, resource, atom in atoms(document)
                    if (named is None or action.lower() in named) and finding.issue in {f.issue for f in findings(atom)}]
        entries = [next((i for i, a in enumerate(ALLOWED) if (a.issue, a.action) == (finding.issue, action)
                         and a.resource.match(resource)), None) for action, resource in culprits]
        if culprits and None not in entries:
            used.update(e for e in entries if e is not None)
            continue
        shown = [f"{a} {r}" for (a, r), e in zip(culprits, entries) if e is None] or ["(no single statement shows it)"]
        problems.append(f"{finding.issue} on {', '.join(shown)}: {finding.detail or finding.location}")
    return problems


def documents(graph) -> dict[str, dict]:
    found = {f"role policy {p.name}": json.loads(p.inputs["policy"]) for p in graph.of_type(POLICY)}
    for type_ in RESOURCE_POLICIES:
        kind = type_.split(":")[1].split("/")[1]
        found.update({f"{kind} {r.name}": json.loads(r.inputs["policy"]) for r in graph.of_type(type_)})
    return found


def test_every_policy_of_both_stacks_lints_clean_or_is_justified(dev_graph, prod_graph):
    used: set[int] = set()
    problems = []
    for graph in (dev_graph, prod_graph):
        docs = documents(graph)
        assert sum(name.startswith("role policy ") for name in docs) >= 20, "no role policies found"
        assert any(not name.startswith("role policy ") for name in docs), "no resource policies found"
        for name, document in docs.items():
            problems += [f"{graph.stack} {name}: {p}" for p in unexplained(document, used)]
    assert not problems, "parliament:\n" + "\n".join(problems)
    stale = [ALLOWED[i] for i in range(len(ALLOWED)) if i not in used]
    assert not stale, f"allow-list entries no policy needs any more: {stale}"


@pytest.mark.parametrize("statement, issue", [
    ({"Action": "s3:GetObjects", "Resource": "arn:aws:s3:::b/k"}, "UNKNOWN_ACTION"),
    ({"Action": "s3:GetObject", "Resource": "arn:aws:s3:::b"}, "RESOURCE_MISMATCH"),
    ({"Action": "dynamodb:Query", "Resource": "arn:aws:dynamodb:us-west-2:123456789012:table/t",
      "Condition": {"StringEquals": {"dynamodb:LeadingKey": "x"}}}, "UNKNOWN_CONDITION_FOR_ACTION"),
    ({"Action": "iam:PassRole", "Resource": "arn:aws:iam::123456789012:role/someone-else"}, "PERMISSIONS_MANAGEMENT_ACTIONS"),
    ({"Action": "bedrock:InvokeModel", "Resource": "arn:aws:bedrock:us-west-2::model/x"}, "RESOURCE_MISMATCH"),
])
def test_the_lint_reports_what_it_should_and_the_allow_list_excuses_only_its_own(statement, issue):
    document = {"Version": "2012-10-17", "Statement": [dict(statement, Effect="Allow")]}
    problems = unexplained(document, set())
    assert problems and all(p.startswith(issue) for p in problems), problems
