"""Rules over the whole resource graph, for both stacks."""

from __future__ import annotations

import importlib
import json
import re
import sys

import pytest

from components.stack.cdn_policies import CACHE_POLICIES
from components.blocks.function import platform_env
from components.blocks.links import UNSCOPED

from tests.components.graphs import (BUCKET, DISTRIBUTION, LAMBDA, PARAMETER, POLICY, TABLE, behaviour_for, behaviours,
                                     functions, request_policy, secrets)


def test_every_function_is_arm64_on_a_current_python_with_the_powertools_layer(graph):
    assert functions(graph)
    for fn in functions(graph):
        assert fn.inputs["architectures"] == ["arm64"], fn.name
        assert fn.inputs["runtime"] in ("python3.12", "python3.13"), fn.name
        layers = fn.inputs["layers"]  # Powertools first; the libraries layer after it (test_libraries.py)
        assert 1 <= len(layers) <= 2 and ":017000801446:layer:AWSLambdaPowertoolsPythonV3-python313-arm64:" in layers[0]


def test_every_function_has_its_own_role_and_a_seven_day_log_group(graph):
    roles = [fn.inputs["role"] for fn in functions(graph)]
    assert len(set(roles)) == len(roles)
    groups = {g.inputs["name"]: g for g in graph.of_type("aws:cloudwatch/logGroup:LogGroup")}
    for fn in functions(graph):
        group = groups[f"/aws/lambda/{fn.inputs['name']}"]
        assert group.inputs["retentionInDays"] == 7
        assert fn.inputs["loggingConfig"]["logGroup"] == group.inputs["name"]
        assert fn.inputs["loggingConfig"]["logFormat"] == "JSON"


def test_no_iam_action_or_resource_is_a_wildcard(graph):
    policies = graph.of_type(POLICY)
    assert len(policies) >= len(functions(graph))
    for policy in policies:
        for statement in json.loads(policy.inputs["policy"])["Statement"]:
            assert statement["Effect"] == "Allow"
            for action in statement["Action"]:
                assert action != "*" and not action.endswith(":*") and "*" not in action, (policy.name, action)
            if statement["Resource"] == ["*"] and set(statement["Action"]) <= UNSCOPED:
                continue  # actions IAM matches against "*" only (dynamodb:ListStreams)
            for resource in statement["Resource"]:
                assert resource.startswith("arn:aws:"), (policy.name, resource)
                assert resource != "*" and ":*:" not in resource


# What AWS provides rather than the program declares, that a policy may name.
PROVIDED = (
    re.compile(r"^arn:aws:events:[a-z0-9-]+:\d{12}:event-bus/default$"),
    re.compile(r"^arn:aws:bedrock:[a-z0-9-]*:(\d{12})?:(inference-profile|foundation-model)/[a-z0-9.:-]+$"),
)


def test_iam_resources_are_resources_the_program_declares(graph):
    declared = {r.outputs.get("arn") for r in graph.resources if r.outputs.get("arn")}
    # Domains on a sandbox allow-list are SES identities verified outside the stack, named by config.
    declared |= {f"arn:aws:ses:us-west-2:123456789012:identity/{entry}"
                 for entry in json.loads(graph.config.get("mainstreet:mailSandboxRecipients", "[]")) if "@" not in entry}
    parameters = [f"arn:aws:ssm:us-west-2:123456789012:parameter{p.inputs['name']}" for p in graph.of_type("aws:ssm/parameter:Parameter")]
    schedules = [s.outputs["arn"] for s in graph.of_type("aws:scheduler/schedule:Schedule")]
    for policy in graph.of_type(POLICY):
        for statement in json.loads(policy.inputs["policy"])["Statement"]:
            if statement["Resource"] == ["*"] and set(statement["Action"]) <= UNSCOPED:
                continue  # no resource at all: actions IAM matches against "*" only
            for resource in statement["Resource"]:
                if any(pattern.match(resource) for pattern in PROVIDED):
                    continue
                if resource.startswith("arn:aws:ssm:"):  # a parameter, or a path holding parameters
                    assert any(p == resource or p.startswith(resource + "/") for p in parameters), (policy.name, resource)
                    continue
                if resource.startswith("arn:aws:scheduler:") and resource.endswith("*"):
                    continue  # schedules the function itself creates, by name prefix
                if resource.startswith("arn:aws:scheduler:"):
                    assert resource in schedules
                    continue
                base = resource.split("/index/")[0].split("/stream/")[0].removesuffix(":*")
                base = base.split("/", 1)[0] if base.startswith("arn:aws:s3:::") else base
                assert base in declared, (policy.name, resource)


