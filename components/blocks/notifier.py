"""Everything the systems send, mail and text, and what comes back: one block per stack.

- **Mail** through SES v2: the identity (DKIM in domain mode, verified addresses in sandbox mode),
  one configuration set, and its events (Send, Bounce, Complaint) to an SNS topic.
- **Texts** through Amazon SNS's SMS (`Publish` to a phone number), not AWS End User Messaging
  SMS v2's `SendTextMessage`: moto emulates SNS SMS (sends, opt-out checks and the opt-out list)
  and has no End User Messaging backend, so only SNS runs the same code in local mode and in the
  tests. SNS sends through the account's End User Messaging origination identities all the same:
  the toll-free number, 10DLC number or sender id the stack names (`smsOrigination`). Off unless
  configured; replies (STOP) come back through the number's two-way channel to a topic here.
- **One suppression list, message rows and counts** in the `notifications` table
  (handlers/shared/notify.py), quiet hours as knobs, one-off schedules for deferred marketing,
  and the key that signs unsubscribe links.

Functions link `send(*systems)` (transactional) or `send(*systems, marketing=True)`; the
notifier's own functions (channel events, unsubscribe) are made by the platform.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Mapping, Optional, Sequence

import pulumi
import pulumi_aws as aws

from components.stack.config import reserved_mail_domain
from components.stack.context import Context
from components.blocks.function import Function
from components.blocks.iam import publish_policy
from components.blocks.links import Link, env_name, grant, setting
from components.blocks.parameters import Parameters
from components.blocks.schedule import OneOffSchedules
from components.blocks.secret import Secret
from components.blocks.table import Table, TableArgs

SYSTEMS = ("charters", "dispatch", "loyalty", "referrals", "staff")  # "staff": the business's own mail to its people


@dataclass
class NotifierArgs:
    sender: str
    zone_id: str
    names: Mapping[str, str]  # system → the name it speaks with
    quiet_hours: str  # "21:00-08:00", in time_zone
    time_zone: str
    sandbox: Optional[tuple[str, Sequence[str]]] = None  # None in domain mode, else (redirect, allow-list)
    sms_origination: str = ""  # "" = texts off; "+1..." a number; else a sender id
    sms_monthly_limit_usd: int = 0


class Notifier(pulumi.ComponentResource):
    """The mail resources keep the names (and, through the alias, the URNs) they had as `Mailer`."""

    def __init__(self, name: str, args: NotifierArgs, ctx: Context, opts: pulumi.ResourceOptions | None = None):
        opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(aliases=[pulumi.Alias(type_="mainstreet:mail:Mailer", name="mailer")]))
        super().__init__("mainstreet:notify:Notifier", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.args = args
        self.ctx = ctx
        self._mail("mailer", args.sender, args.zone_id, ctx, child, args.sandbox)
        self.table = Table("notifications", TableArgs(hash_key="pk", attributes={"pk": "S"}, ttl_attribute="expires_at"), ctx, child)
        self.token_key = Secret("notify-token-key", None, ctx, "Signs one-click unsubscribe links", child)
        self.knobs = Parameters("notify", {"quiet-hours": args.quiet_hours, "time-zone": args.time_zone}, ctx,
                                "Notifier knob", opts=child)
        self.deferred = OneOffSchedules("notify-deferred", "deferred-notifications", "notify-defer", ctx, opts=child)
        self.sms_on = bool(args.sms_origination)
        self.replies: Optional[aws.sns.Topic] = None
        if self.sms_on:
            # Account-wide, like the SMS sandbox and the origination numbers themselves.
            aws.sns.SmsPreferences("sms", monthly_spend_limit=args.sms_monthly_limit_usd, default_sms_type="Transactional",
                                   opts=child)
            self.replies = aws.sns.Topic("text-replies", name=ctx.naming("text-replies", "topic"), opts=child)
            aws.sns.TopicPolicy("text-replies", arn=self.replies.arn, opts=child, policy=self.replies.arn.apply(
                lambda arn: publish_policy(arn, ["sms-voice.amazonaws.com"], ctx.account_id)))
        self.events_function: Optional[Function] = None
        self.ops_site_address: Optional[Link] = None

    def _mail(self, name: str, sender: str, zone_id: str, ctx: Context, child: pulumi.ResourceOptions,
              sandbox: tuple[str, Sequence[str]] | None) -> None:
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
                # Send: the notifier's proof that SES took a mail (a retry after a crash sends no second one).
                matching_event_types=["SEND", "BOUNCE", "COMPLAINT"],
                sns_destination=aws.sesv2.ConfigurationSetEventDestinationEventDestinationSnsDestinationArgs(
                    topic_arn=self.events.arn
                ),
            ),
            opts=child,
        )

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

    def mail(self) -> Link:
        env: dict[str, pulumi.Input[str]] = {
            env_name("mail", "sender"): self.sender,
            env_name("mail", "configuration set"): self.configuration_set.configuration_set_name,
        }
        if self.sandbox is not None:  # handlers.shared.mail.send redirects by these
            redirect, allowed = self.sandbox
            env[env_name("mail", "sandbox redirect")] = redirect
            env[env_name("mail", "sandbox recipients")] = ",".join(dict.fromkeys(allowed))
        return grant("mailer", "mail", ["send"], [*self.identities, self.configuration_set.arn], resource=self, env=env)

    def send(self, *systems: str, marketing: bool = False) -> list[Link]:
        """What a function needs to send as these systems (each with its own display name):
        the channels, the suppression list and message rows; with `marketing`, quiet hours,
        deferral and unsubscribe links too."""
        unknown = [s for s in systems if s not in SYSTEMS]
        if unknown or not systems:
            raise ValueError(f"send() needs systems among {SYSTEMS}, not {unknown or 'none'}")
        links = [
            self.mail(),
            self.table.grant("get", "put", "update", keys=["MSG#*", "COUNT#*"]),  # message rows, suppressed counts
            self.table.grant("batch_get", keys=["TO#*"]),  # the suppression list, read in one call per message
            setting("sender names", json.dumps({s: self.args.names[s] for s in systems}, sort_keys=True)),
        ]
        if self.sms_on:
            # Publishing to a phone number has no resource to scope to: IAM matches it against "*" only.
            links += [grant("sms", "texts", ["send"], ["*"], resource=self), setting("sms origination", self.args.sms_origination)]
        if marketing:
            if self.ops_site_address is None:
                raise ValueError("marketing senders link the notifier once the platform has made the sites")
            links += [self.knobs.read, self.token_key.read, *self.deferred.create, self.ops_site_address]
            if self.events_function is not None:  # the events function hands deferred messages back to itself
                links.append(setting("deferred notifications target", self.events_function.arn))
        return links

    def finish(self) -> None:
        self.register_outputs({"identity": self.identity.arn, "configuration_set": self.configuration_set.arn,
                               "table": self.table.name})
