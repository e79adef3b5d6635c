"""A function subscribed to something that pushes to it: an EventBridge rule on the default bus,
or an SNS topic. Each comes with the permission that lets that service invoke the function."""

from __future__ import annotations

import json
from typing import Optional

import pulumi
import pulumi_aws as aws

from components.blocks.function import Function
from components.stack.context import Context


def _child(parent: pulumi.Resource, moved_from: Optional[pulumi.Resource]) -> pulumi.ResourceOptions:
    return pulumi.ResourceOptions(parent=parent, aliases=[pulumi.Alias(parent=moved_from)] if moved_from is not None else None)


def stack_source(ctx: Context, system: str) -> str:
    """The event source a system of this stack puts on the default bus: `mainstreet.prod.loyalty`.

    Every stack in the account shares the default bus, so the stack is in the source: a rule
    matching it never receives another stack's events (prod customers' events never reach dev).
    """
    return f"{ctx.naming.project}.{ctx.naming.stack}.{system}"


class EventSubscription(pulumi.ComponentResource):
    """Events on the default bus matching `source` (from `stack_source`) and `detail_types` invoke `function`."""

    def __init__(self, name: str, source: str, detail_types: list[str], function: Function, ctx: Context,
                 moved_from: Optional[pulumi.Resource] = None, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mainstreet:events:EventSubscription", name, None, opts)
        child = _child(self, moved_from)
        rule = aws.cloudwatch.EventRule(name, name=ctx.naming(name, "alarm"), opts=child,
                                        event_pattern=json.dumps({"source": [source], "detail-type": detail_types}))
        aws.cloudwatch.EventTarget(name, rule=rule.name, arn=function.arn, opts=child)
        aws.lambda_.Permission(f"{name}-events", action="lambda:InvokeFunction", function=function.name,
                               principal="events.amazonaws.com", source_arn=rule.arn, opts=child)
        self.register_outputs({"rule": rule.arn})


class TopicSubscription(pulumi.ComponentResource):
    """Every message on `topic` invokes `function`."""

    def __init__(self, name: str, topic: aws.sns.Topic, function: Function,
                 moved_from: Optional[pulumi.Resource] = None, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mainstreet:events:TopicSubscription", name, None, opts)
        child = _child(self, moved_from)
        aws.sns.TopicSubscription(name, topic=topic.arn, protocol="lambda", endpoint=function.arn, opts=child)
        aws.lambda_.Permission(name, action="lambda:InvokeFunction", function=function.name,
                               principal="sns.amazonaws.com", source_arn=topic.arn, opts=child)
        self.register_outputs({})
