"""The IAM evaluator the handler tests replay every AWS call through (ops.iam), held to AWS's
documented evaluation logic: explicit deny wins, then an Allow, else implicit deny; Action and
Resource wildcards; each condition operator, IfExists, Null and the ForAllValues/ForAnyValue set
operators; and the mapping of SDK calls to the requests IAM authorizes."""

from __future__ import annotations

import json

import pytest

from ops import harness, iam
from ops.iam import ALLOW, DENY, IMPLICIT_DENY, Request

TABLE = "arn:aws:dynamodb:us-west-2:123456789012:table/jobs"


def policy(*statements: dict) -> list[dict]:
    return [{"Version": "2012-10-17", "Statement": list(statements)}]


def allow(action="*", resource="*", condition=None, **extra) -> dict:
    statement = {"Effect": "Allow", "Action": action, "Resource": resource, **extra}
    if condition:
        statement["Condition"] = condition
    return statement


def decide(statements, action="s3:GetObject", resource="arn:aws:s3:::b/k", **context) -> str:
    return iam.evaluate(policy(*statements), Request(action, resource, context))


# ---------------------------------------------------------------------------------------------
# Actions, resources, effects.


def test_actions_match_with_wildcards_and_ignore_case():
    assert decide([allow("s3:Get*")], "s3:GetObjectVersion") == ALLOW
    assert decide([allow("S3:getobject")], "s3:GetObject") == ALLOW
    assert decide([allow("s3:Get?bject")], "s3:GetObject") == ALLOW
    assert decide([allow("s3:Get?bject")], "s3:GetObjectX") == IMPLICIT_DENY
    assert decide([allow(["sqs:*", "s3:PutObject"])], "s3:GetObject") == IMPLICIT_DENY


def test_resources_match_part_by_part_case_sensitively():
    assert decide([allow("*", "arn:aws:s3:::b/*")], resource="arn:aws:s3:::b/a/deep/key") == ALLOW
    assert decide([allow("*", "arn:aws:s3:::B/*")], resource="arn:aws:s3:::b/k") == IMPLICIT_DENY
    assert decide([allow("*", "arn:aws:dynamodb:*:*:table/jobs")], resource=TABLE) == ALLOW
    # A wildcard stays inside its part: a service wildcard does not swallow the region.
    assert decide([allow("*", "arn:aws:dynamo*:table/jobs")], resource=TABLE) == IMPLICIT_DENY
    # The resource part keeps its colons: a function ARN does not cover its aliases.
    fn = "arn:aws:lambda:us-west-2:123456789012:function:earn"
    assert decide([allow("*", fn)], "lambda:InvokeFunction", fn + ":live") == IMPLICIT_DENY
    assert decide([allow("*", fn + "*")], "lambda:InvokeFunction", fn + ":live") == ALLOW
    # An index or stream is its own resource: the table's ARN does not cover it.
    assert decide([allow("*", TABLE)], "dynamodb:Query", TABLE + "/index/by-status") == IMPLICIT_DENY


def test_not_action_and_not_resource():
    assert decide([{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}], "s3:GetObject") == ALLOW
    assert decide([{"Effect": "Allow", "NotAction": "s3:*", "Resource": "*"}], "s3:GetObject") == IMPLICIT_DENY
    assert decide([{"Effect": "Allow", "Action": "*", "NotResource": "arn:aws:s3:::b/secret/*"}],
                  resource="arn:aws:s3:::b/k") == ALLOW
    assert decide([{"Effect": "Allow", "Action": "*", "NotResource": "arn:aws:s3:::b/secret/*"}],
                  resource="arn:aws:s3:::b/secret/k") == IMPLICIT_DENY


