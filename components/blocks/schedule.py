"""An EventBridge Scheduler schedule that invokes one function, in the business's time zone.

The time zone is always explicit: a schedule without one runs in UTC, which is how the seed's
nightly job drifted by hours after a CI change (SPEC incident 9).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from components.stack.context import Context
from components.blocks.function import Function
from components.blocks.iam import assume_role_policy


@dataclass
class ScheduleArgs:
    expression: str  # cron(...) or rate(...)
    time_zone: str  # IANA, from stack config
    target: Function
    input: dict[str, Any] = field(default_factory=dict)
    description: str = ""


class Schedule(pulumi.ComponentResource):
    def __init__(self, name: str, args: ScheduleArgs, ctx: Context, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mainstreet:ops:Schedule", name, None, opts)
        if not args.time_zone:
            raise ValueError(f"schedule {name}: give a time zone; without one it runs in UTC")
        child = pulumi.ResourceOptions(parent=self)
        role = aws.iam.Role(
            f"{name}-schedule",
            name=ctx.naming(f"{name}-schedule", "role"),
            assume_role_policy=assume_role_policy("scheduler.amazonaws.com", ctx.account_id),
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-schedule",
            role=role.id,
            policy=args.target.arn.apply(
                lambda arn: json.dumps(
                    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["lambda:InvokeFunction"], "Resource": [arn]}]}
                )
            ),
            opts=child,
        )
        self.schedule = aws.scheduler.Schedule(
            name,
            name=ctx.naming(name, "schedule"),
            description=args.description,
            schedule_expression=args.expression,
            schedule_expression_timezone=args.time_zone,
            flexible_time_window=aws.scheduler.ScheduleFlexibleTimeWindowArgs(mode="OFF"),
            target=aws.scheduler.ScheduleTargetArgs(
                arn=args.target.arn,
                role_arn=role.arn,
                input=json.dumps({"schedule": name, **args.input}),
                retry_policy=aws.scheduler.ScheduleTargetRetryPolicyArgs(maximum_retry_attempts=2),
            ),
            state="ENABLED",
            opts=child,
        )
        self.register_outputs({"name": self.schedule.name})
