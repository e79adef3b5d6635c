"""`python -m ops cost --stack S [--volume FILE]`: the monthly AWS bill the stack's graph implies.

Two parts, from the same graph `ops plan` prints (`harness.run`):
- fixed: what the stack's resources cost by existing (secrets, alarms, custom metrics, zones,
  keys, advanced parameters, web ACLs, budgets), whatever the traffic;
- per use, at a stated volume (SPEC's SMB volume unless `--volume` overrides it): Lambda,
  DynamoDB, CloudFront, S3, SES, Scheduler, EventBridge, Secrets Manager calls, CloudWatch Logs,
  Bedrock. DynamoDB units per request come from `ops/request_calls.json`, the calls `make bench`
  measures on each request path (`--measure` re-measures it; a test keeps it equal to a fresh
  measurement).
Prices come from `ops/prices/<region>.json` (dated, a source per price). Always-free tiers are
applied and shown; 12-month tiers are not. Every resource type in the graph is either priced,
known to cost nothing by existing, or listed as not priced: nothing is left out silently.
"""

from __future__ import annotations

import json
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ops import harness

HERE = Path(__file__).resolve().parent
PRICES = HERE / "prices"
REQUEST_CALLS = HERE / "request_calls.json"
DAYS_PER_MONTH = 30.44

# SPEC ("Budgets"): the SMB volume per month. SMS fees are excluded by SPEC.
SMB_VOLUME = {"referral_clicks": 10_000, "sales": 2_000, "jobs": 300, "charters": 60, "mails": 5_000}
# What the SPEC does not say, stated here; a --volume file overrides any of them.
ASSUMPTIONS = {
    "unknown_code_share": 0.1,        # referral clicks on a code no vendor has
    "redeems_per_sale": 0.1,
    "events_per_sale": 0.2,           # reward earned → a loyalty mail event
    "track_views_per_job": 5,
    "status_changes_per_job": 3,      # pending → ready → in progress → completed
    "crew_opens_per_charter": 3,
    "page_views": 20_000,             # site pages (S3 behind CloudFront), all sites
    "page_kb": 100,
    "api_response_kb": 2,
    "request_ms": 200,                # average billed duration of a request handler
    "scheduled_ms": 3_000,            # average billed duration of a scheduled job
    "cold_start_share": 0.5,          # invocations that start a new environment (secrets fetched)
    "log_bytes_per_invocation": 2_000,
    "table_gb": 0.1,                  # all tables together (PITR is billed on it)
    "staff_signed_in": 10,            # staff accounts signing in in a month (Cognito bills active users)
    "summary_input_tokens": 3_000,
    "summary_output_tokens": 600,
}

# Resource types that cost nothing by existing (their use, if any, is in the per-use part).
FREE_TYPES = {
    "aws:acm/certificate:Certificate", "aws:acm/certificateValidation:CertificateValidation",
    "aws:cloudfront/distribution:Distribution", "aws:cloudfront/function:Function",
    "aws:cloudfront/originAccessControl:OriginAccessControl", "aws:cloudfront/originRequestPolicy:OriginRequestPolicy",
    "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy", "aws:cloudfront/cachePolicy:CachePolicy",
    "aws:cloudwatch/eventRule:EventRule", "aws:cloudwatch/eventTarget:EventTarget", "aws:cloudwatch/eventBus:EventBus",
    "aws:cloudwatch/logGroup:LogGroup", "aws:dynamodb/table:Table", "aws:dynamodb/tableItem:TableItem",
    "aws:iam/role:Role", "aws:iam/rolePolicy:RolePolicy", "aws:iam/policy:Policy",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    "aws:lambda/eventSourceMapping:EventSourceMapping", "aws:lambda/function:Function",
    "aws:lambda/functionUrl:FunctionUrl", "aws:lambda/layerVersion:LayerVersion", "aws:lambda/permission:Permission",
    "aws:route53/record:Record", "aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "aws:s3/bucketObjectv2:BucketObjectv2",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls", "aws:s3/bucketPolicy:BucketPolicy",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketVersioning:BucketVersioning", "aws:scheduler/schedule:Schedule",
    "aws:scheduler/scheduleGroup:ScheduleGroup", "aws:secretsmanager/secretVersion:SecretVersion",
    "aws:sesv2/configurationSet:ConfigurationSet",
    "aws:sesv2/configurationSetEventDestination:ConfigurationSetEventDestination",
    "aws:sesv2/emailIdentity:EmailIdentity", "aws:sns/topic:Topic", "aws:sns/topicPolicy:TopicPolicy",
    "aws:sns/topicSubscription:TopicSubscription",
    "aws:sns/smsPreferences:SmsPreferences",  # account settings; each text is paid per message (not estimated)
    "aws:cognito/userPoolClient:UserPoolClient", "aws:cognito/userGroup:UserGroup",
    "random:index/randomPassword:RandomPassword", "random:index/randomBytes:RandomBytes",
}
# Priced by existing (see `fixed_lines`); SSM parameters are free unless Advanced.
PRICED_TYPES = {
    "aws:secretsmanager/secret:Secret", "aws:cloudwatch/metricAlarm:MetricAlarm",
    "aws:cloudwatch/compositeAlarm:CompositeAlarm", "aws:cloudwatch/logMetricFilter:LogMetricFilter",
    "aws:route53/zone:Zone", "aws:kms/key:Key", "aws:ssm/parameter:Parameter", "aws:wafv2/webAcl:WebAcl",
    "aws:budgets/budget:Budget", "aws:cognito/userPool:UserPool",
}


