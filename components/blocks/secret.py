"""A stack secret, kept as an SSM Parameter Store SecureString. Functions link it and receive its
name, never its value.

Why Parameter Store and not Secrets Manager: none of the stack's secrets rotates (generated keys
live in the Pulumi state, the others come from `pulumi config set --secret`), and rotation is what
Secrets Manager's $0.40 a secret a month buys. A standard-tier SecureString is free, is encrypted
with the AWS-managed `aws/ssm` key (free too), and is read with `ssm:GetParameter` on its own ARN.
That key's policy lets every principal of the account decrypt through Parameter Store, so the grant
needs no `kms:Decrypt`; the IAM grant on the parameter is what keeps one function from another's
secret. A secret that must rotate (none today) belongs in Secrets Manager with a rotation Lambda.

No recovery window as Secrets Manager had: the value's source of truth is the Pulumi state (the
generated password, or the stack's secret config), so a deleted parameter comes back whole on the
next `pulumi up`. Standard parameters hold up to 4 KB: enough for a Google service account's key.
"""

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
        # No key_id: the AWS-managed aws/ssm key, free and decryptable without a kms grant.
        self.parameter = aws.ssm.Parameter(
            name,
            name=ctx.naming.path(name),
            type="SecureString",
            tier="Standard",
            value=self.value,
            description=description,
            opts=child,
        )
        self.arn = self.parameter.arn
        self.name = self.parameter.name
        self.register_outputs({"arn": self.arn})

    @property
    def read(self) -> Link:
        # The name, not the ARN: stable, and enough for GetParameter; IAM still names the ARN.
        return grant("secret", self.logical_name, ["read"], [self.arn], resource=self,
                     env={env_name(self.logical_name, "secret"): self.name})
