"""Every function's permissions, exactly: one table for both stacks.

Each row allows some actions on some resources, under a condition if any. The table and the
program's policies are compared as sets of (action, resource, condition) triples per function:
how a policy groups its statements does not matter, every triple does. Resources are named
symbolically (`tests/components/graphs.py` reads the names off the graph): `table:jobs`,
`table:jobs/index/by-status`, `bucket:brand-site/g/*`, `secret:origin-verify`,
`parameter:/sites/ops/url` (under the stack's path), `log-group:self:*` (the function's own),
`bus:default`, `schedule:defer-*` (under the stack's prefix), `*` (only for actions AWS matches
against nothing else), AWS-provided ARNs with `{region}` and `{account}` for the stack's own.

A table's rows name the table alone; an index a function queries has a row of its own, with the
condition on *that index's* partition key (tests/components/test_index_grants.py checks the
values its handler uses get through).

Where the stacks differ, a row says so with `stacks=`; a function whose rows all name one stack
exists only in that stack.
"""

from __future__ import annotations

import copy
import json
from typing import NamedTuple

import pytest

from tests.components.graphs import Grant, Names, document_grants, grants, policy_documents

STACKS = ("dev", "prod")
PROD = ("prod",)


class Row(NamedTuple):
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    condition: str
    stacks: tuple[str, ...]


def allow(actions: str, *resources: str, when: str = "", stacks: tuple[str, ...] = STACKS) -> Row:
    """`actions` space-separated; `when` the compact condition (`LeadingKeys=JOB#*,TRACK#*`)."""
    assert resources and set(stacks) <= set(STACKS), (actions, resources, stacks)
    return Row(tuple(actions.split()), resources, when, stacks)


def secrets(*names: str) -> Row:
    # SecureString parameters under the AWS-managed aws/ssm key: no kms:Decrypt grant (blocks/secret.py)
    return allow("ssm:GetParameter", *(f"secret:{name}" for name in names))


LOGS = allow("logs:CreateLogStream logs:PutLogEvents", "log-group:self:*")
MAIL = allow("ses:SendEmail", "mail-configuration-set:mailer", "mail-identity:mailer")
# Dev mails in SES sandbox mode: while the account is in the SES sandbox, SES also checks the send against
# each recipient's identity, so the grant names the redirect, the listed addresses (identities the stack
# declares) and the listed domains (verified elsewhere; the harness lists the demo data's example domains).
SANDBOX_DOMAINS = ("example.com", "crew.example", "dev.mainstreet.example", "solare.example", "smallgoods.example",
                   "puesto.example", "boardandbrew.example", "wholefoods.example", "totalwine.example", "giannibuonomo.example")
MAIL_SANDBOX = allow("ses:SendEmail", "mail-identity:mailer-to-developer@dev.mainstreet.example",
                     "mail-identity:mailer-to-ops@dev.mainstreet.example",
                     *(f"arn:aws:ses:{{region}}:{{account}}:identity/{domain}" for domain in SANDBOX_DOMAINS), stacks=("dev",))

# Every sender (handlers.shared.notify): its message rows and the day's suppressed counts, the
# suppression list in one read, and texts where the stack has them on (dev).
SEND = [
    MAIL, MAIL_SANDBOX,
    allow("dynamodb:GetItem dynamodb:PutItem dynamodb:UpdateItem", "table:notifications", when="LeadingKeys=COUNT#*,MSG#*"),
    allow("dynamodb:BatchGetItem", "table:notifications", when="LeadingKeys=TO#*"),
    allow("sns:Publish", "*", stacks=("dev",)),  # a phone number has no ARN
]
# Marketing senders also read the quiet hours, sign unsubscribe links (to the ops site) and hold
# messages for the end of quiet hours on one-off schedules.
MARKETING = [
    allow("ssm:GetParametersByPath", "parameter:/notify"), secrets("notify-token-key"),
    allow("ssm:GetParameter", "parameter:/sites/ops/url"),
    allow("scheduler:CreateSchedule", "schedule:notify-defer-*"), allow("iam:PassRole", "role:notify-deferred"),
]


def index_query(index: str, when: str = "") -> Row:
    """Query on one index (`table:jobs/index/by-status`); `when` is on the index's partition key."""
    return allow("dynamodb:Query", f"table:{index}", when=when)


# Every staff endpoint reads the session its cookie names (handlers.shared.auth.staff_only).
STAFF_SESSION = allow("dynamodb:GetItem", "table:staff-sessions", when="LeadingKeys=USER#*")
STATUSES = "LeadingKeys=cancelled,completed,in_progress,pending_pickup,ready_for_pickup"
RULES = allow("s3:ListBucketVersions", "bucket:loyalty-rules")
HAIKU = ("arn:aws:bedrock:{region}:{account}:inference-profile/global.anthropic.claude-haiku-4-5-20251001-v1:0",
         "arn:aws:bedrock:{region}::foundation-model/anthropic.claude-haiku-4-5-20251001-v1:0",
         "arn:aws:bedrock:::foundation-model/anthropic.claude-haiku-4-5-20251001-v1:0")