@dataclass
class Line:
    item: str
    quantity: float
    unit: str
    gross: float
    free: float = 0.0  # dollars the always-free tier takes off
    note: str = ""

    @property
    def billed(self) -> float:
        return max(self.gross - self.free, 0.0)


@dataclass
class Bill:
    stack: str
    region: str
    checked: str
    fixed: list[Line] = field(default_factory=list)
    per_use: list[Line] = field(default_factory=list)
    unpriced: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    volume: dict = field(default_factory=dict)

    @property
    def fixed_total(self) -> float:
        return sum(line.billed for line in self.fixed)

    @property
    def per_use_total(self) -> float:
        return sum(line.billed for line in self.per_use)

    @property
    def all_in(self) -> float:
        return self.fixed_total + self.per_use_total


def load_prices(region: str) -> dict:
    path = PRICES / f"{region}.json"
    if not path.exists():
        raise SystemExit(f"no price table for {region}: add ops/prices/{region}.json (see us-west-2.json)")
    return json.loads(path.read_text())


class Priced:
    """Lines from the price table: quantity in the table's unit, free tier applied when always-free."""

    def __init__(self, table: dict):
        self.prices = table["prices"]

    def line(self, key: str, item: str, quantity: float, note: str = "", free_units: float | None = None) -> Line:
        price = self.prices[key]
        rate = price["usd"] / price["per"]
        free = price.get("free", 0) if free_units is None else free_units
        return Line(item, quantity, price["unit"], quantity * rate, min(quantity, free) * rate, note)


# ---- fixed part -------------------------------------------------------------------------------

def _alarm_metrics(alarm: harness.Resource) -> int:
    queries = alarm.inputs.get("metricQueries") or []
    return sum(1 for q in queries if q.get("metric")) if queries else 1


