"""Cost and error guardrails: a monthly budget with alerts at 80% and 100%, and alarms on every
function's errors and throttles, all reaching the alarm e-mail address where the stage asks for it."""

from __future__ import annotations

from typing import Sequence

import pulumi
import pulumi_aws as aws

from components.stack.context import Context
from components.blocks.function import Function
from components.blocks.iam import publish_policy


class Guardrails(pulumi.ComponentResource):
    def __init__(
        self, name: str, monthly_budget_usd: int, alarm_email: str, ctx: Context, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("mainstreet:ops:Guardrails", name, None, opts)
        self.ctx = ctx
        child = pulumi.ResourceOptions(parent=self)
        self.topic = aws.sns.Topic(f"{name}-alarms", name=ctx.naming("alarms", "topic"), opts=child)
        aws.sns.TopicPolicy(
            f"{name}-alarms",
            arn=self.topic.arn,
            policy=self.topic.arn.apply(
                lambda arn: publish_policy(arn, ["budgets.amazonaws.com", "cloudwatch.amazonaws.com"], ctx.account_id)
            ),
            opts=child,
        )
        if ctx.stage.notify_alarms and alarm_email:
            aws.sns.TopicSubscription(
                f"{name}-alarm-email", topic=self.topic.arn, protocol="email", endpoint=alarm_email, opts=child
            )
        self.budget = aws.budgets.Budget(
            name,
            name=ctx.naming("monthly"),
            budget_type="COST",
            limit_amount=str(monthly_budget_usd),
            limit_unit="USD",
            time_unit="MONTHLY",
            notifications=[
                aws.budgets.BudgetNotificationArgs(
                    comparison_operator="GREATER_THAN",
                    notification_type="ACTUAL",
                    threshold=threshold,
                    threshold_type="PERCENTAGE",
                    subscriber_sns_topic_arns=[self.topic.arn],
                )
                for threshold in (80, 100)
            ],
            opts=child,
        )

    def _alarm(self, name: str, description: str, threshold: float, statistic: str = "Sum", **metric) -> None:
        """An hourly alarm to the alarm topic; a quiet hour is not an alarm."""
        aws.cloudwatch.MetricAlarm(
            name,
            name=self.ctx.naming(name, "alarm"),
            alarm_description=description,
            statistic=statistic,
            period=3600,
            evaluation_periods=1,
            threshold=threshold,
            comparison_operator="GreaterThanThreshold",
            treat_missing_data="notBreaching",
            alarm_actions=[self.topic.arn],
            opts=pulumi.ResourceOptions(parent=self),
            **metric,
        )

    def log_alarm(self, name: str, function: Function, pattern: str, threshold: int, description: str) -> None:
        """An alarm on a count of log lines matching `pattern` in one function's log group."""
        namespace = f"Mainstreet/{self.ctx.naming.stack}"
        aws.cloudwatch.LogMetricFilter(
            name,
            name=self.ctx.naming(name, "alarm"),
            log_group_name=function.log_group.name,
            pattern=pattern,
            metric_transformation=aws.cloudwatch.LogMetricFilterMetricTransformationArgs(
                name=name, namespace=namespace, value="1", default_value="0"
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self._alarm(name, description, threshold, namespace=namespace, metric_name=name)

    def bounce_rate_alarm(self, limit: float) -> None:
        """SES's own reputation metric: above `limit`, sending is at risk."""
        self._alarm("ses-bounce-rate", f"Bounce rate over {limit:.0%}: protect the sender's reputation", limit,
                    statistic="Maximum", namespace="AWS/SES", metric_name="Reputation.BounceRate")

    def watch(self, functions: Sequence[Function]) -> None:
        """Any function's error or throttle in an hour is worth a look (a dropped sale, a lost click).

        One alarm each on the Lambda metrics AWS also publishes without a FunctionName dimension
        (every function of the account in this region), rather than one per function: all would have
        the same threshold (0) and action (the alarm topic), and each alarm metric beyond the
        account's 10 free costs $0.10 a month. The mail names the metric, not the function: the
        functions' log groups (or the per-function metrics in the console) say which one. Where a
        function needs its own threshold or action, give it its own alarm (see `log_alarm`).
        With dev and prod in one account, each stack's alarm also sees the other's functions."""
        names = ", ".join(fn.logical_name for fn in functions)
        self._alarm("function-errors", f"A function failed in the last hour (any of: {names}; "
                    "account-wide metric, see the functions' logs)", 0, namespace="AWS/Lambda", metric_name="Errors")
        self._alarm("function-throttles", "A function was throttled in the last hour (account concurrency limit "
                    "reached: requests were refused)", 0, namespace="AWS/Lambda", metric_name="Throttles")
        self.register_outputs({"topic": self.topic.arn})
