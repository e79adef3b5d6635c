"""Linking: one declaration gives a function both its IAM statements and its environment.

A block offers named grants (`jobs.read(keys=["TRACK#*"])`, `ledger.append()`,
`bucket.write("g/")`, `secret.read`, `fn.invoke`), each built from one table of actions per
resource kind (like CDK's grants); a function lists the links it uses. From that list, and
nothing else, come the function's least-privilege policy (exact ARNs) and the environment
variables that tell the handler where each resource is, named by the same rule the handler's
settings use (`handlers/shared/settings.py`). A function therefore cannot use a resource it did
not declare, nor lack the variable for one it did.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Mapping, Optional, Sequence

import pulumi

from handlers.shared.settings import env_name

# What each grant of each kind of resource allows. Grants name intent; a block offers them.
ACTIONS: dict[str, dict[str, tuple[str, ...]]] = {
    "table": {
        "get": ("dynamodb:GetItem",),
        "query": ("dynamodb:Query",),
        "scan": ("dynamodb:Scan",),  # backups only: no request path scans
        "put": ("dynamodb:PutItem",),
        "append": ("dynamodb:PutItem",),  # new rows only; the handler's condition keeps them new
        "update": ("dynamodb:UpdateItem",),
        "delete": ("dynamodb:DeleteItem",),
        "check": ("dynamodb:ConditionCheckItem",),
        "batch_get": ("dynamodb:BatchGetItem",),
    },
    "stream": {
        "read": ("dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"),
        "list": ("dynamodb:ListStreams",),  # on "*" only: see UNSCOPED
    },
    "bucket": {
        "read": ("s3:GetObject",),
        "read_versions": ("s3:GetObject", "s3:GetObjectVersion"),
        "list_versions": ("s3:ListBucketVersions",),
        "write": ("s3:PutObject",),
    },
    # SecureString parameters (blocks/secret.py): no kms:Decrypt, the aws/ssm key's policy covers it
    "secret": {"read": ("ssm:GetParameter",)},
    "parameter": {"read": ("ssm:GetParameter",), "read_path": ("ssm:GetParametersByPath",)},
    "function": {"invoke": ("lambda:InvokeFunction",)},
    "distribution": {"invalidate": ("cloudfront:CreateInvalidation",)},
    "bus": {"put": ("events:PutEvents",)},
    "mailer": {"send": ("ses:SendEmail",)},
    "sms": {"send": ("sns:Publish",), "opt_outs": ("sns:ListPhoneNumbersOptedOut",)},
    "schedules": {"create": ("scheduler:CreateSchedule",)},
    "role": {"pass": ("iam:PassRole",)},
    "model": {"invoke": ("bedrock:InvokeModel",)},
    # The sign-in calls (InitiateAuth, RespondToAuthChallenge, ForgotPassword...) are public: IAM
    # does not authorize them, so no grant names them.
    "userpool": {
        "owners": ("cognito-idp:ListUsersInGroup",),
        "list": ("cognito-idp:ListUsers", "cognito-idp:ListUsersInGroup", "cognito-idp:AdminGetUser",
                 "cognito-idp:AdminListGroupsForUser"),
        "manage": ("cognito-idp:AdminCreateUser", "cognito-idp:AdminDisableUser", "cognito-idp:AdminEnableUser",
                   "cognito-idp:AdminAddUserToGroup", "cognito-idp:AdminRemoveUserFromGroup",
                   "cognito-idp:AdminUserGlobalSignOut", "cognito-idp:AdminSetUserPassword"),
    },
}


# Actions with no resource-level permissions (AWS's Service Authorization Reference lists no
# resource type for them): IAM matches them only against "*", so a statement naming an ARN for
# one never grants it. grant() refuses them anywhere else. sns:Publish is here because the
# program publishes only texts: a phone number has no ARN (a topic would need a kind of its own).
UNSCOPED = frozenset({"dynamodb:ListStreams", "sns:ListPhoneNumbersOptedOut", "sns:Publish"})


def actions(kind: str, *grants: str) -> tuple[str, ...]:
    table = ACTIONS[kind]
    unknown = [g for g in grants if g not in table]
    if unknown:
        raise ValueError(f"a {kind} offers no grant {unknown}; it offers {sorted(table)}")
    return tuple(dict.fromkeys(a for g in grants for a in table[g]))


@dataclass(frozen=True)
class Statement:
    actions: tuple[str, ...]
    resources: tuple[pulumi.Input[str], ...]
    condition: Optional[str] = None  # an IAM Condition block, JSON-encoded (hashable, comparable)


@dataclass(frozen=True)
class Link:
    kind: str  # the kind of resource linked: a key of ACTIONS, or "setting"
    name: str  # the linked resource's logical name
    grants: tuple[str, ...] = ()
    env: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    statements: tuple[Statement, ...] = ()
    resource: Any = field(default=None, compare=False)  # the block linked, for checks between blocks

    @property
    def target(self) -> str:
        """For people: `table jobs (get+put)`."""
        return f"{self.kind} {self.name}" + (f" ({'+'.join(self.grants)})" if self.grants else "")


def grant(
    kind: str,
    name: str,
    grants: Sequence[str],
    resources: Sequence[pulumi.Input[str]],
    *,
    env: Mapping[str, pulumi.Input[str]] | None = None,
    condition: dict | None = None,
    resource: Any = None,
) -> Link:
    """A link allowing `grants` (from ACTIONS[kind]) on `resources`."""
    allowed = actions(kind, *grants)
    unscoped = sorted(UNSCOPED & set(allowed))
    if unscoped and (list(resources) != ["*"] or condition):
        raise ValueError(f"{unscoped} take only Resource \"*\" without a condition: grant them in a statement of their own")
    statement = Statement(allowed, tuple(resources), json.dumps(condition, sort_keys=True) if condition else None)
    return Link(kind, name, tuple(grants), dict(env or {}), (statement,), resource)


def setting(name: str, value: pulumi.Input[str]) -> Link:
    """A plain, non-secret value the handler needs (a URL, a campaign name): env only, no IAM."""
    return Link("setting", name, env={env_name(name, "setting"): value})


def default_bus(region: str, account_id: str) -> Link:
    """Put events on the account's default EventBridge bus."""
    return grant("bus", "default", ["put"], [f"arn:aws:events:{region}:{account_id}:event-bus/default"],
                 env={env_name("default", "bus"): "default"})