def fixed_lines(graph: harness.Graph, priced: Priced) -> tuple[list[Line], list[str]]:
    lines, notes = [], []
    secrets = graph.of_type("aws:secretsmanager/secret:Secret")
    if secrets:
        lines.append(priced.line("secretsmanager.secret", "Secrets Manager secrets", len(secrets)))
    alarms = graph.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
    standard = sum(_alarm_metrics(a) for a in alarms if float(a.inputs.get("period") or 60) >= 60)
    high = sum(_alarm_metrics(a) for a in alarms if float(a.inputs.get("period") or 60) < 60)
    if standard:
        lines.append(priced.line("cloudwatch.alarm.standard", "CloudWatch alarms (standard)", standard))
        free = priced.prices["cloudwatch.alarm.standard"].get("free", 0)
        if standard > free:
            notes.append(f"The {free} free alarm metrics are per account: a second stack in the same account (dev) "
                         f"has none left, and this one would pay for all {standard} "
                         f"(${standard * priced.prices['cloudwatch.alarm.standard']['usd']:.2f}).")
    if high:
        lines.append(priced.line("cloudwatch.alarm.high_resolution", "CloudWatch alarms (high resolution)", high))
    composite = graph.of_type("aws:cloudwatch/compositeAlarm:CompositeAlarm")
    if composite:
        lines.append(priced.line("cloudwatch.alarm.composite", "CloudWatch composite alarms", len(composite)))
    filters = graph.of_type("aws:cloudwatch/logMetricFilter:LogMetricFilter")
    if filters:  # each publishes one custom metric (a default value keeps it published)
        lines.append(priced.line("cloudwatch.metric.custom", "custom metrics (log metric filters)", len(filters)))
    for key, type_, item in (("route53.hosted_zone", "aws:route53/zone:Zone", "Route 53 hosted zones"),
                             ("kms.key", "aws:kms/key:Key", "KMS customer managed keys"),
                             ("wafv2.web_acl", "aws:wafv2/webAcl:WebAcl", "WAF web ACLs")):
        found = graph.of_type(type_)
        if found:
            lines.append(priced.line(key, item, len(found)))
    rules = sum(len(acl.inputs.get("rules") or []) for acl in graph.of_type("aws:wafv2/webAcl:WebAcl"))
    if rules:
        lines.append(priced.line("wafv2.rule", "WAF rules", rules))
    advanced = [p for p in graph.of_type("aws:ssm/parameter:Parameter") if p.inputs.get("tier") == "Advanced"]
    if advanced:
        lines.append(priced.line("ssm.advanced_parameter", "SSM advanced parameters", len(advanced)))
    for pool in graph.of_type("aws:cognito/userPool:UserPool"):
        staff = ASSUMPTIONS["staff_signed_in"]
        if pool.inputs.get("userPoolTier") == "PLUS":
            lines.append(priced.line("cognito.mau.plus", "staff sign-in (Cognito Plus)", staff, f"{staff} staff a month"))
        else:
            lines.append(priced.line("cognito.mau.lite", "staff sign-in (Cognito Lite)", staff, f"{staff} staff a month"))
    budgets = graph.of_type("aws:budgets/budget:Budget")
    if budgets:
        days = len(budgets) * DAYS_PER_MONTH
        free_days = min(len(budgets), priced.prices["budgets.budget"].get("free", 0)) * DAYS_PER_MONTH
        lines.append(priced.line("budgets.budget", f"budgets ({len(budgets)})", days, free_units=free_days))
    if graph.config.get(f"{harness.PROJECT}:hostedZoneId"):
        notes.append("Not counted: the hosted zone the stack's records go in (hostedZoneId) exists outside the stack "
                     f"(${priced.prices['route53.hosted_zone']['usd']:.2f}/month, paid whether or not Mainstreet runs).")
    return lines, notes


def unpriced_types(graph: harness.Graph) -> dict[str, int]:
    found: dict[str, int] = {}
    for resource in graph.resources:
        if not resource.custom or resource.type.startswith("pulumi:providers:"):
            continue
        if resource.type not in FREE_TYPES | PRICED_TYPES:
            found[resource.type] = found.get(resource.type, 0) + 1
    return found


# ---- per-use part -----------------------------------------------------------------------------

def load_volume(path: str | Path | None) -> dict:
    volume = {**SMB_VOLUME, **ASSUMPTIONS}
    if path:
        given = yaml.safe_load(Path(path).read_text()) or {}  # YAML is a superset of JSON
        unknown = sorted(set(given) - set(volume))
        if unknown:
            raise SystemExit(f"{path}: unknown volume keys {unknown}; known: {sorted(volume)}")
        volume.update({k: float(v) for k, v in given.items()})
    return volume


def schedule_fires_per_month(expression: str) -> float:
    """Fires per month of an EventBridge cron/rate expression (minutes hours dom month dow year)."""
    if expression.startswith("rate("):
        amount, unit = expression[5:-1].split()
        minutes = {"minute": 1, "hour": 60, "day": 1440}[unit.rstrip("s")]
        return DAYS_PER_MONTH * 1440 / (float(amount) * minutes)
    if not expression.startswith("cron("):
        return 1.0  # at(...): once
    minute, hour, dom, _month, dow, *_ = expression[5:-1].split()
    per_day = len(minute.split(",")) * len(hour.split(","))
    if "#" in dow or "L" in dow:
        days = 1.0
    elif dow not in ("*", "?"):
        days = len(dow.split(",")) * DAYS_PER_MONTH / 7
    elif dom not in ("*", "?"):
        days = len(dom.split(","))
    else:
        days = DAYS_PER_MONTH
    return days * per_day