EXPECTED: dict[str, list[Row]] = {
    # platform
    "staff-session": [
        LOGS, secrets("origin-verify", "session-key"), *SEND,  # the lockout mail to owners
        allow("dynamodb:ConditionCheckItem dynamodb:DeleteItem dynamodb:GetItem dynamodb:PutItem dynamodb:Query "
              "dynamodb:UpdateItem", "table:staff-sessions", when="LeadingKeys=FAIL#*,USER#*"),  # sessions, state, counters
        allow("cognito-idp:ListUsersInGroup", "userpool:staff"),  # the owners (sign-in itself needs no IAM)
    ],
    "staff-team": [
        LOGS, secrets("origin-verify", "session-key"), STAFF_SESSION, *SEND,  # invitations sent again
        allow("dynamodb:DeleteItem dynamodb:PutItem dynamodb:Query", "table:staff-sessions", when="LeadingKeys=USER#*"),
        index_query("staff-sessions/index/signed-in"),  # only sessions carry `kind`
        allow("cognito-idp:ListUsers cognito-idp:ListUsersInGroup cognito-idp:AdminGetUser cognito-idp:AdminListGroupsForUser "
              "cognito-idp:AdminCreateUser cognito-idp:AdminDisableUser cognito-idp:AdminEnableUser "
              "cognito-idp:AdminAddUserToGroup cognito-idp:AdminRemoveUserFromGroup cognito-idp:AdminUserGlobalSignOut "
              "cognito-idp:AdminSetUserPassword",
              "userpool:staff"),
    ],
    "notify-events": [
        LOGS, *SEND, *MARKETING,
        allow("dynamodb:UpdateItem", "table:notifications", when="LeadingKeys=TO#*"),  # suppression
        allow("sns:ListPhoneNumbersOptedOut", "*", stacks=("dev",)),  # no resource-level permissions
    ],
    "notify-unsubscribe": [
        LOGS, secrets("origin-verify", "notify-token-key"),
        allow("dynamodb:GetItem", "table:notifications", when="LeadingKeys=MSG#*"),  # the message a link names
        allow("dynamodb:UpdateItem", "table:notifications", when="LeadingKeys=TO#*"),
    ],
    # referrals
    "referral-click": [
        LOGS, secrets("origin-verify", "visitor-salt"),
        allow("dynamodb:ConditionCheckItem dynamodb:UpdateItem", "table:referral-stats"),
        allow("dynamodb:PutItem", "table:referral-clicks"),
    ],
    "referral-api": [
        LOGS, secrets("origin-verify", "session-key"), STAFF_SESSION, *SEND, *MARKETING,  # vendor outreach
        allow("dynamodb:Query", "table:referral-stats"),
        allow("dynamodb:GetItem dynamodb:PutItem dynamodb:Query dynamodb:UpdateItem", "table:outreach"),
    ],
    "referral-digest": [
        LOGS, *SEND,
        allow("dynamodb:Query", "table:referral-stats"),
        allow("ssm:GetParameter", "parameter:/sites/ops/url"),
    ],
    # charters
    "charter-intake": [
        LOGS, secrets("origin-verify", "service-key", "crew-link-key"), *SEND,
        allow("dynamodb:GetItem dynamodb:PutItem dynamodb:Query dynamodb:UpdateItem", "table:charters"),
        allow("s3:PutObject", "bucket:brand-site/g/*"),
        allow("cloudfront:CreateInvalidation", "distribution:brand"),
        allow("ssm:GetParameter", "parameter:/sites/brand/url"),
    ],
    "charter-staff": [
        LOGS, secrets("origin-verify", "session-key", "crew-link-key"), STAFF_SESSION, *SEND,
        allow("dynamodb:Query dynamodb:UpdateItem", "table:charters", when="LeadingKeys=CAL#*,EVENT#*"),
    ],
    "charter-crew": [
        LOGS, secrets("origin-verify", "crew-link-key"),
        allow("dynamodb:Query dynamodb:UpdateItem", "table:charters", when="LeadingKeys=EVENT#*"),
    ],
    # dispatch
    "dispatch-booking": [
        LOGS, secrets("origin-verify"),
        allow("dynamodb:GetItem dynamodb:PutItem", "table:jobs", when="LeadingKeys=JOB#*,REQ#*,TRACK#*"),
    ],
    "dispatch-track": [
        LOGS, secrets("origin-verify"),
        allow("dynamodb:GetItem", "table:jobs", when="LeadingKeys=TRACK#*"),  # never a customer's JOB# row
    ],
    "dispatch-board": [
        LOGS, secrets("origin-verify", "session-key"), STAFF_SESSION,
        allow("dynamodb:GetItem dynamodb:PutItem dynamodb:UpdateItem", "table:jobs", when="LeadingKeys=JOB#*,TRACK#*"),
        index_query("jobs/index/by-status", when=STATUSES),  # the board's columns: job_status, not pk
    ],
    "dispatch-notify": [
        LOGS, *SEND,
        allow("dynamodb:DescribeStream dynamodb:GetRecords dynamodb:GetShardIterator", "table:jobs/stream/*"),
        allow("dynamodb:ListStreams", "*"),  # no resource-level permissions: on an ARN it is never granted
        allow("ssm:GetParameter", "parameter:/sites/dispatch/url"),
    ],
    # loyalty
    "loyalty-pos-webhook": [
        LOGS, secrets("origin-verify", "pos-hmac"),
        allow("lambda:InvokeFunction", "function:loyalty-earn"),
    ],
    "loyalty-earn": [
        LOGS, RULES,
        allow("dynamodb:GetItem dynamodb:PutItem dynamodb:UpdateItem", "table:loyalty-members", "table:loyalty-ledger",
              "table:loyalty-review"),
        allow("s3:GetObject s3:GetObjectVersion", "bucket:loyalty-rules/rules.txt"),
        allow("events:PutEvents", "bus:default"),
    ],
    "loyalty-signup": [
        LOGS, secrets("origin-verify", "member-token-key"), *SEND, RULES,  # the reward ladder
        allow("dynamodb:GetItem dynamodb:PutItem dynamodb:UpdateItem", "table:loyalty-members"),
        allow("s3:GetObject s3:GetObjectVersion", "bucket:loyalty-rules/rules.txt"),
    ],
    "loyalty-points": [
        LOGS, secrets("origin-verify", "member-token-key"), *SEND, RULES,
        allow("dynamodb:GetItem dynamodb:PutItem dynamodb:UpdateItem dynamodb:DeleteItem", "table:loyalty-codes"),
        allow("dynamodb:GetItem dynamodb:UpdateItem", "table:loyalty-members"),
        allow("dynamodb:Query", "table:loyalty-ledger"),  # the member's own last visits
        allow("s3:GetObject s3:GetObjectVersion", "bucket:loyalty-rules/rules.txt"),
    ],
    "loyalty-redeem": [
        LOGS, secrets("origin-verify", "session-key", "member-token-key"), STAFF_SESSION, RULES, *SEND,
        allow("dynamodb:GetItem dynamodb:PutItem dynamodb:UpdateItem", "table:loyalty-members"),
        allow("dynamodb:PutItem dynamodb:Query", "table:loyalty-ledger"),
        index_query("loyalty-ledger/index/by-ref"),  # any redemption id; it reads the whole ledger anyway
        allow("dynamodb:PutItem", "table:loyalty-audit"),
        allow("dynamodb:GetItem dynamodb:UpdateItem", "table:loyalty-review"),
        index_query("loyalty-review/index/by-status", when="LeadingKeys=open"),  # held sales still waiting
        allow("s3:GetObject s3:GetObjectVersion", "bucket:loyalty-rules/rules.txt"),
        allow("events:PutEvents", "bus:default"),  # a released sale that crosses a reward
    ],
    "loyalty-email-dispatch": [
        LOGS, *SEND, *MARKETING, RULES,  # suppression, quiet hours and their schedules are the notifier's
        secrets("member-token-key"), allow("ssm:GetParameter", "parameter:/sites/loyalty/url"),  # the personal points link
        allow("dynamodb:GetItem", "table:loyalty-members"),
        allow("dynamodb:UpdateItem", "table:loyalty-ledger"),  # a zero-point row per message sent
        allow("s3:GetObject s3:GetObjectVersion", "bucket:loyalty-rules/rules.txt", "bucket:loyalty-rules/voice.txt"),
    ],
    "loyalty-nightly-balance": [
        LOGS,
        index_query("loyalty-ledger/index/by-day"),
        allow("events:PutEvents", "bus:default"),
    ],
    "loyalty-lapsing-sweep": [
        LOGS,
        allow("dynamodb:UpdateItem", "table:loyalty-members"),
        index_query("loyalty-members/index/by-status", when="LeadingKeys=active"),
        allow("dynamodb:PutItem", "table:loyalty-lapsing"),
        allow("events:PutEvents", "bus:default"),
        allow("ssm:GetParametersByPath", "parameter:/loyalty"),
    ],
    "loyalty-summary": [
        LOGS, *SEND,
        index_query("loyalty-members/index/by-joined"),
        index_query("loyalty-ledger/index/by-day"),
        index_query("loyalty-audit/index/by-day"),
        index_query("loyalty-review/index/by-status", when="LeadingKeys=open"),  # the daily digest of held sales
        allow("ssm:GetParameter", "parameter:/sites/loyalty/url"),
        allow("bedrock:InvokeModel", *HAIKU, stacks=PROD),  # bedrockEnabled is on in Pulumi.prod.yaml only
    ],
    "loyalty-drive-sync": [
        LOGS,
        allow("dynamodb:Scan", "table:loyalty-members", "table:loyalty-ledger"),
        allow("s3:GetObject s3:PutObject", "bucket:loyalty-rules/*"),
        allow("s3:PutObject", "bucket:loyalty-backups/*"),
    ],
}


