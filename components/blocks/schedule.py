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
from components.blocks.links import Link, env_name, grant


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



class OneOffSchedules(pulumi.ComponentResource):
    """One-off `at()` schedules a function creates at run time (mail deferred past quiet hours),
    each invoking the target once and deleting itself. `create` is what lets a function make
    them: only under `prefix`, and only with this block's role; `invokes(fn)` names the target."""

    def __init__(self, name: str, purpose: str, prefix: str, ctx: Context, moved_from: pulumi.Resource | None = None,
                 opts: pulumi.ResourceOptions | None = None):
        """`name`: the role's resource name; `purpose`: what handlers link ("deferred-mail")."""
        super().__init__("mainstreet:ops:OneOffSchedules", name, None, opts)
        self.purpose = purpose
        self._child = pulumi.ResourceOptions(parent=self, aliases=[pulumi.Alias(parent=moved_from)] if moved_from is not None else None)
        self._name = name
        self.role = aws.iam.Role(name, name=ctx.naming(name, "role"),
                                 assume_role_policy=assume_role_policy("scheduler.amazonaws.com", ctx.account_id), opts=self._child)
        self.prefix = ctx.naming(prefix, "schedule") + "-"
        self._schedules_arn = ctx.arn("scheduler", f"schedule/default/{self.prefix}*")

    @property
    def create(self) -> list[Link]:
        return [
            grant("schedules", self.purpose, ["create"], [self._schedules_arn], resource=self,
                  env={env_name(self.purpose, "schedules"): self.prefix}),
            grant("role", self.purpose, ["pass"], [self.role.arn], resource=self,
                  env={env_name(self.purpose, "role"): self.role.arn}),
        ]

    def invokes(self, target: Function) -> None:
        """The schedules invoke `target`: the only thing their role may do."""
        aws.iam.RolePolicy(self._name, role=self.role.id, opts=self._child, policy=target.arn.apply(
            lambda arn: json.dumps({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": ["lambda:InvokeFunction"], "Resource": [arn]}]})))
        self.register_outputs({"role": self.role.arn})