def load_request_calls() -> dict:
    return json.loads(REQUEST_CALLS.read_text())["requests"]


def per_use_lines(graph: harness.Graph, priced: Priced, volume: dict) -> tuple[list[Line], list[str]]:
    functions = {f.name: f for f in graph.of_type("aws:lambda/function:Function")}
    measured = load_request_calls()
    v = volume
    # (request row in request_calls.json or None, per month, functions invoked once each, through CloudFront)
    flows: list[tuple[str | None, float, tuple[str, ...], bool]] = [
        ("referral click, known vendor", v["referral_clicks"] * (1 - v["unknown_code_share"]), ("referral-click",), True),
        ("referral click, unknown code", v["referral_clicks"] * v["unknown_code_share"], ("referral-click",), True),
        ("loyalty earn (a sale)", v["sales"], ("loyalty-pos-webhook", "loyalty-earn"), True),
        ("loyalty redeem", v["sales"] * v["redeems_per_sale"], ("loyalty-redeem",), True),
        (None, v["sales"] * v["events_per_sale"], ("loyalty-email-dispatch",), False),
        ("dispatch booking", v["jobs"], ("dispatch-booking", "dispatch-notify"), True),
        ("dispatch track", v["jobs"] * v["track_views_per_job"], ("dispatch-track",), True),
        ("dispatch status change", v["jobs"] * v["status_changes_per_job"], ("dispatch-board", "dispatch-notify"), True),
        ("charter booking (fan-out)", v["charters"], ("charter-intake",), True),
        ("crew link opened", v["charters"] * v["crew_opens_per_charter"], ("charter-crew",), True),
        # Every mail: the notifier's message row and suppression read, and SES's Send event to notify-events.
        ("notification: mail (dispatch booking)", v["mails"], ("notify-events",), False),
    ]
    notes = []
    invocations: dict[str, float] = {}
    gb_seconds = {"arm64": 0.0, "x86_64": 0.0}
    wru = rru = s3_puts = paths = http_requests = 0.0

    def invoke(name: str, count: float, ms: float) -> None:
        fn = functions[name]
        invocations[name] = invocations.get(name, 0.0) + count
        arch = (fn.inputs.get("architectures") or ["x86_64"])[0]
        gb_seconds[arch] += count * float(fn.inputs.get("memorySize") or 128) / 1024 * ms / 1000

    for row, count, names, through_cloudfront in flows:
        if not all(name in functions for name in names):
            continue  # the system is off in this stack
        for name in names:
            invoke(name, count, v["request_ms"])
        if through_cloudfront:
            http_requests += count
        if row is not None:
            calls = measured[row]
            wru += count * calls["wru"]
            rru += count * calls["rru"]
            s3_puts += count * calls["s3_puts"]
            paths += count * calls["invalidation_paths"]
    fires = 0.0
    for schedule in graph.of_type("aws:scheduler/schedule:Schedule"):
        n = schedule_fires_per_month(schedule.inputs["scheduleExpression"])
        fires += n
        target = schedule.inputs["target"]["arn"].rsplit(":function:", 1)[-1]
        name = next((f for f, r in functions.items() if r.inputs.get("name") == target), None)
        if name:
            invoke(name, n, v["scheduled_ms"])
    notes.append("Scheduled jobs' own DynamoDB reads and writes, bounce notices and the POS webhook's own calls "
                 "are not measured by `make bench` and not counted.")

    lines = []
    total_invocations = sum(invocations.values())
    lines.append(priced.line("lambda.request", "Lambda requests", total_invocations))
    for arch, seconds in gb_seconds.items():
        if seconds:
            free = priced.prices["lambda.duration.arm64"]["free"]  # one allowance across architectures
            lines.append(priced.line(f"lambda.duration.{arch}", f"Lambda duration ({arch})", seconds,
                                     f"{v['request_ms']:.0f} ms per request, {v['scheduled_ms']:.0f} ms per scheduled run",
                                     free_units=free if arch == "arm64" else 0))
    if any(t.inputs.get("billingMode") == "PAY_PER_REQUEST" for t in graph.of_type("aws:dynamodb/table:Table")):
        lines.append(priced.line("dynamodb.write", "DynamoDB writes (on-demand)", wru, "units per request: ops/request_calls.json"))
        lines.append(priced.line("dynamodb.read", "DynamoDB reads (on-demand)", rru))
        lines.append(priced.line("dynamodb.storage", "DynamoDB storage", v["table_gb"]))
        pitr = [t for t in graph.of_type("aws:dynamodb/table:Table") if (t.inputs.get("pointInTimeRecovery") or {}).get("enabled")]
        if pitr:
            lines.append(priced.line("dynamodb.pitr", f"DynamoDB point-in-time recovery ({len(pitr)} tables)", v["table_gb"]))
    if graph.of_type("aws:cloudfront/distribution:Distribution"):
        requests = http_requests + v["page_views"]
        lines.append(priced.line("cloudfront.request", "CloudFront requests", requests))
        gb = (v["page_views"] * v["page_kb"] + http_requests * v["api_response_kb"]) / 1024 / 1024
        lines.append(priced.line("cloudfront.transfer", "CloudFront data out", gb))
        if graph.of_type("aws:cloudfront/function:Function"):
            # every behaviour runs a viewer-request function: one invocation per request
            lines.append(priced.line("cloudfront.function", "CloudFront Function invocations", requests))
        if paths:
            lines.append(priced.line("cloudfront.invalidation", "CloudFront invalidation paths", paths))
    site_bytes = sum(Path(o.inputs["source"].path).stat().st_size for o in graph.of_type("aws:s3/bucketObjectv2:BucketObjectv2")
                     if getattr(o.inputs.get("source"), "path", None))
    if graph.of_type("aws:s3/bucket:Bucket"):
        lines.append(priced.line("s3.storage", "S3 storage (site pages as declared)", site_bytes / 1024 ** 3))
        lines.append(priced.line("s3.put", "S3 PUT requests", s3_puts))
        lines.append(priced.line("s3.get", "S3 GET requests (every page view a miss)", v["page_views"]))
    if graph.of_type("aws:sesv2/emailIdentity:EmailIdentity"):
        lines.append(priced.line("ses.message", "SES messages", v["mails"]))
    if fires:
        lines.append(priced.line("scheduler.invocation", "EventBridge Scheduler invocations", fires))
    if "loyalty-earn" in functions:
        lines.append(priced.line("events.custom", "EventBridge custom events", v["sales"] * v["events_per_sale"] + DAYS_PER_MONTH))
    secrets_calls = sum(count * v["cold_start_share"] * _secrets_read(functions[name], graph)
                        for name, count in invocations.items())
    if secrets_calls:
        lines.append(priced.line("secretsmanager.api", "Secrets Manager API calls (on cold starts)", secrets_calls))
    ingest = total_invocations * v["log_bytes_per_invocation"] / 1024 ** 3
    retention = max([float(g.inputs.get("retentionInDays") or 30) for g in graph.of_type("aws:cloudwatch/logGroup:LogGroup")] or [30])
    stored = ingest * min(retention, DAYS_PER_MONTH) / DAYS_PER_MONTH
    free_gb = priced.prices["logs.ingest"]["free"]
    lines.append(priced.line("logs.ingest", "CloudWatch Logs ingestion", ingest, free_units=min(ingest, free_gb)))
    lines.append(priced.line("logs.storage", f"CloudWatch Logs storage ({retention:.0f}-day retention)", stored,
                             free_units=max(free_gb - ingest, 0)))
    summary = functions.get("loyalty-summary")
    model = (summary.inputs["environment"]["variables"].get("BEDROCK_MODEL_SETTING", "") if summary else "")
    if model and model != "off":
        runs = invocations.get("loyalty-summary", 0.0)
        if "haiku" not in model:
            notes.append(f"Bedrock model {model} has no price in the table: not counted.")
        else:
            lines.append(priced.line("bedrock.haiku.input", "Bedrock input tokens (monthly summary)", runs * v["summary_input_tokens"]))
            lines.append(priced.line("bedrock.haiku.output", "Bedrock output tokens (monthly summary)", runs * v["summary_output_tokens"]))
    return lines, notes


