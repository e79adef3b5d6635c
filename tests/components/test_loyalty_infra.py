"""Loyalty over the whole graph: the tables, buckets, schedules, knobs, budget and alarms of the
build sheet. What each of the ten roles may do is in test_permissions.py's table."""

from __future__ import annotations

import json

from ops import harness
from tests.components.graphs import LAMBDA, behaviour_for, request_policy


def test_the_summary_is_written_by_haiku_in_prod_and_by_the_plain_template_in_dev(dev_graph, prod_graph):
    """Who may invoke the model, in which stack, is in test_permissions.py's table."""
    assert summary_env(prod_graph)["BEDROCK_MODEL_SETTING"].startswith("global.anthropic.claude-haiku")
    assert summary_env(dev_graph)["BEDROCK_MODEL_SETTING"] == "off"


def summary_env(graph):
    return graph.named(LAMBDA, "loyalty-summary").inputs["environment"]["variables"]


def test_six_tables_with_the_indexes_the_request_paths_and_sweeps_use(graph):
    tables = {t.name: t.inputs for t in graph.of_type("aws:dynamodb/table:Table") if t.name.startswith("loyalty-")}
    assert set(tables) == {"loyalty-members", "loyalty-ledger", "loyalty-audit", "loyalty-review", "loyalty-lapsing", "loyalty-codes"}
    indexes = {name: sorted(i["name"] for i in t.get("globalSecondaryIndexes") or []) for name, t in tables.items()}
    # by-email: no function queries it since bounces went to the notifier; dropping a GSI is a table
    # update, kept apart from this change.
    assert indexes["loyalty-members"] == ["by-email", "by-joined", "by-status"]
    assert indexes["loyalty-ledger"] == ["by-day", "by-ref"]
    assert indexes["loyalty-review"] == ["by-status"]  # the desk's and the digest's held sales
    assert tables["loyalty-codes"]["ttl"] == {"attributeName": "expires", "enabled": True}  # one-time codes go by themselves
    assert "ttl" not in tables["loyalty-ledger"] or not tables["loyalty-ledger"]["ttl"]  # the ledger is kept for good


