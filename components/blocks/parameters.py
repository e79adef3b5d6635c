"""Plain values in Parameter Store under one path (a system's knobs): each value its own
parameter, so changing one knob in the stack file changes only that parameter."""

from __future__ import annotations

from typing import Mapping, Optional

import pulumi
import pulumi_aws as aws

from components.blocks.links import Link, env_name, grant
from components.stack.context import Context


class Parameters(pulumi.ComponentResource):
    def __init__(self, name: str, values: Mapping[str, str], ctx: Context, description: str,
                 moved_from: Optional[pulumi.Resource] = None, opts: pulumi.ResourceOptions | None = None):
        """`moved_from`: the component these parameters were declared under before, so their
        URNs still resolve (`pulumi up` updates them in place)."""
        super().__init__("mainstreet:config:Parameters", name, None, opts)
        self.logical_name = name
        self.path = ctx.naming.path(name) + "/"
        self._arn = ctx.arn("ssm", f"parameter{self.path.rstrip('/')}")
        aliases = [pulumi.Alias(parent=moved_from)] if moved_from is not None else None
        for key, value in values.items():
            aws.ssm.Parameter(f"{name}-{key}", name=f"{self.path}{key}", type="String", value=value,
                              description=f"{description}: {key}", opts=pulumi.ResourceOptions(parent=self, aliases=aliases))
        self.register_outputs({})

    @property
    def read(self) -> Link:
        """Every parameter under the path, in one call."""
        return grant("parameter", f"{self.logical_name} knobs", ["read_path"], [self._arn], resource=self,
                     env={env_name(f"{self.logical_name} knobs", "parameters"): self.path})