def _secrets_read(fn: harness.Resource, graph: harness.Graph) -> int:
    """How many of the stack's secrets a function's environment names (each fetched once per cold start)."""
    values = [str(value) for value in fn.inputs["environment"]["variables"].values()]
    names = [s.inputs.get("name") or s.name for s in graph.of_type("aws:secretsmanager/secret:Secret")]
    arns = [s.outputs.get("arn", "") for s in graph.of_type("aws:secretsmanager/secret:Secret")]
    return sum(1 for name, arn in zip(names, arns) if any(name in value or (arn and arn in value) for value in values))


# ---- the bill ---------------------------------------------------------------------------------

def estimate(stack: str, volume_file: str | Path | None = None, graph: harness.Graph | None = None) -> Bill:
    graph = graph or harness.run(stack)
    region = harness.region_of(graph.config)
    table = load_prices(region)
    priced = Priced(table)
    volume = load_volume(volume_file)
    bill = Bill(stack=stack, region=region, checked=table["checked"], volume=volume)
    bill.fixed, notes = fixed_lines(graph, priced)
    bill.notes += notes
    bill.per_use, notes = per_use_lines(graph, priced, volume)
    bill.notes += notes
    bill.unpriced = unpriced_types(graph)
    return bill


def summary_line(bill: Bill) -> str:
    return f"fixed ${bill.fixed_total:.2f}/month; at SMB volume ${bill.all_in:.2f}/month"