def test_every_table_is_on_demand_with_point_in_time_recovery(graph):
    tables = graph.of_type(TABLE)
    assert tables
    for table in tables:
        assert table.inputs["billingMode"] == "PAY_PER_REQUEST"
        assert table.inputs["pointInTimeRecovery"]["enabled"] is True
        assert table.inputs["serverSideEncryption"]["enabled"] is True


def test_prod_protects_stateful_resources_and_dev_can_be_torn_down(dev_graph, prod_graph):
    for table in prod_graph.of_type(TABLE):
        assert table.inputs["deletionProtectionEnabled"] is True
        assert table.protect and table.retain_on_delete, table.name
    for bucket in prod_graph.of_type(BUCKET):
        assert bucket.protect and bucket.retain_on_delete and not bucket.inputs.get("forceDestroy"), bucket.name
    for table in dev_graph.of_type(TABLE):
        assert table.inputs["deletionProtectionEnabled"] is False and not table.protect
    for bucket in dev_graph.of_type(BUCKET):
        assert bucket.inputs["forceDestroy"] is True and not bucket.protect


def test_every_bucket_blocks_all_public_access(graph):
    blocks = {b.inputs["bucket"]: b.inputs for b in graph.of_type("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")}
    for bucket in graph.of_type(BUCKET):
        block = blocks[bucket.inputs["bucket"]]
        for flag in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"):
            assert block[flag] is True, (bucket.name, flag)
    ownership = graph.of_type("aws:s3/bucketOwnershipControls:BucketOwnershipControls")
    assert len(ownership) == len(graph.of_type(BUCKET))
    assert all(o.inputs["rule"]["objectOwnership"] == "BucketOwnerEnforced" for o in ownership)


def test_site_buckets_are_read_only_by_their_own_distribution(graph):
    for policy in graph.of_type("aws:s3/bucketPolicy:BucketPolicy"):
        document = json.loads(policy.inputs["policy"])
        allow = [s for s in document["Statement"] if s["Effect"] == "Allow"]
        assert len(allow) == 1 and allow[0]["Action"] == "s3:GetObject"
        assert allow[0]["Principal"] == {"Service": "cloudfront.amazonaws.com"}
        distribution = graph.named(DISTRIBUTION, policy.name)
        assert allow[0]["Condition"]["StringEquals"]["AWS:SourceArn"] == distribution.outputs["arn"]


def test_every_behaviour_is_https_only(graph):
    for distribution in graph.of_type(DISTRIBUTION):
        for behaviour in behaviours(distribution):
            assert behaviour["viewerProtocolPolicy"] in ("https-only", "redirect-to-https"), distribution.name
        assert distribution.inputs["viewerCertificate"].get("minimumProtocolVersion", "TLSv1.2_2021") >= "TLSv1.2"


def test_every_behaviour_sends_the_security_headers(graph):
    policies = {p.id: p.inputs for p in graph.of_type("aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy")}
    for distribution in graph.of_type(DISTRIBUTION):
        for behaviour in behaviours(distribution):
            headers = policies[behaviour["responseHeadersPolicyId"]]["securityHeadersConfig"]
            assert headers["strictTransportSecurity"]["accessControlMaxAgeSec"] >= 31536000
            assert "frame-ancestors" in headers["contentSecurityPolicy"]["contentSecurityPolicy"]