def test_an_explicit_deny_wins_over_any_allow_in_any_document():
    documents = policy(allow()) + policy({"Effect": "Deny", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"})
    assert iam.evaluate(documents, Request("s3:GetObject", "arn:aws:s3:::b/k")) == DENY
    assert iam.evaluate(documents, Request("s3:PutObject", "arn:aws:s3:::b/k")) == ALLOW
    assert iam.allowing(documents, Request("s3:GetObject", "arn:aws:s3:::b/k")) == []
    assert decide([]) == IMPLICIT_DENY  # nothing said: denied


def test_a_single_statement_document_is_read_too():
    assert iam.evaluate([{"Statement": allow()}], Request("s3:GetObject", "arn:aws:s3:::b/k")) == ALLOW


# ---------------------------------------------------------------------------------------------
# Condition operators.


@pytest.mark.parametrize("operator, policy_value, request_value, holds", [
    ("StringEquals", "abc", "abc", True),
    ("StringEquals", "abc", "ABC", False),
    ("StringEquals", "a*", "abc", False),  # no wildcards in Equals
    ("StringNotEquals", "abc", "abd", True),
    ("StringNotEquals", "abc", "abc", False),
    ("StringEqualsIgnoreCase", "abc", "ABC", True),
    ("StringNotEqualsIgnoreCase", "abc", "ABC", False),
    ("StringLike", "JOB#*", "JOB#1", True),
    ("StringLike", "JOB#*", "job#1", False),
    ("StringLike", "20??-*", "2026-01", True),
    ("StringNotLike", "JOB#*", "TRACK#1", True),
    ("StringNotLike", "JOB#*", "JOB#1", False),
    ("ArnLike", "arn:aws:sns:*:123456789012:*", "arn:aws:sns:us-west-2:123456789012:t", True),
    ("ArnLike", "arn:aws:sns:*:123456789012:*", "arn:aws:sns:us-west-2:999999999999:t", False),
    ("ArnEquals", "arn:aws:events:us-west-2:123456789012:rule/*", "arn:aws:events:us-west-2:123456789012:rule/r", True),
    ("ArnNotLike", "arn:aws:sns:*:123456789012:*", "arn:aws:sns:us-west-2:999999999999:t", True),
    ("ArnNotEquals", "arn:aws:sns:*:123456789012:*", "arn:aws:sns:us-west-2:123456789012:t", False),
    ("Bool", "true", "true", True),
    ("Bool", "true", "false", False),
    ("Bool", True, "TRUE", True),
    ("NumericLessThan", "10", "9", True),
    ("NumericLessThan", "10", "10", False),
    ("NumericGreaterThanEquals", "10", "10", True),
    ("NumericNotEquals", "10", "10.0", False),
])
def test_each_operator(operator, policy_value, request_value, holds):
    statement = allow(condition={operator: {"k:key": policy_value}})
    assert (decide([statement], **{"k:key": request_value}) == ALLOW) is holds


def test_conditions_and_across_operators_and_keys_or_within_values():
    both = allow(condition={"StringEquals": {"k:a": ["1", "2"], "k:b": "x"}, "StringLike": {"k:c": "y*"}})
    assert decide([both], **{"k:a": "2", "k:b": "x", "k:c": "yes"}) == ALLOW
    assert decide([both], **{"k:a": "3", "k:b": "x", "k:c": "yes"}) == IMPLICIT_DENY
    assert decide([both], **{"k:a": "1", "k:b": "z", "k:c": "yes"}) == IMPLICIT_DENY
    assert decide([both], **{"k:a": "1", "k:b": "x", "k:c": "no"}) == IMPLICIT_DENY


def test_condition_key_names_ignore_case():
    assert decide([allow(condition={"StringEquals": {"AWS:SourceAccount": "1"}})], **{"aws:sourceaccount": "1"}) == ALLOW


def test_an_absent_key_fails_plain_operators_and_passes_negated_ones_and_if_exists():
    absent = {"k:key": None}  # modelled for the request, but the request does not carry it
    assert decide([allow(condition={"StringEquals": {"k:key": "a"}})], **absent) == IMPLICIT_DENY
    assert decide([allow(condition={"StringNotEquals": {"k:key": "a"}})], **absent) == ALLOW
    assert decide([allow(condition={"StringNotLike": {"k:key": "a*"}})], **absent) == ALLOW
    assert decide([allow(condition={"StringEqualsIfExists": {"k:key": "a"}})], **absent) == ALLOW
    assert decide([allow(condition={"StringEqualsIfExists": {"k:key": "a"}})], **{"k:key": "b"}) == IMPLICIT_DENY
    assert decide([allow(condition={"ArnLikeIfExists": {"k:key": "arn:aws:s3:::*"}})], **{"k:key": "arn:aws:s3:::b"}) == ALLOW


def test_null_checks_presence():
    assert decide([allow(condition={"Null": {"k:key": "true"}})], **{"k:key": None}) == ALLOW
    assert decide([allow(condition={"Null": {"k:key": "true"}})], **{"k:key": "v"}) == IMPLICIT_DENY
    assert decide([allow(condition={"Null": {"k:key": "false"}})], **{"k:key": "v"}) == ALLOW


def test_for_all_values_every_request_value_matches_and_no_values_pass():
    keys = allow("dynamodb:*", TABLE, {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["JOB#*", "TRACK#*"]}})
    assert decide([keys], "dynamodb:GetItem", TABLE, **{"dynamodb:LeadingKeys": ["JOB#1"]}) == ALLOW
    assert decide([keys], "dynamodb:BatchGetItem", TABLE, **{"dynamodb:LeadingKeys": ["JOB#1", "TRACK#2"]}) == ALLOW
    assert decide([keys], "dynamodb:BatchGetItem", TABLE, **{"dynamodb:LeadingKeys": ["JOB#1", "MEMBER#2"]}) == IMPLICIT_DENY
    # AWS's documented pitfall: with no value (a Scan) or no key at all, ForAllValues holds.
    assert decide([keys], "dynamodb:Scan", TABLE, **{"dynamodb:LeadingKeys": None}) == ALLOW
    assert decide([keys], "dynamodb:Scan", TABLE, **{"dynamodb:LeadingKeys": []}) == ALLOW


def test_for_any_value_some_request_value_matches_and_no_values_fail():
    tags = allow(condition={"ForAnyValue:StringEquals": {"aws:TagKeys": ["team", "cost"]}})
    assert decide([tags], **{"aws:TagKeys": ["cost", "other"]}) == ALLOW
    assert decide([tags], **{"aws:TagKeys": ["other"]}) == IMPLICIT_DENY
    assert decide([tags], **{"aws:TagKeys": None}) == IMPLICIT_DENY
    assert decide([tags], **{"aws:TagKeys": []}) == IMPLICIT_DENY


def test_negated_set_operators():
    # ForAllValues:StringNotLike: no request value matches any pattern.
    none_secret = allow(condition={"ForAllValues:StringNotLike": {"k:keys": ["SECRET#*"]}})
    assert decide([none_secret], **{"k:keys": ["JOB#1", "JOB#2"]}) == ALLOW
    assert decide([none_secret], **{"k:keys": ["JOB#1", "SECRET#2"]}) == IMPLICIT_DENY
    some_other = allow(condition={"ForAnyValue:StringNotEquals": {"k:keys": ["a"]}})
    assert decide([some_other], **{"k:keys": ["a", "b"]}) == ALLOW
    assert decide([some_other], **{"k:keys": ["a"]}) == IMPLICIT_DENY


def test_a_deny_with_a_condition_denies_only_when_it_holds():
    documents = [allow(), {"Effect": "Deny", "Action": "*", "Resource": "*",
                           "Condition": {"StringNotEquals": {"aws:RequestedRegion": "us-west-2"}}}]
    assert decide(documents, **{"aws:RequestedRegion": "us-west-2"}) == ALLOW
    assert decide(documents, **{"aws:RequestedRegion": "eu-west-1"}) == DENY


@pytest.mark.parametrize("statement, context, problem", [
    (allow(condition={"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}}), {"aws:CurrentTime": "x"}, "DateLessThan"),
    (allow(condition={"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}), {"aws:SourceIp": "203.0.113.9"}, "IpAddress"),
    (allow(condition={"ForEveryValue:StringLike": {"k:key": "a"}}), {"k:key": ["a"]}, "ForEveryValue"),
    (allow(condition={"StringLike": {"k:key": "a*"}}), {}, "does not model"),  # a key the mapper never supplies
    (allow(condition={"StringEquals": {"k:key": "${aws:username}"}}), {"k:key": "a"}, "policy variables"),
    (allow(condition={"StringLike": {"k:key": "a*"}}), {"k:key": ["a1", "a2"]}, "multivalued"),
    ({"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}, {}, "Principal"),
])
def test_what_it_does_not_implement_raises_never_allows(statement, context, problem):
    with pytest.raises(iam.UnsupportedPolicy, match=problem):
        decide([statement], **context)
    # …even behind an Allow that would have matched anyway, and under an explicit Deny.
    with pytest.raises(iam.UnsupportedPolicy):
        decide([allow(), {**statement, "Effect": "Deny"}], **context)


# ---------------------------------------------------------------------------------------------
# SDK calls → requests, on the dev stack's graph.


@pytest.fixture(scope="module")
def stack(dev_graph):
    return iam.Stack(dev_graph)


def requests(stack, service, operation, params, function=None):
    return [(r.action, r.resource, {k: v for k, v in r.context.items() if v is not None})
            for r in iam.requests_for(stack, service, operation, params, function and stack.functions[function])]


def test_a_query_of_an_index_is_authorized_on_the_index_with_its_partition_key(stack):
    found = requests(stack, "dynamodb", "Query", {
        "TableName": "mainstreet-dev-jobs", "IndexName": "by-status",
        "KeyConditionExpression": "#s = :s AND created_at BETWEEN :a AND :b",
        "ExpressionAttributeNames": {"#s": "job_status"},
        "ExpressionAttributeValues": {":s": {"S": "pending_pickup"}, ":a": {"S": "1"}, ":b": {"S": "2"}}})
    assert found == [("dynamodb:Query", f"{stack.arn('dynamodb', 'table/mainstreet-dev-jobs')}/index/by-status",
                      {"dynamodb:LeadingKeys": ["pending_pickup"]})]
    found = requests(stack, "dynamodb", "Query", {"TableName": "mainstreet-dev-jobs", "KeyConditionExpression": ":p = pk",
                                                  "ExpressionAttributeValues": {":p": {"S": "JOB#1"}}})
    assert found[0][2] == {"dynamodb:LeadingKeys": ["JOB#1"]}


def test_a_transaction_is_authorized_item_by_item(stack):
    found = requests(stack, "dynamodb", "TransactWriteItems", {"TransactItems": [
        {"Put": {"TableName": "mainstreet-dev-jobs", "Item": {"pk": {"S": "JOB#1"}, "x": {"N": "1"}}}},
        {"Update": {"TableName": "mainstreet-dev-jobs", "Key": {"pk": {"S": "TRACK#a"}}, "UpdateExpression": "SET x = :x"}},
        {"ConditionCheck": {"TableName": "mainstreet-dev-jobs", "Key": {"pk": {"S": "JOB#2"}}, "ConditionExpression": "a"}},
    ]})
    assert [(a, c["dynamodb:LeadingKeys"]) for a, _, c in found] == [
        ("dynamodb:PutItem", ["JOB#1"]), ("dynamodb:UpdateItem", ["TRACK#a"]), ("dynamodb:ConditionCheckItem", ["JOB#2"])]


def test_other_services_calls(stack, dev_graph):
    bucket = "arn:aws:s3:::mainstreet-dev-loyalty-rules-123456789012"
    assert requests(stack, "s3", "GetObject", {"Bucket": bucket[13:], "Key": "rules.txt", "VersionId": "v1"}) == [
        ("s3:GetObjectVersion", bucket + "/rules.txt", {})]
    assert requests(stack, "s3", "ListObjectVersions", {"Bucket": bucket[13:], "Prefix": "rules.txt"}) == [
        ("s3:ListBucketVersions", bucket, {"s3:prefix": "rules.txt"})]
    secret = stack.arn("secretsmanager", "secret:/mainstreet/dev/key-AbCdEf")
    assert requests(stack, "secretsmanager", "GetSecretValue", {"SecretId": secret}) == [("secretsmanager:GetSecretValue", secret, {})]
    named = iam.Stack(dev_graph)
    named.secrets["/mainstreet/dev/key"] = secret  # by name: the declared secret's ARN, suffix and all
    assert requests(named, "secretsmanager", "GetSecretValue", {"SecretId": "/mainstreet/dev/key"})[0][1] == secret
    assert requests(stack, "ssm", "GetParameter", {"Name": "/mainstreet/dev/session-key", "WithDecryption": True}) == [
        ("ssm:GetParameter", stack.arn("ssm", "parameter/mainstreet/dev/session-key"), {})]
    assert requests(stack, "ssm", "GetParametersByPath", {"Path": "/mainstreet/dev/loyalty"}) == [
        ("ssm:GetParametersByPath", stack.arn("ssm", "parameter/mainstreet/dev/loyalty"), {})]
    assert requests(stack, "scheduler", "CreateSchedule", {"Name": "n", "Target": {"Arn": "x", "RoleArn": "arn:aws:iam::1:role/r"}}) == [
        ("scheduler:CreateSchedule", stack.arn("scheduler", "schedule/default/n"), {}),
        ("iam:PassRole", "arn:aws:iam::1:role/r", {"iam:PassedToService": "scheduler.amazonaws.com"})]
    assert requests(stack, "events", "PutEvents", {"Entries": [{"Source": "s", "DetailType": "d", "Detail": "{}"}]}) == [
        ("events:PutEvents", stack.arn("events", "event-bus/default"), {"events:source": "s", "events:detail-type": "d"})]
    assert requests(stack, "lambda", "Invoke", {"FunctionName": "mainstreet-dev-loyalty-earn"}) == [
        ("lambda:InvokeFunction", stack.arn("lambda", "function:mainstreet-dev-loyalty-earn"), {})]
    assert [r for _, r, _ in requests(stack, "bedrock-runtime", "Converse", {"modelId": "global.anthropic.m-v1:0"})] == [
        stack.arn("bedrock", "inference-profile/global.anthropic.m-v1:0"),
        stack.arn("bedrock", "foundation-model/anthropic.m-v1:0", account=""), "arn:aws:bedrock:::foundation-model/anthropic.m-v1:0"]


def test_cognito_admin_calls_are_authorized_on_the_pool_and_sign_in_calls_need_no_permission(dev_graph):
    pool = dev_graph.named("aws:cognito/userPool:UserPool", "staff")
    emulated = iam.Stack(dev_graph, {pool.id: "us-west-2_moto12345"})  # moto gives the pool its own id
    assert requests(emulated, "cognito-idp", "AdminDisableUser", {"UserPoolId": "us-west-2_moto12345", "Username": "u"}) == [
        ("cognito-idp:AdminDisableUser", pool.outputs["arn"], {})]
    for operation in ("InitiateAuth", "RespondToAuthChallenge", "ForgotPassword", "ConfirmForgotPassword"):
        assert requests(emulated, "cognito-idp", operation, {"ClientId": "c"}) == []


def test_a_send_is_authorized_on_the_sender_identity_the_configuration_set_and_in_sandbox_mode_each_recipient(stack):
    send = {"FromEmailAddress": "Shop <hello@dev.mainstreet.example>", "Destination": {"ToAddresses": ["a@crew.example"]},
            "ConfigurationSetName": "mainstreet-dev-mailer", "Content": {}}
    sandboxed = [fn for fn in stack.functions.values() if any(k.endswith("SANDBOX_REDIRECT") for k in fn.env)]
    resources = [r for _, r, _ in requests(stack, "sesv2", "SendEmail", send)]
    assert resources[1:] == [stack.arn("ses", "configuration-set/mainstreet-dev-mailer")]
    assert resources[0] in (stack.arn("ses", "identity/hello@dev.mainstreet.example"), stack.arn("ses", "identity/dev.mainstreet.example"))
    if sandboxed:
        found = [r for _, r, _ in requests(stack, "sesv2", "SendEmail", send, sandboxed[0].name)]
        assert found[-1] == stack.arn("ses", "identity/crew.example")


@pytest.mark.parametrize("service, operation, params", [
    ("dynamodb", "ExecuteStatement", {"Statement": "SELECT * FROM t"}),
    ("s3", "DeleteObjects", {"Bucket": "b", "Delete": {"Objects": []}}),
    ("kinesis", "PutRecord", {}),
    ("secretsmanager", "GetSecretValue", {"SecretId": "/mainstreet/dev/never-declared"}),
    ("dynamodb", "GetItem", {"TableName": "not-declared", "Key": {"pk": {"S": "1"}}}),
    ("dynamodb", "Query", {"TableName": "mainstreet-dev-jobs", "KeyConditionExpression": "begins_with(pk, :p)",
                           "ExpressionAttributeValues": {":p": {"S": "JOB#"}}}),
])
def test_a_call_the_mapper_does_not_know_raises(stack, service, operation, params):
    with pytest.raises(iam.UnmappedCall):
        iam.requests_for(stack, service, operation, params)


# ---------------------------------------------------------------------------------------------
# The replay: attribution and the denial's shape.


def test_a_denied_call_raises_access_denied_naming_action_and_resource_and_is_kept(stack):
    from botocore.exceptions import ClientError

    replay = iam.Replay(stack)
    with replay.acting_as("dispatch-board"):
        assert replay.acting() == "dispatch-board"
        replay.check("dispatch-board", "dynamodb", "GetItem", {"TableName": "mainstreet-dev-jobs", "Key": {"pk": {"S": "JOB#1"}}})
        with pytest.raises(ClientError) as raised:
            replay.check("dispatch-board", "dynamodb", "GetItem",
                         {"TableName": "mainstreet-dev-loyalty-members", "Key": {"phone": {"S": "+16195550100"}}})
    assert replay.acting() is None
    error = raised.value.response["Error"]
    assert error["Code"] == "AccessDeniedException"
    assert error["Message"] == (
        "User: arn:aws:sts::123456789012:assumed-role/mainstreet-dev-dispatch-board/mainstreet-dev-dispatch-board is not "
        "authorized to perform: dynamodb:GetItem on resource: "
        "arn:aws:dynamodb:us-west-2:123456789012:table/mainstreet-dev-loyalty-members because no identity-based policy "
        "allows the dynamodb:GetItem action")
    [denial] = replay.denials
    assert (denial.function, denial.request.action, denial.decision) == ("dispatch-board", "dynamodb:GetItem", IMPLICIT_DENY)
    with pytest.raises(iam.UnmappedCall):
        replay.check("dispatch-board", "kinesis", "PutRecord", {})
    assert replay.problems == ["dispatch-board: kinesis.PutRecord: kinesis PutRecord: add its IAM request to ops.iam.requests_for"]


def test_drive_sync_configured_may_read_its_service_account_and_write_the_rules():
    """The handler test of Drive sync patches a configuration the dev stack lacks (and is not
    replayed): its calls are replayed here on a stack configured with Drive."""
    configured = harness.run("dev", overrides={"driveRulesDocId": "1AbCdEfGhIjK"},
                             secrets={**harness.test_secrets(), "driveServiceAccount": json.dumps({"client_email": "x"})})
    stack = iam.Stack(configured)
    fn = stack.functions["loyalty-drive-sync"]
    replay = iam.Replay(stack)
    [secret_setting] = [v for k, v in fn.env.items() if "DRIVE" in k and k.endswith("_SECRET")]
    # The read goes through the handlers' own secrets module, whichever service holds secrets.
    from botocore.exceptions import ClientError
    from moto import mock_aws

    from handlers.shared import aws, secrets

    with mock_aws():
        replay.register(aws.session())
        aws.client.cache_clear()
        secrets.secret_value.cache_clear()
        try:
            with replay.acting_as(fn.name):
                try:
                    secrets.secret_value(secret_setting)
                except ClientError:
                    pass  # never created here: only IAM's decision matters
        finally:
            iam.Replay.unregister(aws.session())
            aws.client.cache_clear()
            secrets.secret_value.cache_clear()
    bucket = next(v for k, v in fn.env.items() if "RULES" in k and "BUCKET" in k)
    replay.check(fn.name, "s3", "GetObject", {"Bucket": bucket, "Key": "rules.txt"})
    replay.check(fn.name, "s3", "PutObject", {"Bucket": bucket, "Key": "rules.txt"})
    assert replay.checked == 3 and not replay.denials, replay.denials