def _quantity(q: float) -> str:
    return f"{q:,.0f}" if q >= 100 else f"{q:.4f}".rstrip("0").rstrip(".") if q >= 0.0001 else f"{q:.2e}"


def render(bill: Bill, volume_file: str | None = None) -> str:
    out = [f"stack {bill.stack} ({bill.region}): prices checked {bill.checked}, ops/prices/{bill.region}.json", ""]
    out.append("Fixed, per month whatever the traffic")
    for line in bill.fixed:
        free = f"  (free tier −${line.free:.2f})" if line.free else ""
        out.append(f"  {line.item:<44} {_quantity(line.quantity):>10} {line.unit:<28} ${line.gross:>7.2f}{free}  → ${line.billed:.2f}")
    out.append(f"  {'fixed':<84} ${bill.fixed_total:.2f}")
    out.append("")
    driver = ", ".join(f"{bill.volume[k]:,.0f} {k.replace('_', ' ')}" for k in SMB_VOLUME)
    source = f"volume from {volume_file}" if volume_file else "SMB volume from SPEC"
    out.append(f"Per use at {driver} ({source}; SMS fees excluded)")
    for line in bill.per_use:
        free = f"  (free tier −${line.free:.2f})" if line.free else ""
        note = f"  [{line.note}]" if line.note else ""
        out.append(f"  {line.item:<44} {_quantity(line.quantity):>10} {line.unit[:28]:<28} ${line.gross:>7.2f}{free}  → ${line.billed:.2f}{note}")
    out.append(f"  {'per use':<84} ${bill.per_use_total:.2f}")
    out.append(f"  always-free tiers took ${sum(l.free for l in bill.fixed + bill.per_use):.2f} off; "
               "12-month tiers (S3, SES) are not applied")
    assumed = ", ".join(f"{k}={bill.volume[k]:g}" for k in ASSUMPTIONS)
    out.append(f"  assumed: {assumed}")
    if bill.unpriced:
        out.append("")
        out.append("NOT PRICED (add them to ops/cost.py): " + ", ".join(f"{t} ×{n}" for t, n in sorted(bill.unpriced.items())))
    for note in bill.notes:
        out.append(f"note: {note}")
    out.append("")
    out.append(summary_line(bill))
    return "\n".join(out)


# ---- measuring DynamoDB units per request (`make bench`'s request paths) ----------------------

WRITE_ITEM_OPS = {"PutItem", "UpdateItem", "DeleteItem"}


def _units(op: str, params: dict, gsis: dict[str, int]) -> tuple[float, float]:
    """(WRU, RRU) of one DynamoDB call, items ≤ 1 KB written and ≤ 4 KB read. A write also counts one
    unit per global secondary index of its table: an upper bound (an index is written only when the
    item carries its keys)."""
    def read(p: dict) -> float:
        return 1.0 if p.get("ConsistentRead") else 0.5
    if op in WRITE_ITEM_OPS:
        return 1 + gsis.get(params.get("TableName", ""), 0), 0.0
    if op == "TransactWriteItems":
        wru = 0.0
        for item in params.get("TransactItems", []):
            (kind, body), = item.items()
            wru += 2 + (0 if kind == "ConditionCheck" else gsis.get(body.get("TableName", ""), 0))
        return wru, 0.0
    if op == "BatchWriteItem":
        return sum(len(reqs) * (1 + gsis.get(t, 0)) for t, reqs in params.get("RequestItems", {}).items()), 0.0
    if op in ("GetItem", "Query", "Scan"):
        return 0.0, read(params)
    if op == "TransactGetItems":
        return 0.0, 2.0 * len(params.get("TransactItems", []))
    if op == "BatchGetItem":
        return 0.0, sum(len(spec.get("Keys", [])) * read(spec) for spec in params.get("RequestItems", {}).values())
    return 0.0, 0.0


