"""The shared pieces every system stands on: the stack context, the sites, the staff accounts and
sign-in, the platform secrets, the notifier (mail and texts) and the guardrails."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pulumi
import pulumi_aws as aws

from components.stack import powertools
from components.stack.config import PROJECT, StackConfig
from components.stack.context import Context
from components.blocks.function import ARCHITECTURE, RUNTIME, Function, FunctionArgs
from components.blocks.guardrails import Guardrails
from components.blocks.identity import PasswordPolicy, StaffDirectory
from components.blocks.libraries import Libraries
from components.blocks.links import grant, setting
from components.blocks.notifier import SYSTEMS, Notifier, NotifierArgs
from components.blocks.schedule import Schedule, ScheduleArgs
from components.blocks.subscriptions import TopicSubscription
from components.stack.naming import Naming
from components.blocks.secret import Secret
from components.blocks.site import Forward, Site, SiteArgs
from components.stack.stage import POLICIES

STAFF_COOKIE = "ms_staff"
# What a staff API needs from the viewer: its session cookie, the body's type, and where the request
# comes from (handlers.shared.http.require_same_site refuses other sites).
STAFF_FORWARD = Forward(headers=("Content-Type", "Origin", "Sec-Fetch-Site"), cookies=(STAFF_COOKIE,))
# Sign-in also needs the client's address (refused attempts are counted per address) and its
# browser (shown in the owner's list of sessions).
SIGN_IN_FORWARD = Forward(headers=(*STAFF_FORWARD.headers, "CloudFront-Viewer-Address", "User-Agent"), cookies=(STAFF_COOKIE,))


def stack_context(cfg: StackConfig) -> Context:
    region = aws.get_region().region
    account_id = aws.get_caller_identity().account_id

    def public_parameter(name: str) -> tuple[str | None, str]:
        # A missing public parameter must not abort the run: powertools.layer_arn falls back or says what to set.
        try:
            return aws.ssm.get_parameter(name=name).value, ""
        except Exception as exc:  # the provider reports ParameterNotFound (and access errors) as a failed invoke
            return None, " ".join(str(exc).split()) or type(exc).__name__

    layer = powertools.layer_arn(cfg, powertools.Target(region, RUNTIME, ARCHITECTURE), public_parameter, pulumi.log.warn)
    return Context(
        naming=Naming(PROJECT, pulumi.get_stack(), account_id),
        stage=POLICIES[cfg.stage],
        region=region,
        account_id=account_id,
        powertools_layer_arn=layer,
        dns_takeover=frozenset(cfg.take_over_domains),
    )


def sites_needed(cfg: StackConfig) -> list[str]:
    wanted = {
        "brand": True,  # where referrals land and guest pages live
        "ops": True,  # the staff page, and referrals' and charters' pages when they run
        "dispatch": cfg.enabled("dispatch"),
        "loyalty": cfg.enabled("loyalty"),
    }
    return [name for name, needed in wanted.items() if needed]


class Platform(pulumi.ComponentResource):
    def __init__(self, name: str, cfg: StackConfig, secrets: dict[str, Any], opts: pulumi.ResourceOptions | None = None):
        super().__init__("mainstreet:platform:Platform", name, None, opts)
        self.cfg = cfg
        child = pulumi.ResourceOptions(parent=self)
        base = stack_context(cfg)
        # One libraries layer per stack, in the context so every Function can attach it.
        self.libraries = Libraries("libraries", base, child)
        self.ctx = ctx = dataclasses.replace(base, libraries=self.libraries)
        self.functions: list[Function] = []
        self.country = setting("country", cfg.country)

        self.origin_secret = Secret("origin-verify", None, ctx, "Header CloudFront adds to function origins", child)
        self.session_key = Secret("session-key", None, ctx, "Signs staff session cookies", child)
        self.staff = StaffDirectory("staff", ctx, PasswordPolicy(minimum_length=cfg.staff_password_length),
                                    cfg.business_name, cfg.staff_threat_protection, child)
        self.notifier = Notifier("notifier", NotifierArgs(
            sender=cfg.mail_from, zone_id=cfg.hosted_zone_id, names=cfg.names(), quiet_hours=cfg.quiet_hours,
            time_zone=cfg.time_zone, sandbox=cfg.mail_sandbox(), sms_origination=cfg.sms_origination,
            sms_monthly_limit_usd=cfg.sms_monthly_limit_usd), ctx, child)
        self.guardrails = Guardrails("guardrails", cfg.monthly_budget_usd, cfg.alarm_email, ctx, child)
        session = self.function(
            "staff-session",
            FunctionArgs(
                handler="handlers.shared.session.handler",
                links=[
                    self.origin_secret.read, self.session_key.read, self.staff.sign_in, *self.notifier.send("staff"),
                    setting("staff password length", str(cfg.staff_password_length)),
                    # sessions (written with a check of the person's state row; a reset ends them all)
                    # and attempt counters
                    self.staff.sessions.grant("get", "put", "update", "delete", "check", "query", keys=["USER#*", "FAIL#*"]),
                ],
                url=True,
                bundle=("itsdangerous", "phonenumbers", "email_validator", "idna", "jinja2", "markupsafe"),
                description="Staff sign-in and the 404 page on every site",
            ),
        )
        team = self.function(
            "staff-team",
            FunctionArgs(
                handler="handlers.shared.team.handler",
                links=[
                    self.origin_secret.read, *self.staff_access, self.staff.manage, *self.notifier.send("staff"),
                    self.staff.sessions.grant("put", "delete", "query", keys=["USER#*"]),  # state rows, sessions
                    self.staff.sessions.query_index("signed-in", keys=None),  # the index holds sessions only
                ],
                url=True,
                bundle=("itsdangerous", "phonenumbers", "email_validator", "idna", "jinja2", "markupsafe"),
                description="The owner's staff page: accounts, roles and who is signed in",
            ),
        )
        # It also answers every site's 404 page (a missing page fails over to it: SiteArgs.not_found).
        self.sites: dict[str, Site] = {
            site: Site(
                site,
                SiteArgs(origin_secret=self.origin_secret, not_found=session, domain=cfg.domain(site), zone_id=cfg.hosted_zone_id),
                ctx,
                child,
            )
            for site in sites_needed(cfg)
        }
        for site in self.sites.values():
            site.route("/api/session", session, forward=SIGN_IN_FORWARD)
            site.route("/api/session/*", session, forward=SIGN_IN_FORWARD)
        self.sites["ops"].route("/api/staff", team, forward=STAFF_FORWARD)
        self.sites["ops"].route("/api/staff/*", team, forward=STAFF_FORWARD)
        self._notifier_functions(cfg)

    def _notifier_functions(self, cfg: StackConfig) -> None:
        """The notifier's own functions: what comes back from the channels (SES's events, replies
        to texts, the carriers' opt-out list), deferred marketing, and one-click unsubscribe."""
        notifier = self.notifier
        notifier.ops_site_address = self.sites["ops"].address
        links = [
            *notifier.send(*SYSTEMS, marketing=True),  # deferred marketing of any system
            notifier.table.grant("update", keys=["TO#*"]),  # suppression
        ]
        if notifier.sms_on:
            links.append(grant("sms", "opt-out list", ["opt_outs"], ["*"], resource=notifier))
        events = self.function("notify-events", FunctionArgs(
            handler="handlers.shared.notify_events.handler", links=links, timeout_s=30,
            bundle=("jinja2", "markupsafe"), description="Bounces, complaints, STOP replies, opt-outs; deferred marketing",
        ), parent=notifier)
        notifier.events_function = events
        notifier.deferred.invokes(events)
        TopicSubscription("notify-mail-events", notifier.events, events, opts=pulumi.ResourceOptions(parent=notifier))
        if notifier.replies is not None:
            TopicSubscription("notify-text-replies", notifier.replies, events, opts=pulumi.ResourceOptions(parent=notifier))
            Schedule("notify-opt-outs", ScheduleArgs(expression="cron(15 4 * * ? *)", time_zone=cfg.time_zone, target=events,
                                                     input={"task": "opt-outs"}, description="The carriers' SMS opt-out list"),
                     self.ctx, pulumi.ResourceOptions(parent=notifier))
        unsubscribe = self.function("notify-unsubscribe", FunctionArgs(
            handler="handlers.shared.unsubscribe.handler",
            links=[self.origin_secret.read, notifier.token_key.read,
                   notifier.table.grant("get", keys=["MSG#*"]), notifier.table.grant("update", keys=["TO#*"]),
                   setting("sender names", json.dumps(cfg.names(), sort_keys=True))],
            url=True, bundle=("itsdangerous", "phonenumbers", "email_validator", "idna"),
            description="One-click unsubscribe from any system's marketing",
        ), parent=notifier)
        for site in self.sites.values():
            site.route("/api/unsubscribe", unsubscribe, forward=Forward(headers=("Content-Type",)))
        notifier.finish()

    @property
    def staff_access(self) -> list:
        """What every staff endpoint links: the key that signs session cookies and a read of the
        session rows they name (handlers.shared.auth.staff_only)."""
        return [self.session_key.read, self.staff.sessions.get(keys=["USER#*"])]

    def function(self, name: str, args: FunctionArgs, parent: pulumi.Resource | None = None) -> Function:
        """A function of the stack; the guardrails watch every function made here."""
        if args.url:  # every public input reads phone numbers in the shop's country
            args = dataclasses.replace(args, links=[*args.links, self.country])
        fn = Function(name, args, self.ctx, pulumi.ResourceOptions(parent=parent or self))
        self.functions.append(fn)
        return fn

    def finish(self) -> None:
        """Called once, after every system has declared its routes: builds every site."""
        for site in self.sites.values():
            site.finish()
        self.guardrails.watch(self.functions)
        self.register_outputs({})

    def exports(self) -> dict[str, Any]:
        return {
            name: {
                "bucket": site.bucket.name,
                "distribution_id": site.distribution_id,
                "domain": site.domain,
                "url": site.url,
                "manifest": site.manifest,
                "aliases": site.aliases,
                "edge_functions": site.edge_functions,
            }
            for name, site in self.sites.items()
        }

    def notify_exports(self) -> dict[str, Any]:
        """Where the notifier keeps its rows, and the topic a number's two-way SMS publishes replies to."""
        replies = self.notifier.replies
        return {"table": self.notifier.table.name, "mail_events_topic": self.notifier.events.arn,
                "text_replies_topic": replies.arn if replies is not None else None}

    def staff_exports(self) -> dict[str, Any]:
        """What `python -m ops staff` needs to manage accounts and end sessions."""
        return {"user_pool_id": self.staff.pool.id, "sessions_table": self.staff.sessions.name}
