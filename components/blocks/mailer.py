"""Outbound mail: the SES identity (DKIM), one configuration set, bounces and complaints to SNS."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from components.stack.context import Context
from components.blocks.iam import publish_policy
from components.blocks.links import Link, env_name, grant


class Mailer(pulumi.ComponentResource):
    def __init__(self, name: str, sender: str, zone_id: str, ctx: Context, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mainstreet:mail:Mailer", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.sender = sender
        domain = sender.split("@", 1)[1]
        self.identity = aws.sesv2.EmailIdentity(name, email_identity=domain, opts=child)
        if zone_id:
            for i in range(3):  # Easy DKIM always publishes three tokens
                token = self.identity.dkim_signing_attributes.tokens[i]
                aws.route53.Record(
                    f"{name}-dkim-{i}",
                    zone_id=zone_id,
                    name=token.apply(lambda t: f"{t}._domainkey.{domain}"),
                    type="CNAME",
                    ttl=1800,
                    records=[token.apply(lambda t: f"{t}.dkim.amazonses.com")],
                    opts=child,
                )
        self.configuration_set = aws.sesv2.ConfigurationSet(
            name,
            configuration_set_name=ctx.naming(name, "config-set"),
            reputation_options=aws.sesv2.ConfigurationSetReputationOptionsArgs(reputation_metrics_enabled=True),
            sending_options=aws.sesv2.ConfigurationSetSendingOptionsArgs(sending_enabled=True),
            opts=child,
        )
        self.events = aws.sns.Topic(f"{name}-events", name=ctx.naming(f"{name}-events", "topic"), opts=child)
        aws.sns.TopicPolicy(
            f"{name}-events",
            arn=self.events.arn,
            policy=self.events.arn.apply(lambda arn: publish_policy(arn, ["ses.amazonaws.com"], ctx.account_id)),
            opts=child,
        )
        aws.sesv2.ConfigurationSetEventDestination(
            f"{name}-bounces",
            configuration_set_name=self.configuration_set.configuration_set_name,
            event_destination_name="bounces-and-complaints",
            event_destination=aws.sesv2.ConfigurationSetEventDestinationEventDestinationArgs(
                enabled=True,
                matching_event_types=["BOUNCE", "COMPLAINT"],
                sns_destination=aws.sesv2.ConfigurationSetEventDestinationEventDestinationSnsDestinationArgs(
                    topic_arn=self.events.arn
                ),
            ),
            opts=child,
        )
        self.register_outputs({"identity": self.identity.arn, "configuration_set": self.configuration_set.arn})

    @property
    def send(self) -> Link:
        return grant("mailer", "mail", ["send"], [self.identity.arn, self.configuration_set.arn], resource=self,
                     env={env_name("mail", "sender"): self.sender,
                          env_name("mail", "configuration set"): self.configuration_set.configuration_set_name})
