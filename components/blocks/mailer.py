"""Outbound mail: the SES identity (DKIM in domain mode, verified addresses in sandbox mode), one
configuration set, bounces and complaints to SNS."""

from __future__ import annotations

from typing import Sequence

import pulumi
import pulumi_aws as aws

from components.stack.config import reserved_mail_domain
from components.stack.context import Context
from components.blocks.iam import publish_policy
from components.blocks.links import Link, env_name, grant


class Mailer(pulumi.ComponentResource):
    """`sandbox` is None in domain mode, else (redirect address, allow-list of addresses and domains)."""

    def __init__(self, name: str, sender: str, zone_id: str, ctx: Context, opts: pulumi.ResourceOptions | None = None,
                 *, sandbox: tuple[str, Sequence[str]] | None = None):
        super().__init__("mainstreet:mail:Mailer", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.sender = sender
        self.sandbox = sandbox
        domain = sender.split("@", 1)[1]
        # Send permission: the sender's identity, and in sandbox mode every recipient identity too, which
        # SES checks against the caller's policy while the account is in the SES sandbox.
        self.identities: list[pulumi.Input[str]] = []
        if sandbox is None:
            self.identity = aws.sesv2.EmailIdentity(name, email_identity=domain, opts=child)
            self._dkim(name, domain, zone_id, child)
        else:
            # No domain to prove: SES mails each address a link, and the address is verified once clicked.
            self.identity = aws.sesv2.EmailIdentity(name, email_identity=sender, opts=child)
            redirect, allowed = sandbox
            addresses = [a for a in dict.fromkeys([redirect, *allowed]) if "@" in a and a != sender.lower()]
            for address in addresses:
                recipient = aws.sesv2.EmailIdentity(f"{name}-to-{address}", email_identity=address, opts=child)
                self.identities.append(recipient.arn)
            # A domain on the allow-list is verified elsewhere (the prod stack's mail domain, say): declaring
            # it here too would collide with that identity, so only its ARN is named.
            self.identities += [ctx.arn("ses", f"identity/{d}") for d in dict.fromkeys(allowed) if "@" not in d]
            unreachable = [a for a in dict.fromkeys([sender, *addresses]) if reserved_mail_domain(a)]
            if unreachable:
                pulumi.log.warn(f"mail (sandbox mode): {', '.join(unreachable)} can never get SES's verification mail "
                                "(reserved example domain), so no mail can go out: set mainstreet:mailFrom, "
                                "mainstreet:mailSandboxRedirect and mainstreet:mailSandboxRecipients to addresses you read",
                                resource=self)
        self.identities.insert(0, self.identity.arn)
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

    def _dkim(self, name: str, domain: str, zone_id: str, child: pulumi.ResourceOptions) -> None:
        """Easy DKIM's three CNAME records: in the stack's zone, or printed for the user to add by hand."""
        tokens = [self.identity.dkim_signing_attributes.tokens[i] for i in range(3)]  # Easy DKIM always publishes three
        if zone_id:
            for i, token in enumerate(tokens):
                aws.route53.Record(
                    f"{name}-dkim-{i}",
                    zone_id=zone_id,
                    name=token.apply(lambda t: f"{t}._domainkey.{domain}"),
                    type="CNAME",
                    ttl=1800,
                    records=[token.apply(lambda t: f"{t}.dkim.amazonses.com")],
                    opts=child,
                )
            return
        pulumi.log.warn(f"mail (domain mode): no mainstreet:hostedZoneId, so SES cannot verify {domain} until you add its "
                        "three DKIM CNAME records to its DNS by hand; no mail goes out before. pulumi up prints them once "
                        "the identity exists.", resource=self)
        pulumi.Output.all(*tokens).apply(lambda values: pulumi.log.warn(
            f"mail (domain mode): add these CNAME records to the DNS of {domain}: " + "; ".join(
                f"{t}._domainkey.{domain} CNAME {t}.dkim.amazonses.com" for t in values), resource=self) if all(values) else None)

    @property
    def send(self) -> Link:
        env: dict[str, pulumi.Input[str]] = {
            env_name("mail", "sender"): self.sender,
            env_name("mail", "configuration set"): self.configuration_set.configuration_set_name,
        }
        if self.sandbox is not None:  # handlers.shared.mail.send redirects by these
            redirect, allowed = self.sandbox
            env[env_name("mail", "sandbox redirect")] = redirect
            env[env_name("mail", "sandbox recipients")] = ",".join(dict.fromkeys(allowed))
        return grant("mailer", "mail", ["send"], [*self.identities, self.configuration_set.arn], resource=self, env=env)