def merge_env(links: Sequence[Link]) -> dict[str, pulumi.Input[str]]:
    env: dict[str, pulumi.Input[str]] = {}
    for link in links:
        for key, value in link.env.items():
            if key in env and env[key] is not value:
                raise ValueError(f"two links set {key}: rename one of the linked resources")
            env[key] = value
    return env


def policy_document(statements: Sequence[Statement]) -> pulumi.Output[str]:
    """An IAM policy: statements on the same resources and condition share one entry, then
    entries with the same actions and condition share one, so the document stays small."""
    resolved = pulumi.Output.all(*[pulumi.Output.all(*s.resources) for s in statements])

    def render(resource_lists: list[list[str]]) -> str:
        by_scope: dict[tuple, set[str]] = {}
        for statement, resources in zip(statements, resource_lists):
            scope = (tuple(sorted(set(resources))), statement.condition)
            by_scope.setdefault(scope, set()).update(statement.actions)
        by_actions: dict[tuple, set[str]] = {}
        for (resources, condition), acts in by_scope.items():
            by_actions.setdefault((tuple(sorted(acts)), condition), set()).update(resources)
        body = []
        for (acts, condition), resources in by_actions.items():
            entry: dict = {"Effect": "Allow", "Action": list(acts), "Resource": sorted(resources)}
            if condition:
                entry["Condition"] = json.loads(condition)
            body.append(entry)
        body.sort(key=lambda e: json.dumps(e, sort_keys=True))
        return json.dumps({"Version": "2012-10-17", "Statement": body}, sort_keys=True)

    return resolved.apply(lambda lists: render([list(r) for r in lists]))
