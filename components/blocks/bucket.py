"""A private S3 bucket: public access blocked, owner-enforced, encrypted, protected in prod."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import pulumi
import pulumi_aws as aws

from components.stack.context import Context
from components.blocks.links import Link, env_name, grant


@dataclass(frozen=True)
class Lifecycle:
    prefix: str = ""
    glacier_after_days: int | None = None
    expire_after_days: int | None = None


@dataclass
class BucketArgs:
    versioned: bool = False
    lifecycle: Sequence[Lifecycle] = field(default_factory=tuple)


class Bucket(pulumi.ComponentResource):
    def __init__(self, name: str, args: BucketArgs, ctx: Context, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mainstreet:data:Bucket", name, None, opts)
        self.logical_name = name
        child = pulumi.ResourceOptions(parent=self)
        self.bucket = aws.s3.Bucket(
            name,
            bucket=ctx.naming(name, "bucket"),
            force_destroy=ctx.stage.empty_buckets_on_destroy,
            opts=ctx.stage.stateful(parent=self),
        )
        self.public_access = aws.s3.BucketPublicAccessBlock(
            name,
            bucket=self.bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        aws.s3.BucketOwnershipControls(
            name,
            bucket=self.bucket.id,
            rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
            opts=child,
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            name,
            bucket=self.bucket.id,
            rules=[
                aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                    apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                        sse_algorithm="AES256"
                    )
                )
            ],
            opts=child,
        )
        if args.versioned:
            aws.s3.BucketVersioning(
                name,
                bucket=self.bucket.id,
                versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"),
                opts=child,
            )
        if args.lifecycle:
            aws.s3.BucketLifecycleConfiguration(
                name,
                bucket=self.bucket.id,
                rules=[self._rule(i, rule) for i, rule in enumerate(args.lifecycle)],
                opts=child,
            )
        self.name = self.bucket.bucket
        self.arn = self.bucket.arn
        self.register_outputs({"name": self.name, "arn": self.arn})

    @staticmethod
    def _rule(i: int, rule: Lifecycle) -> aws.s3.BucketLifecycleConfigurationRuleArgs:
        return aws.s3.BucketLifecycleConfigurationRuleArgs(
            id=f"rule-{i}",
            status="Enabled",
            filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=rule.prefix),
            transitions=[
                aws.s3.BucketLifecycleConfigurationRuleTransitionArgs(
                    days=rule.glacier_after_days, storage_class="GLACIER"
                )
            ]
            if rule.glacier_after_days
            else None,
            expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=rule.expire_after_days)
            if rule.expire_after_days
            else None,
        )

    def objects(self, prefix: str = "") -> pulumi.Output[str]:
        return self.arn.apply(lambda arn: f"{arn}/{prefix}*")

    def grant(self, *grants: str, keys: Sequence[str] = ("",)) -> Link:
        """These grants (see links.ACTIONS["bucket"]) on the objects under each prefix in `keys`."""
        return grant("bucket", self.logical_name, grants, [self.objects(prefix) for prefix in keys], resource=self,
                     env={env_name(self.logical_name, "bucket"): self.name})

    def read(self, prefix: str = "") -> Link:
        return self.grant("read", keys=(prefix,))

    def write(self, prefix: str = "") -> Link:
        return self.grant("write", keys=(prefix,))

    def read_versions(self, *keys: str) -> Link:
        """Read these objects and their earlier versions (a fallback to the last good one)."""
        return grant("bucket", self.logical_name, ["read_versions"], [self.arn.apply(lambda a, k=k: f"{a}/{k}") for k in keys],
                     resource=self, env={env_name(self.logical_name, "bucket"): self.name})

    @property
    def list_versions(self) -> Link:
        return grant("bucket", self.logical_name, ["list_versions"], [self.arn], resource=self,
                     env={env_name(self.logical_name, "bucket"): self.name})