def expected_for(stack: str) -> dict[str, set[Grant]]:
    table: dict[str, set[Grant]] = {}
    for function, rows in EXPECTED.items():
        for actions, resources, condition, stacks in rows:
            if stack in stacks:
                table.setdefault(function, set()).update(
                    Grant(action, resource, condition) for action in actions for resource in resources)
    return table


def differences(stack: str, expected: dict[str, set[Grant]], actual: dict[str, set[Grant]]) -> str:
    """A reviewer's diff: per function, `+` granted but not in the table, `-` in the table but not granted."""
    lines = []
    if extra := sorted(set(actual) - set(expected)):
        lines.append(f"  functions in the {stack} stack but not in the table: {', '.join(extra)}")
    if missing := sorted(set(expected) - set(actual)):
        lines.append(f"  functions in the table but not in the {stack} stack: {', '.join(missing)}")
    for function in sorted(set(actual) | set(expected)):
        granted, listed = actual.get(function, set()), expected.get(function, set())
        if granted != listed:
            lines.append(f"  {function}:")
            lines += [f"    + {grant}" for grant in sorted(granted - listed)]
            lines += [f"    - {grant}" for grant in sorted(listed - granted)]
    if not lines:
        return ""
    return "\n".join([f"permissions in the {stack} stack differ from EXPECTED in tests/components/test_permissions.py "
                      "(+ granted, not in the table; - in the table, not granted):", *lines])