def test_referral_links_are_never_cached_and_reach_the_handler_with_ip_and_user_agent(graph):
    """Incident 8: clicks served from cache were never counted."""
    behaviour = behaviour_for(graph, "ops", "/ref/*")
    assert behaviour["cachePolicyId"] == CACHE_POLICIES["CachingDisabled"]
    assert behaviour["targetOriginId"] == "fn-referral-click"
    headers = request_policy(graph, behaviour["originRequestPolicyId"])["headersConfig"]["headers"]["items"]
    assert {"CloudFront-Viewer-Address", "User-Agent"} <= set(headers)
    assert "Host" not in headers  # a Function URL rejects a foreign Host


def test_function_origins_carry_the_origin_secret_and_pages_use_origin_access_control(graph):
    origin_secret = graph.named(PARAMETER, "origin-verify").inputs["value"]
    for distribution in graph.of_type(DISTRIBUTION):
        for origin in distribution.inputs["origins"]:
            if origin["originId"] == "pages":
                assert origin["originAccessControlId"]
            else:
                assert origin["customOriginConfig"]["originProtocolPolicy"] == "https-only"
                assert origin["customHeaders"] == [{"name": "X-Origin-Verify", "value": origin_secret}]


def test_every_function_route_has_a_function_url(graph):
    urls = {u.inputs["functionName"] for u in graph.of_type("aws:lambda/functionUrl:FunctionUrl")}
    for distribution in graph.of_type(DISTRIBUTION):
        for origin in distribution.inputs["origins"]:
            if origin["originId"] != "pages":
                assert origin["domainName"].split(".")[0] in urls


def test_secrets_are_free_securestring_parameters_under_the_aws_managed_key(graph):
    """Issue 11 (cost): none of the secrets rotates, so none pays for Secrets Manager. Each is a
    standard-tier SecureString (free) with no key of its own (aws/ssm, free), named under the
    stack's path, and its value comes from the state: a generated password or the secret config."""
    assert not [r for r in graph.resources if r.type.startswith("aws:secretsmanager/")]
    found = secrets(graph)
    assert {s.name for s in found} >= {"origin-verify", "session-key", "service-key", "crew-link-key",
                                       "visitor-salt", "pos-hmac", "member-token-key"}
    generated = {r.name for r in graph.of_type("random:index/randomPassword:RandomPassword")}
    for secret in found:
        assert secret.inputs["tier"] == "Standard" and not secret.inputs.get("keyId"), secret.name
        assert secret.inputs["name"] == f"/mainstreet/{graph.stack}/{secret.name}"
        assert secret.inputs["value"] in graph.secret_values, secret.name
        assert secret.name in generated or secret.name in {"service-key", "pos-hmac", "drive-sa"}
    plain = [p.inputs["value"] for p in graph.of_type(PARAMETER) if p.inputs["type"] != "SecureString"]
    assert not set(plain) & set(graph.secret_values)


def test_no_secret_value_reaches_an_environment_variable(graph):
    assert len(graph.secret_values) >= 4
    for fn in functions(graph):
        for key, value in fn.inputs["environment"]["variables"].items():
            for secret in graph.secret_values:
                assert secret not in str(value), (fn.name, key)


def handler_module(fn) -> str:
    return fn.inputs["handler"].rsplit(".", 1)[0]


def import_with_env(module: str, env: dict[str, str], monkeypatch):
    for key in [k for k in list(sys.modules) if k == module]:
        del sys.modules[key]
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return importlib.import_module(module)


def settings_class(module):
    from handlers.shared.settings import Settings

    found = [v for v in vars(module).values() if isinstance(v, type) and issubclass(v, Settings) and v is not Settings and v.__module__ == module.__name__]
    assert len(found) == 1, module.__name__
    return found[0]


def test_every_function_environment_names_exactly_what_its_handler_needs(graph, monkeypatch):
    """Incident 2: a function started without SERVICE_KEY_HASH. The env comes only from links,
    and the handler's settings name every variable it reads: the two must be the same set."""
    for fn in functions(graph):
        env = fn.inputs["environment"]["variables"]
        with monkeypatch.context() as patch:
            for key in [k for k in list(env)]:
                patch.delenv(key, raising=False)
            module = import_with_env(handler_module(fn), env, patch)
            settings = settings_class(module)
            linked = set(env) - set(platform_env(fn.name, graph.stack))
            assert settings.required_env() <= linked, fn.name  # nothing it needs is missing
            assert linked <= settings.env_names(), fn.name  # nothing is linked that it does not read