@contextmanager
def _recording(sink: list):
    """`awscalls.counting` that also keeps each call's parameters (for units and paths)."""
    from ops import awscalls

    original = awscalls.counting

    class Recorded(awscalls.Calls):
        def __init__(self) -> None:
            super().__init__()
            self.params: list[tuple[str, str, dict]] = []
            self.frozen: list[tuple[str, str, dict]] = []
            sink.append(self)

        def parameters(self, params=None, model=None, **_) -> None:
            # before-parameter-build sees the API parameters (before-call sees the serialized request)
            self.params.append((model.service_model.service_name, model.name, dict(params or {})))

    @contextmanager
    def counting(session=None):
        if session is None:
            from handlers.shared.aws import session as handler_session

            session = handler_session()
        calls = Recorded()
        session.events.register("before-call", calls, unique_id="ops.awscalls")
        session.events.register("before-parameter-build", calls.parameters, unique_id="ops.cost.params")
        try:
            yield calls
        finally:
            session.events.unregister("before-call", unique_id="ops.awscalls")
            session.events.unregister("before-parameter-build", unique_id="ops.cost.params")
            # clients made in the block keep its hooks: later calls through them are not this request's
            calls.frozen = list(calls.params)

    awscalls.counting = counting
    try:
        yield
    finally:
        awscalls.counting = original


def measure_request_calls(graph: harness.Graph) -> dict:
    """Runs `bench.request_path_calls` and turns each measured request into billable units."""
    from ops import bench

    gsis = {t.inputs.get("name"): len(t.inputs.get("globalSecondaryIndexes") or []) for t in graph.of_type("aws:dynamodb/table:Table")}
    recorded: list = []
    with _recording(recorded):
        rows = bench.request_path_calls(graph)
    if len(rows) != len(recorded):
        raise RuntimeError(f"{len(rows)} bench rows but {len(recorded)} counted blocks")
    table = {}
    for (label, *_), calls in zip(rows, recorded):
        wru = rru = 0.0
        s3_puts = paths = 0
        for service, op, params in calls.frozen:
            if service == "dynamodb":
                w, r = _units(op, params, gsis)
                wru, rru = wru + w, rru + r
            elif service == "s3" and op in ("PutObject", "CopyObject"):
                s3_puts += 1
            elif service == "cloudfront" and op == "CreateInvalidation":
                paths += len(params.get("InvalidationBatch", {}).get("Paths", {}).get("Items", []))
        table[label] = {"calls": [f"{s}:{o}" for s, o, _ in calls.frozen], "wru": wru, "rru": rru,
                        "s3_puts": s3_puts, "invalidation_paths": paths}
    return table


def write_request_calls(graph: harness.Graph) -> dict:
    table = measure_request_calls(graph)
    REQUEST_CALLS.write_text(json.dumps({
        "about": "AWS calls per request on warm handlers, measured by `make bench` (ops/bench.py request_path_calls) against "
                 "moto, with DynamoDB units: items ≤ 1 KB written, ≤ 4 KB read, transactions 2 units per item, plus one "
                 "write unit per global secondary index of the table written (an upper bound). SES sends are not priced "
                 "from here (the volume's mails are). Regenerate: python -m ops cost --stack prod --measure",
        "stack": graph.stack,
        "requests": table}, indent=2, ensure_ascii=False) + "\n")
    return table


def main(args) -> int:
    if getattr(args, "measure", False):
        table = write_request_calls(harness.run(args.stack))
        print(f"wrote {REQUEST_CALLS.relative_to(harness.ROOT)}: {len(table)} requests")
        return 0
    bill = estimate(args.stack, args.volume)
    print(render(bill, args.volume))
    return 0
