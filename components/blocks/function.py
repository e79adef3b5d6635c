"""A Lambda function with its own role, its log group, its links, its layers and an optional URL."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import pulumi
import pulumi_aws as aws

from components.stack.context import Context
from components.blocks.iam import assume_role_policy
from components.blocks.links import Link, Statement, env_name, grant, merge_env, policy_document
from components.stack.packaging import code_archive

RUNTIME = "python3.13"
ARCHITECTURE = "arm64"


def platform_env(name: str, stage: str) -> dict[str, str]:
    """What every function gets besides its links: names the service in structured logs."""
    return {"POWERTOOLS_SERVICE_NAME": name, "POWERTOOLS_LOG_LEVEL": "INFO", "STAGE": stage}


@dataclass
class FunctionArgs:
    handler: str  # "handlers.referrals.click.handler": module path inside handlers/, then the callable
    links: Sequence[Link] = ()
    memory_mb: int = 256
    timeout_s: int = 15
    url: bool = False  # a Function URL, reached only through CloudFront (see Site)
    # Libraries the handler imports, by import name, e.g. ("jinja2",): they come from the stack's
    # libraries layer (components/blocks/libraries.py), never from the function's own zip.
    bundle: Sequence[str] = ()
    description: str = ""

    @property
    def package(self) -> str:
        parts = self.handler.split(".")
        if len(parts) < 4 or parts[0] != "handlers":
            raise ValueError(f"handler {self.handler!r} must look like handlers.<package>.<module>.<callable>")
        return parts[1]


class Function(pulumi.ComponentResource):
    def __init__(self, name: str, args: FunctionArgs, ctx: Context, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mainstreet:compute:Function", name, None, opts)
        self.logical_name = name
        self.links = list(args.links)
        child = pulumi.ResourceOptions(parent=self)
        physical = ctx.naming(name, "function")

        self.log_group = aws.cloudwatch.LogGroup(
            name,
            name=f"/aws/lambda/{physical}",
            retention_in_days=ctx.stage.log_retention_days,
            opts=child,
        )
        self.role = aws.iam.Role(
            name,
            name=ctx.naming(name, "role"),
            assume_role_policy=assume_role_policy("lambda.amazonaws.com"),
            opts=child,
        )
        logging = Statement(
            ("logs:CreateLogStream", "logs:PutLogEvents"),
            (self.log_group.arn.apply(lambda arn: f"{arn}:*"),),
        )
        statements = [logging, *(s for link in self.links for s in link.statements)]
        self.policy = aws.iam.RolePolicy(
            name,
            name=ctx.naming(name, "policy"),
            role=self.role.id,
            policy=policy_document(statements),
            opts=child,
        )
        environment = {**platform_env(name, ctx.stage.name), **merge_env(self.links)}
        layers: list[pulumi.Input[str]] = [ctx.powertools_layer_arn]
        if args.bundle:
            if ctx.libraries is None:
                raise ValueError(f"function {name!r} bundles {', '.join(args.bundle)}, but this context has no libraries layer")
            # After Powertools: a later layer wins where both ship a module.
            layers += ctx.libraries.layers_for(name, args.bundle)
        self.function = aws.lambda_.Function(
            name,
            name=physical,
            description=args.description or f"{name} ({args.handler})",
            runtime=RUNTIME,
            architectures=[ARCHITECTURE],
            handler=args.handler,
            code=code_archive(args.package),
            role=self.role.arn,
            memory_size=args.memory_mb,
            timeout=args.timeout_s,
            layers=layers,
            environment=aws.lambda_.FunctionEnvironmentArgs(variables=environment),
            logging_config=aws.lambda_.FunctionLoggingConfigArgs(
                log_format="JSON", log_group=self.log_group.name
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.log_group, self.policy]),
        )
        self.name = self.function.name
        self.arn = self.function.arn
        self.url: pulumi.Output[str] | None = None
        if args.url:
            url = aws.lambda_.FunctionUrl(name, function_name=self.function.name, authorization_type="NONE", opts=child)
            # CloudFront reaches the URL as an anonymous caller; since October 2025 AWS wants both
            # permissions for that. The origin-verify header (see Site) keeps everyone else out.
            aws.lambda_.Permission(
                f"{name}-url",
                action="lambda:InvokeFunctionUrl",
                function=self.function.name,
                principal="*",
                function_url_auth_type="NONE",
                opts=child,
            )
            aws.lambda_.Permission(
                f"{name}-invoke",
                action="lambda:InvokeFunction",
                function=self.function.name,
                principal="*",
                invoked_via_function_url=True,
                opts=child,
            )
            self.url = url.function_url
        self.register_outputs({"name": self.name, "arn": self.arn, "url": self.url})

    @property
    def invoke(self) -> Link:
        """Lets another function invoke this one."""
        return grant("function", self.logical_name, ["invoke"], [self.arn], resource=self,
                     env={env_name(self.logical_name, "function"): self.name})
