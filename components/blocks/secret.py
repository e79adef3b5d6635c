"""A Secrets Manager secret. Functions link it and receive its name, never its value."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from components.stack.context import Context
from components.blocks.links import Link, env_name, grant


class Secret(pulumi.ComponentResource):
    def __init__(
        self,
        name: str,
        value: pulumi.Input[str] | None,
        ctx: Context,
        description: str,
        opts: pulumi.ResourceOptions | None = None,
    ):
        """`value=None` generates 48 random characters, kept only in the state (encrypted)."""
        super().__init__("mainstreet:security:Secret", name, None, opts)
        self.logical_name = name
        child = pulumi.ResourceOptions(parent=self)
        if value is None:
            value = random.RandomPassword(name, length=48, special=False, opts=child).result
        self.value = pulumi.Output.secret(value)
        self.secret = aws.secretsmanager.Secret(
            name,
            name=ctx.naming.path(name),
            description=description,
            recovery_window_in_days=ctx.stage.secret_recovery_days,
            opts=child,
        )
        aws.secretsmanager.SecretVersion(
            name, secret_id=self.secret.id, secret_string=self.value, opts=child
        )
        self.arn = self.secret.arn
        self.name = self.secret.name
        self.register_outputs({"arn": self.arn})

    @property
    def read(self) -> Link:
        # The name, not the ARN: stable, and enough for GetSecretValue; IAM still names the ARN.
        return grant("secret", self.logical_name, ["read"], [self.arn], resource=self,
                     env={env_name(self.logical_name, "secret"): self.name})
