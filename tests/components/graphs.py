"""What the component tests share: resource types, lookups in a program's graph, and each
function's permissions as (action, resource, condition) triples named by logical names.

A plain module rather than a test module, so no test imports another test module.
"""

from __future__ import annotations

import json
import os
from typing import NamedTuple

LAMBDA = "aws:lambda/function:Function"
POLICY = "aws:iam/rolePolicy:RolePolicy"
ROLE = "aws:iam/role:Role"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
TABLE = "aws:dynamodb/table:Table"
BUCKET = "aws:s3/bucket:Bucket"
DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
PARAMETER = "aws:ssm/parameter:Parameter"
SCHEDULE = "aws:scheduler/schedule:Schedule"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"


def functions(graph):
    return graph.of_type(LAMBDA)


def policy_of(graph, function_name: str) -> dict:
    """The inline policy the program names after a function."""
    return json.loads(graph.named(POLICY, function_name).inputs["policy"])


def behaviours(distribution) -> list[dict]:
    return [distribution.inputs["defaultCacheBehavior"], *distribution.inputs.get("orderedCacheBehaviors", [])]


def behaviour_for(graph, site: str, path: str) -> dict:
    distribution = graph.named(DISTRIBUTION, site)
    matches = [b for b in distribution.inputs.get("orderedCacheBehaviors", []) if b["pathPattern"] == path]
    assert len(matches) == 1, (site, path)
    return matches[0]


def request_policy(graph, policy_id: str) -> dict:
    matches = [r for r in graph.of_type("aws:cloudfront/originRequestPolicy:OriginRequestPolicy") if r.id == policy_id]
    assert len(matches) == 1, policy_id
    return matches[0].inputs


# ---------------------------------------------------------------------------------------------
# Permissions, symbolically: `table:jobs/index/by-status`, `secret:origin-verify`,
# `parameter:/sites/ops/url`, `log-group:self:*`, `bus:default`, `*` …, so one table reads the
# same for every stack.


class Grant(NamedTuple):
    action: str
    resource: str
    condition: str = ""  # compact: "LeadingKeys=JOB#*,TRACK#*"; "" when unconditional

    def __str__(self) -> str:
        return f"{self.action}  {self.resource}" + (f"  if {self.condition}" if self.condition else "")


def secrets(graph) -> list:
    """The stack's secrets: SecureString parameters (plain String ones hold addresses and settings)."""
    return [p for p in graph.of_type(PARAMETER) if p.inputs.get("type") == "SecureString"]


# What a declared resource's ARN is called in a grant: `<kind>:<logical name>`.
KINDS = {
    TABLE: "table",
    BUCKET: "bucket",
    LAMBDA: "function",
    DISTRIBUTION: "distribution",
    ROLE: "role",
    LOG_GROUP: "log-group",
    SCHEDULE: "schedule",
    "aws:sns/topic:Topic": "topic",
    "aws:sesv2/configurationSet:ConfigurationSet": "mail-configuration-set",
    "aws:sesv2/emailIdentity:EmailIdentity": "mail-identity",
    "aws:cognito/userPool:UserPool": "userpool",
}

# Short names for condition clauses that read the same everywhere.
CONDITION_ALIASES = {("ForAllValues:StringLike", "dynamodb:LeadingKeys"): "LeadingKeys"}

STATEMENT_KEYS = {"Sid", "Effect", "Action", "Resource", "Condition"}


def _listed(value) -> list:
    return [value] if isinstance(value, str) else list(value)


