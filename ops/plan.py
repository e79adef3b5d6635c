"""`python -m ops plan --stack S`: what the program would create, offline.

The program runs under the harness (mocks, no AWS, no Pulumi CLI); every resource is listed
with its type, name and the inputs a reviewer cares about, grouped under its component.
"""

from __future__ import annotations

import json
from collections import Counter

from ops import harness

# Inputs worth showing per type: the ones that change cost, exposure or behaviour.
KEY_INPUTS = {
    "aws:lambda/function:Function": ("name", "runtime", "architectures", "handler", "memorySize", "timeout"),
    "aws:dynamodb/table:Table": ("name", "billingMode", "hashKey", "rangeKey", "deletionProtectionEnabled"),
    "aws:s3/bucket:Bucket": ("bucket", "forceDestroy"),
    "aws:cloudfront/distribution:Distribution": ("aliases", "priceClass"),
    "aws:cloudfront/function:Function": ("name", "runtime", "comment"),
    "aws:iam/role:Role": ("name",),
    "aws:ssm/parameter:Parameter": ("name", "type", "tier"),
    "aws:budgets/budget:Budget": ("limitAmount", "limitUnit", "timeUnit"),
    "aws:cloudwatch/metricAlarm:MetricAlarm": ("name", "metricName", "threshold"),
    "aws:s3/bucketObjectv2:BucketObjectv2": ("key", "contentType"),
    "aws:sesv2/emailIdentity:EmailIdentity": ("emailIdentity",),
    "aws:scheduler/schedule:Schedule": ("name", "scheduleExpression", "scheduleExpressionTimezone"),
}


def describe(resource: harness.Resource) -> dict:
    keys = KEY_INPUTS.get(resource.type, ("name",))
    shown = {k: resource.inputs[k] for k in keys if resource.inputs.get(k) not in (None, "", [])}
    if resource.type == "aws:cloudfront/distribution:Distribution":
        shown["behaviours"] = [
            f"{b['pathPattern']} → {b['targetOriginId']}" for b in resource.inputs.get("orderedCacheBehaviors", [])
        ] + [f"* → {resource.inputs['defaultCacheBehavior']['targetOriginId']}"]
    if resource.protect:
        shown["protect"] = True
    return shown


def main(args) -> int:
    graph = harness.run(args.stack)
    custom = [r for r in graph.resources if r.custom]
    if args.json:
        print(json.dumps([{"type": r.type, "name": r.name, "parent": r.parent.rsplit("::", 1)[-1], **describe(r)} for r in custom], indent=2, default=str))
        return 0
    from rich.console import Console
    from rich.tree import Tree

    console = Console()
    nodes: dict[str, Tree] = {}
    root = Tree(f"[bold]stack {args.stack}[/] — {len(custom)} resources")
    for resource in graph.resources:
        parent_node = nodes.get(resource.parent, root)
        if resource.custom:
            details = ", ".join(f"{k}={v}" for k, v in describe(resource).items())
            parent_node.add(f"[cyan]{resource.type}[/] {resource.name}  [dim]{details}[/]")
        else:
            nodes[resource.urn] = parent_node.add(f"[bold]{resource.type.split(':')[-1]}[/] {resource.name}")
    console.print(root)
    counts = Counter(r.type for r in custom)
    console.print("\n".join(f"{n:4d}  {t}" for t, n in counts.most_common()))
    return 0