def test_every_function_holds_exactly_the_grants_in_the_table(graph):
    report = differences(graph.stack, expected_for(graph.stack), grants(graph))
    if report:
        pytest.fail(report, pytrace=False)


def test_widening_dispatch_track_to_customer_rows_fails_the_table(dev_graph):
    """The issue's example: `dispatch-track` reading `JOB#*` rows must not pass unnoticed."""
    documents = copy.deepcopy(policy_documents(dev_graph))
    widened = 0
    for document in documents["dispatch-track"]:
        for statement in document["Statement"]:
            keys = statement.get("Condition", {}).get("ForAllValues:StringLike", {}).get("dynamodb:LeadingKeys")
            if keys == ["TRACK#*"]:
                keys.append("JOB#*")
                widened += 1
    assert widened == 1, "dispatch-track no longer has exactly one statement limited to TRACK#* rows"
    report = differences("dev", expected_for("dev"), grants(dev_graph, documents))
    assert "  dispatch-track:\n" in report
    assert "    + dynamodb:GetItem  table:jobs  if LeadingKeys=JOB#*,TRACK#*" in report
    assert "    - dynamodb:GetItem  table:jobs  if LeadingKeys=TRACK#*" in report
    assert report.count(":\n    ") == 1  # no other function differs


def test_how_statements_group_actions_and_resources_does_not_matter_but_each_triple_does(dev_graph):
    names = Names(dev_graph)
    jobs = dev_graph.named("aws:dynamodb/table:Table", "jobs").outputs["arn"]
    keys = {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["TRACK#*", "JOB#*"]}}
    grouped = {"Statement": [{"Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:Query"],
                              "Resource": [jobs, f"{jobs}/index/by-status"], "Condition": keys}]}
    split = {"Statement": [{"Effect": "Allow", "Action": action, "Resource": resource, "Condition": keys}
                           for action in ("dynamodb:Query", "dynamodb:GetItem") for resource in (f"{jobs}/index/by-status", jobs)]}
    assert document_grants(grouped, names) == document_grants(split, names)
    assert Grant("dynamodb:Query", "table:jobs/index/by-status", "LeadingKeys=JOB#*,TRACK#*") in document_grants(split, names)
    unconditional = json.loads(json.dumps(split))
    del unconditional["Statement"][0]["Condition"]
    assert document_grants(unconditional, names) != document_grants(split, names)
    with pytest.raises(AssertionError, match="NotResource"):
        document_grants({"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "NotResource": jobs}]}, names)