def test_two_buckets_versioned_and_backups_go_to_glacier_then_expire(graph):
    buckets = {b.name: b.inputs["bucket"] for b in graph.of_type("aws:s3/bucket:Bucket")}
    versioned = {v.inputs["bucket"] for v in graph.of_type("aws:s3/bucketVersioning:BucketVersioning")
                 if v.inputs["versioningConfiguration"]["status"] == "Enabled"}
    assert {buckets["loyalty-rules"], buckets["loyalty-backups"]} <= versioned
    [lifecycle] = [l.inputs for l in graph.of_type("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
                   if l.inputs["bucket"] == buckets["loyalty-backups"]]
    rule = lifecycle["rules"][0]
    assert rule["transitions"][0] == {"days": 90, "storageClass": "GLACIER"} and rule["expiration"]["days"] == 7 * 365
    objects = {o.inputs["key"]: o for o in graph.of_type("aws:s3/bucketObjectv2:BucketObjectv2") if o.inputs["bucket"] == buckets["loyalty-rules"]}
    assert set(objects) == {"rules.txt", "voice.txt"}
    assert all("source" in o.ignore_changes for o in objects.values())  # the owner's edits are never overwritten


def test_schedules_run_in_the_shops_time_zone(graph):
    schedules = {s.name: s.inputs for s in graph.of_type("aws:scheduler/schedule:Schedule") if s.name.startswith("loyalty-")}
    assert {n: s["scheduleExpression"] for n, s in schedules.items()} == {
        "loyalty-nightly-balance": "cron(0 19 * * ? *)", "loyalty-lapsing-sweep": "cron(0 9 ? * MON *)",
        "loyalty-monthly-summary": "cron(0 9 ? * 2#1 *)", "loyalty-backup": "cron(30 2 * * ? *)",
        "loyalty-held-digest": "cron(0 8 * * ? *)"}
    assert {s["scheduleExpressionTimezone"] for s in schedules.values()} == {"America/Los_Angeles"}


def test_drive_sync_is_scheduled_only_when_configured():
    configured = harness.run("dev", overrides={"driveRulesDocId": "1AbCdEfGhIjK"},
                             secrets={**harness.test_secrets(), "driveServiceAccount": '{"client_email": "x"}'})
    [sync] = [s.inputs for s in configured.of_type("aws:scheduler/schedule:Schedule") if s.name == "loyalty-drive-sync"]
    assert sync["scheduleExpression"] == "rate(15 minutes)"
    env = configured.named(LAMBDA, "loyalty-drive-sync").inputs["environment"]["variables"]
    assert json.loads(env["DRIVE_FILES_SETTING"]) == {"rules.txt": "1AbCdEfGhIjK"} and "DRIVE_SA_SECRET" in env


def test_a_time_zone_in_config_survives_the_round_trip_to_every_schedule(tmp_path):
    """Incident 9: the nightly job started running in UTC after a CI change."""
    moved = harness.run("dev", overrides={"timeZone": "Asia/Singapore"})
    zones = {s.name: s.inputs["scheduleExpressionTimezone"] for s in moved.of_type("aws:scheduler/schedule:Schedule")}
    assert set(zones.values()) == {"Asia/Singapore"} and "loyalty-nightly-balance" in zones
    knob = next(p.inputs["value"] for p in moved.of_type("aws:ssm/parameter:Parameter") if p.inputs["name"].endswith("/loyalty/time-zone"))
    assert knob == "Asia/Singapore"


def comparable(value):
    """Inputs with assets as their paths, so two runs of the program compare by content."""
    import pulumi

    if isinstance(value, pulumi.FileAsset):
        return ("file", value.path)
    if isinstance(value, pulumi.AssetArchive):
        return ("archive", sorted((k, comparable(v)) for k, v in value.assets.items()))
    if isinstance(value, dict):
        return {k: comparable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [comparable(v) for v in value]
    return value


def test_changing_a_knob_changes_only_its_parameter(dev_graph):
    changed = harness.run("dev", overrides={"loyaltyMaxNudges": 3})
    before = {(r.type, r.name): comparable(r.inputs) for r in dev_graph.resources if r.custom}
    after = {(r.type, r.name): comparable(r.inputs) for r in changed.resources if r.custom}
    differing = [key for key in before if before[key] != after.get(key)]
    assert differing == [("aws:ssm/parameter:Parameter", "loyalty-max-nudges")]


def test_quiet_hours_are_the_notifiers_not_a_loyalty_knob(dev_graph):
    knobs = {p.inputs["name"].rsplit("/", 2)[-2:][0] + "/" + p.inputs["name"].rsplit("/", 1)[-1]
             for p in dev_graph.of_type("aws:ssm/parameter:Parameter")}
    assert "notify/quiet-hours" in knobs and "loyalty/quiet-hours" not in knobs


def test_the_pos_behaviour_forwards_the_signature_headers(graph):
    behaviour = behaviour_for(graph, "loyalty", "/api/pos/sales")
    headers = request_policy(graph, behaviour["originRequestPolicyId"])["headersConfig"]["headers"]["items"]
    assert {"X-Timestamp", "X-Signature"} <= set(headers)


def test_budget_and_the_build_sheets_alarms(graph):
    budget = graph.of_type("aws:budgets/budget:Budget")[0].inputs
    assert budget["limitAmount"] == "15" and sorted(n["threshold"] for n in budget["notifications"]) == [80, 100]
    alarms = {a.name: a.inputs for a in graph.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")}
    assert alarms["function-errors"]["threshold"] == 0 and alarms["function-errors"]["period"] == 3600
    assert "loyalty-earn" in alarms["function-errors"]["alarmDescription"]  # covered by the account-wide alarm
    assert alarms["ses-bounce-rate"]["metricName"] == "Reputation.BounceRate" and alarms["ses-bounce-rate"]["threshold"] == 0.02
    assert "loyalty-redeem-refused" in alarms and "loyalty-rules-invalid" in alarms
    filters = {f.name: f.inputs["pattern"] for f in graph.of_type("aws:cloudwatch/logMetricFilter:LogMetricFilter")}
    assert "rules invalid" in filters["loyalty-rules-invalid"] and "condition_failed" in filters["loyalty-redeem-refused"]


def test_mail_events_reach_email_dispatch_and_ses_events_reach_the_notifier(graph):
    [rule] = [r.inputs for r in graph.of_type("aws:cloudwatch/eventRule:EventRule")]
    assert set(json.loads(rule["eventPattern"])["detail-type"]) == {"reward_earned", "nightly_email", "winback_nudge"}
    dispatch_arn = graph.named(LAMBDA, "loyalty-email-dispatch").outputs["arn"]
    assert [t.inputs["arn"] for t in graph.of_type("aws:cloudwatch/eventTarget:EventTarget")] == [dispatch_arn]
    # Bounces and complaints (the mailer's topic) go to notify-events, the one suppression list.
    mail_topic = graph.named("aws:sns/topic:Topic", "mailer-events").outputs["arn"]
    to_lambdas = {s.inputs["topic"]: s.inputs["endpoint"] for s in graph.of_type("aws:sns/topicSubscription:TopicSubscription")
                  if s.inputs["protocol"] == "lambda"}
    assert to_lambdas[mail_topic] == graph.named(LAMBDA, "notify-events").outputs["arn"]
    assert dispatch_arn not in to_lambdas.values()
    assert not [s for s in graph.of_type("aws:scheduler/schedule:Schedule") if "defer" in s.name]  # made at run time, by the notifier