def test_a_handler_missing_a_link_fails_at_start_naming_the_link(dev_graph, monkeypatch):
    from handlers.shared.settings import MissingLink

    fn = dev_graph.named(LAMBDA, "referral-click")
    env = dict(fn.inputs["environment"]["variables"])
    del env["VISITOR_SALT_SECRET"]
    monkeypatch.delenv("VISITOR_SALT_SECRET", raising=False)
    with pytest.raises(MissingLink, match="VISITOR_SALT_SECRET is not set: link the visitor-salt secret"):
        import_with_env(handler_module(fn), env, monkeypatch)


def test_functions_bundle_nothing_the_runtime_or_layer_provides(graph):
    for fn in functions(graph):
        names = set(fn.inputs["code"].assets)
        roots = {name.split("/")[0] for name in names}
        assert not roots & {"boto3", "botocore", "aws_lambda_powertools", "pydantic", "pydantic_core"}, fn.name
        assert not any(name.endswith(".so") for name in names)
        assert f"handlers/{fn.inputs['handler'].split('.')[1]}/__init__.py" in names


def test_exports_name_each_sites_bucket_distribution_domain_and_manifest(graph):
    sites = graph.outputs["sites"]
    assert set(sites) == {"brand", "ops", "dispatch", "loyalty"}
    for name, site in sites.items():
        assert site["bucket"] == graph.named(BUCKET, f"{name}-site").inputs["bucket"]
        assert site["distribution_id"].startswith("E")
        assert site["domain"]
        objects = {o.inputs["key"]: o.inputs for o in graph.of_type("aws:s3/bucketObjectv2:BucketObjectv2") if o.inputs["bucket"] == site["bucket"]}
        assert set(site["manifest"]) == set(objects) and "index.html" in objects
        for key, digest in site["manifest"].items():
            assert objects[key]["metadata"] == {"sha256": digest}


def test_prod_serves_custom_domains_with_a_us_east_1_certificate(prod_graph):
    ops = prod_graph.named(DISTRIBUTION, "ops")
    assert ops.inputs["aliases"] == ["ops.queenofsandiego.com"]
    assert ops.inputs["viewerCertificate"]["sslSupportMethod"] == "sni-only"
    assert prod_graph.outputs["sites"]["ops"]["domain"] == "ops.queenofsandiego.com"
    providers = [r for r in prod_graph.resources if r.type == "pulumi:providers:aws"]
    assert providers and all(p.inputs["region"] == "us-east-1" for p in providers)


def test_pulumi_alone_owns_edge_code_and_publishes_the_files_content(graph):
    """Issue 11: with ignore_changes=["code"] the provider kept the creation-time code, so a later
    change to the comment or runtime re-sent and published it over newer code. The declared code
    is always edge/<name>.js as it is now, and no option hides it from Pulumi."""
    from ops import edge

    functions_ = graph.of_type("aws:cloudfront/function:Function")
    assert functions_
    for fn in functions_:
        source = fn.inputs["comment"].removeprefix("edge/").removesuffix(".js")
        assert fn.inputs["code"] == edge.source(source), fn.name
        assert fn.inputs["publish"] is True and fn.ignore_changes == (), fn.name
        assert fn.inputs["runtime"] == "cloudfront-js-2.0"


