"""Stage policy: the one place that decides what differs between `dev` and `prod`."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi


@dataclass(frozen=True)
class StagePolicy:
    name: str
    protect_stateful: bool  # Pulumi `protect` + `retain_on_delete` on tables and buckets
    deletion_protection: bool  # DynamoDB's own guard against DeleteTable
    point_in_time_recovery: bool
    empty_buckets_on_destroy: bool  # lets `pulumi destroy` remove buckets that still hold objects
    log_retention_days: int
    notify_alarms: bool  # alarms and budget alerts reach the alarm e-mail address

    def stateful(self, **kwargs) -> pulumi.ResourceOptions:
        """Options for a resource that holds data the business cannot recreate."""
        return pulumi.ResourceOptions(
            protect=self.protect_stateful, retain_on_delete=self.protect_stateful, **kwargs
        )


POLICIES: dict[str, StagePolicy] = {
    "dev": StagePolicy(
        name="dev",
        protect_stateful=False,
        deletion_protection=False,
        # PITR costs cents at this size and keeps dev faithful to prod.
        point_in_time_recovery=True,
        empty_buckets_on_destroy=True,
        log_retention_days=7,
        notify_alarms=False,
    ),
    "prod": StagePolicy(
        name="prod",
        protect_stateful=True,
        deletion_protection=True,
        point_in_time_recovery=True,
        empty_buckets_on_destroy=False,
        log_retention_days=7,
        notify_alarms=True,
    ),
}