class Names:
    """Physical names and ARNs of one stack → symbolic names, read off the graph itself."""

    def __init__(self, graph):
        fns = functions(graph)
        assert fns, "the graph declares no function"
        prefixes = {fn.inputs["name"].removesuffix(fn.name) for fn in fns}
        assert len(prefixes) == 1, f"functions do not share one physical prefix: {prefixes}"
        self.prefix = prefixes.pop()  # "mainstreet-dev-"
        self.region, self.account = fns[0].outputs["arn"].split(":")[3:5]
        # Parameter Store paths (settings and secrets alike) share the stack's root ("/mainstreet/dev").
        paths = [r.inputs["name"] for r in graph.of_type(PARAMETER)]
        self.path_root = os.path.commonpath(paths) if paths else ""
        assert self.path_root.endswith(graph.stack), f"no common path root for the stack: {self.path_root!r}"
        self.by_arn: dict[str, str] = {}
        for type_, kind in KINDS.items():
            for resource in graph.of_type(type_):
                arn = resource.outputs.get("arn")
                if arn:
                    assert arn not in self.by_arn, f"two resources have the ARN {arn}"
                    self.by_arn[arn] = f"{kind}:{resource.name}"
        for secret in secrets(graph):  # SecureString parameters: the stack's secrets (blocks/secret.py)
            self.by_arn[secret.outputs["arn"]] = f"secret:{secret.name}"
        self._longest_first = sorted(self.by_arn, key=len, reverse=True)

    def __call__(self, arn: str) -> str:
        if arn == "*":  # actions without resource-level permissions (dynamodb:ListStreams)
            return "*"
        if arn in self.by_arn:
            return self.by_arn[arn]
        for declared in self._longest_first:  # a part of a declared resource: index, stream, key, streams
            rest = arn[len(declared):]
            if arn.startswith(declared) and rest[:1] in ("/", ":"):
                return self.by_arn[declared] + rest
        service, region, account, rest = (arn.split(":", 5) + [""] * 6)[2:6]
        if service == "events" and rest == "event-bus/default":
            return "bus:default"
        if service == "ssm" and rest.startswith("parameter" + self.path_root):
            return "parameter:" + rest.removeprefix("parameter" + self.path_root)
        if service == "scheduler" and rest.startswith("schedule/"):
            group, name = rest.removeprefix("schedule/").split("/", 1)
            return f"schedule:{name.removeprefix(self.prefix)}" if group == "default" else f"schedule:{group}/{name}"
        # Anything else (AWS-provided: Bedrock models, …): the ARN with this stack's region and account as placeholders.
        region = "{region}" if region == self.region else region
        account = "{account}" if account == self.account else account
        return ":".join(["arn", "aws", service, region, account, rest])

    def condition(self, condition: dict | None) -> str:
        clauses = []
        for operator, tests in sorted((condition or {}).items()):
            for key, values in sorted(tests.items()):
                shown = sorted(self(v) if isinstance(v, str) and v.startswith("arn:") else str(v) for v in _listed(values))
                name = CONDITION_ALIASES.get((operator, key), f"{operator}:{key}")
                clauses.append(f"{name}={','.join(shown)}")
        return " & ".join(clauses)


def document_grants(document: dict, names: Names, own_log_group: str = "") -> set[Grant]:
    """One policy document as triples: how statements group actions and resources does not matter."""
    found: set[Grant] = set()
    statements = document["Statement"]
    for statement in [statements] if isinstance(statements, dict) else statements:
        unknown = set(statement) - STATEMENT_KEYS
        assert not unknown, f"a statement uses {sorted(unknown)}, which the permission table cannot express: {statement}"
        assert statement["Effect"] == "Allow", f"a statement that does not allow: {statement}"
        condition = names.condition(statement.get("Condition"))
        for action in _listed(statement["Action"]):
            for resource in _listed(statement["Resource"]):
                name = names(resource)
                if own_log_group and name.split(":*")[0] == own_log_group:
                    name = "log-group:self" + name.removeprefix(own_log_group)
                found.add(Grant(action, name, condition))
    return found


def _loaded(policy) -> dict:
    return json.loads(policy) if isinstance(policy, str) else policy


def policy_documents(graph) -> dict[str, list[dict]]:
    """Function logical name → every policy document its role holds (inline on the role, role
    policies naming it). Managed policies attached to the role show as a `managed-policy` grant."""
    roles = {r.outputs.get("arn"): r for r in graph.of_type(ROLE)}
    documents: dict[str, list[dict]] = {}
    for fn in functions(graph):
        role = roles[fn.inputs["role"]]
        handles = {role.inputs.get("name"), role.outputs.get("name"), role.id, role.outputs.get("arn")} - {None, ""}
        found = [_loaded(p.inputs["policy"]) for p in graph.of_type(POLICY) if p.inputs.get("role") in handles]
        found += [_loaded(p["policy"]) for p in role.inputs.get("inlinePolicies") or [] if p.get("policy")]
        managed = list(role.inputs.get("managedPolicyArns") or [])
        managed += [a.inputs["policyArn"] for a in graph.of_type(ATTACHMENT) if a.inputs.get("role") in handles]
        if managed:
            found.append({"Statement": [{"Effect": "Allow", "Action": "managed-policy", "Resource": managed}]})
        documents[fn.name] = found
    return documents


def grants(graph, documents: dict[str, list[dict]] | None = None) -> dict[str, set[Grant]]:
    """Function logical name → its grants. `documents` replaces the graph's policies (to test the test)."""
    names = Names(graph)
    documents = policy_documents(graph) if documents is None else documents
    log_groups = {r.inputs["name"]: names.by_arn.get(r.outputs.get("arn", ""), "") for r in graph.of_type(LOG_GROUP)}
    found: dict[str, set[Grant]] = {}
    for fn in functions(graph):
        own = log_groups.get(fn.inputs.get("loggingConfig", {}).get("logGroup", ""), "")
        found[fn.name] = set().union(*(document_grants(d, names, own) for d in documents[fn.name]))
    return found