def test_budget_alerts_at_80_and_100_percent_and_every_function_has_an_error_alarm(graph):
    budget = graph.of_type("aws:budgets/budget:Budget")[0].inputs
    assert sorted(n["threshold"] for n in budget["notifications"]) == [80, 100]
    topic = graph.of_type("aws:sns/topic:Topic")
    alarms = graph.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
    lambda_alarms = {a.inputs["metricName"]: a.inputs for a in alarms if a.inputs.get("namespace") == "AWS/Lambda"}
    # Issue 11 (cost): one alarm per Lambda metric covers every function, instead of one per function.
    assert sorted(lambda_alarms) == ["Errors", "Throttles"] and len(alarms) == len(
        [a for a in alarms if a.inputs.get("namespace") != "AWS/Lambda"]) + 2
    for alarm in lambda_alarms.values():
        # No FunctionName dimension: AWS/Lambda's metric over every function of the account and region,
        # so any function's first error (or throttle) in an hour alarms, sent to the alarm topic.
        assert not alarm.get("dimensions") and alarm["statistic"] == "Sum" and alarm["threshold"] == 0
        assert alarm["comparisonOperator"] == "GreaterThanThreshold" and alarm["period"] == 3600
        assert alarm["alarmActions"] == [t.outputs["arn"] for t in topic if t.inputs["name"].endswith("alarms")]
        assert len(alarm["alarmDescription"]) <= 1024  # CloudWatch's limit
    # ...and every function is a regional Lambda function of the stack's own region and account.
    homes = {tuple(fn.outputs["arn"].split(":")[3:5]) for fn in functions(graph)}
    assert homes == {tuple(t.outputs["arn"].split(":")[3:5]) for t in topic}
    for fn in functions(graph):
        assert fn.name in lambda_alarms["Errors"]["alarmDescription"]


def test_prod_alarms_reach_the_owner_and_dev_alarms_stay_quiet(dev_graph, prod_graph):
    mail = lambda graph: [s.inputs["endpoint"] for s in graph.of_type("aws:sns/topicSubscription:TopicSubscription")  # noqa: E731
                          if s.inputs["protocol"] == "email"]
    assert mail(prod_graph) == ["owner@queenofsandiego.com"] and mail(dev_graph) == []


def test_mail_bounces_and_complaints_are_published(graph):
    destination = graph.of_type("aws:sesv2/configurationSetEventDestination:ConfigurationSetEventDestination")[0]
    assert set(destination.inputs["eventDestination"]["matchingEventTypes"]) == {"SEND", "BOUNCE", "COMPLAINT"}


def test_the_dev_stack_carries_the_seven_vendors_of_the_referral_launch(dev_graph):
    vendors = {json.loads(i.inputs["item"])["sk"]["S"] for i in dev_graph.of_type("aws:dynamodb/tableItem:TableItem")}
    assert vendors == {"solare", "smallgoods", "puesto", "board-and-brew", "whole-foods", "total-wine", "gianni-buonomo"}


def test_every_schedule_runs_in_the_configured_time_zone_and_invokes_a_declared_function(graph):
    """Incident 9: a schedule without its time zone runs in UTC."""
    schedules = graph.of_type("aws:scheduler/schedule:Schedule")
    assert schedules
    zone = graph.config["mainstreet:timeZone"] if "mainstreet:timeZone" in graph.config else None
    function_arns = {fn.outputs["arn"] for fn in functions(graph)}
    for schedule in schedules:
        assert schedule.inputs["scheduleExpressionTimezone"] == (zone or "America/Los_Angeles")
        assert schedule.inputs["flexibleTimeWindow"] == {"mode": "OFF"}
        assert schedule.inputs["target"]["arn"] in function_arns
        role = next(r for r in graph.of_type("aws:iam/role:Role") if r.outputs["arn"] == schedule.inputs["target"]["roleArn"])
        assert json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]["Principal"] == {"Service": "scheduler.amazonaws.com"}


def test_a_time_zone_change_in_config_moves_every_schedule_with_it():
    from ops import harness

    moved = harness.run("dev", overrides={"timeZone": "Asia/Singapore"})
    assert {s.inputs["scheduleExpressionTimezone"] for s in moved.of_type("aws:scheduler/schedule:Schedule")} == {"Asia/Singapore"}
    digest = moved.named(LAMBDA, "referral-digest").inputs["environment"]["variables"]
    assert digest["TIME_ZONE_SETTING"] == "Asia/Singapore"


def test_site_addresses_are_published_for_functions_that_write_links_outside_a_request(graph):
    parameters = {p.inputs["name"]: p.inputs["value"] for p in graph.of_type("aws:ssm/parameter:Parameter")}
    for name, site in graph.outputs["sites"].items():
        assert parameters[f"/mainstreet/{graph.stack}/sites/{name}/url"] == site["url"]
