"""Loyalty (SPEC §4, seed 003's build sheet): ten functions, six tables, two buckets, schedules
in the shop's time zone, knobs in Parameter Store, the POS webhook, the desk and the members'
own "my points" page.

Each function's links are its permissions (tests/components/test_loyalty_infra.py lists them).
Where this differs from the build sheet, it is on purpose:
  - ledger rows are keyed (phone, entry) with `ts` an attribute: a sale, redeem or reverse has a
    fixed key, which is what makes a retry apply once;
  - lapsing-sweep queries the members' by-status index instead of scanning;
  - earn may read earlier versions of rules.txt (its fallback to the last good rules);
  - redeem reads the rules (rewards and costs) and the member's recent ledger (the desk's list),
    and is the whole desk: held sales released or rejected, enrolment, adjustments, details;
  - sign-up never changes an existing member (the form is anonymous); a member changes their
    details on the points page after a one-time code (loyalty-points) or at the desk;
  - email-dispatch sends through the platform's notifier, which keeps the suppression list
    (bounces, complaints, unsubscribes), quiet hours and their deferred schedules for every
    system: the build sheet's bounce handler and loyalty's own quiet hours are the notifier's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Optional

import pulumi

from components.blocks.bucket import Bucket, BucketArgs, Lifecycle
from components.blocks.function import FunctionArgs
from components.blocks.links import Link, default_bus, grant, setting
from components.blocks.parameters import Parameters
from components.blocks.schedule import Schedule, ScheduleArgs
from components.blocks.secret import Secret
from components.blocks.seed import SeedObjects
from components.blocks.site import Forward
from components.blocks.subscriptions import EventSubscription, stack_source
from components.blocks.table import Index, Table, TableArgs
from components.systems.platform import STAFF_FORWARD, Platform

HAIKU = "anthropic.claude-haiku-4-5-20251001-v1:0"
HAIKU_PROFILE = f"global.{HAIKU}"
DEFAULTS = "handlers/loyalty/defaults"
POS_FORWARD = Forward(headers=("X-Timestamp", "X-Signature", "Content-Type"))
PUBLIC_FORWARD = Forward(headers=("Content-Type",))


@dataclass
class LoyaltyArgs:
    pos_hmac_secret: pulumi.Input[str]
    time_zone: str
    lapsing_weeks: int
    max_nudges: int
    regular_threshold: int
    owner_email: str
    bedrock: bool
    drive_files: dict[str, str] = field(default_factory=dict)  # object key → Google Doc id
    drive_service_account: Optional[pulumi.Input[str]] = None


class Loyalty(pulumi.ComponentResource):
    def __init__(self, name: str, args: LoyaltyArgs, platform: Platform, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mainstreet:system:Loyalty", name, None, opts)
        ctx = platform.ctx
        child = pulumi.ResourceOptions(parent=self)
        self.members = Table("loyalty-members", TableArgs(
            hash_key="phone",
            attributes={"phone": "S", "status": "S", "last_seen": "S", "email": "S", "joined_month": "S"},
            indexes=[Index("by-status", "status", "last_seen"), Index("by-email", "email"), Index("by-joined", "joined_month", "phone")],
        ), ctx, child)
        self.ledger = Table("loyalty-ledger", TableArgs(
            hash_key="phone", range_key="entry",
            attributes={"phone": "S", "entry": "S", "day": "S", "ts": "S", "ref": "S"},
            indexes=[Index("by-day", "day", "ts"), Index("by-ref", "ref")],
        ), ctx, child)
        self.audit = Table("loyalty-audit", TableArgs(
            hash_key="phone", range_key="ts", attributes={"phone": "S", "ts": "S", "day": "S"},
            indexes=[Index("by-day", "day", "ts")],
        ), ctx, child)
        # Held sales: by-status lists the open ones for the desk and the owner's daily digest.
        self.review = Table("loyalty-review", TableArgs(hash_key="phone", range_key="sale_id",
                                                         attributes={"phone": "S", "sale_id": "S", "status": "S", "held_at": "S"},
                                                         indexes=[Index("by-status", "status", "held_at")]), ctx, child)
        # One-time codes of the "my points" page and their wrong-code counters: short-lived rows.
        self.codes = Table("loyalty-codes", TableArgs(hash_key="key", attributes={"key": "S"}, ttl_attribute="expires"),
                           ctx, child)
        self.lapsing = Table("loyalty-lapsing", TableArgs(hash_key="phone", attributes={"phone": "S"}), ctx, child)

        self.rules = Bucket("loyalty-rules", BucketArgs(versioned=True), ctx, child)
        self.backups = Bucket("loyalty-backups", BucketArgs(
            versioned=True, lifecycle=[Lifecycle(glacier_after_days=90, expire_after_days=7 * 365)]), ctx, child)
        # The owner's files from here on: Pulumi writes the first version only.
        SeedObjects("loyalty", self.rules, {key: f"{DEFAULTS}/{key}" for key in ("rules.txt", "voice.txt")},
                    "text/plain; charset=utf-8", moved_from=self, opts=child)
        knobs = Parameters("loyalty", {
            "time-zone": args.time_zone, "lapsing-weeks": str(args.lapsing_weeks),
            "max-nudges": str(args.max_nudges), "regular-threshold": str(args.regular_threshold),
        }, ctx, "Loyalty knob", moved_from=self, opts=child).read

        self.pos_hmac = Secret("pos-hmac", args.pos_hmac_secret, ctx, "HMAC secret shared with the POS", child)
        self.member_tokens = Secret("member-token-key", None, ctx,
                                    "Signs members' confirmation links and their points-page sessions", child)
        drive = Secret("drive-sa", args.drive_service_account, ctx, "Google service account for Drive sync", child) \
            if args.drive_service_account is not None else None

        # The default bus is the account's, shared with other stacks: events carry this stack's
        # source, which the functions putting them get with their bus link.
        events_source = stack_source(ctx, "loyalty")
        bus = default_bus(ctx.region, ctx.account_id)
        bus = replace(bus, env={**bus.env, **setting("events source", events_source).env})
        zone = setting("time zone", args.time_zone)
        members, ledger = self.members, self.ledger
        site = platform.sites["loyalty"]
        fn = lambda name, handler, links, **kw: platform.function(  # noqa: E731
            name, FunctionArgs(handler=f"handlers.loyalty.{handler}.handler", links=links, **kw), parent=self)

        self.earn = fn("loyalty-earn", "earn", [
            members.grant("get", "update", "put"), ledger.grant("get", "update", "put"),
            self.review.grant("get", "update", "put"),
            *self.rules_read("rules.txt"), bus, zone,
        ], description="Points engine: four outcomes per sale, credited once")
        self.webhook = fn("loyalty-pos-webhook", "pos_webhook", [
            platform.origin_secret.read, self.pos_hmac.read, self.earn.invoke,
        ], url=True, bundle=("phonenumbers", "email_validator", "idna"), description="POS sales, HMAC-signed, handed to earn")
        self.signup = fn("loyalty-signup", "signup", [
            platform.origin_secret.read, members.grant("get", "put", "update"), self.member_tokens.read,
            *self.rules_read("rules.txt"),  # the reward ladder the sign-up page shows
            *platform.notifier.send("loyalty"), zone,
        ], url=True, bundle=("itsdangerous", "jinja2", "markupsafe", "phonenumbers", "email_validator", "idna"), description="Sign-up and double opt-in")
        self.points = fn("loyalty-points", "points", [
            platform.origin_secret.read, self.codes.grant("get", "put", "update", "delete"),
            members.grant("get", "update"), ledger.query(), self.member_tokens.read,
            *self.rules_read("rules.txt"), *platform.notifier.send("loyalty"), zone,
        ], url=True, bundle=("itsdangerous", "jinja2", "markupsafe", "phonenumbers", "email_validator", "idna"),
            description="My points: one-time codes, the member's own balance and details")
        self.redeem = fn("loyalty-redeem", "redeem", [
            platform.origin_secret.read, *platform.staff_access,
            members.grant("get", "put", "update"), ledger.grant("append", "query"), self.audit.append(),
            # Redemption ids are any the desk sends, and the function reads the whole ledger anyway.
            ledger.query_index("by-ref", keys=None),
            self.review.grant("get", "update"), self.review.query_index("by-status", keys=["open"]),  # held sales waiting
            self.member_tokens.read, *platform.notifier.send("loyalty"),  # a member enrolled at the desk confirms their address
            *self.rules_read("rules.txt"), bus, zone,  # a released sale may cross a reward
        ], url=True, bundle=("itsdangerous", "jinja2", "markupsafe", "phonenumbers", "email_validator", "idna"),
            description="Redeem desk: look up, redeem, reverse, enrol, adjust, review held sales")

        self.dispatch = fn("loyalty-email-dispatch", "email_dispatch", [
            members.grant("get"), ledger.update(),  # a zero-point row per message sent
            self.member_tokens.read, site.address,  # each balance mail's personal link to the member's points
            *self.rules_read("rules.txt", "voice.txt"),
            *platform.notifier.send("loyalty", marketing=True), zone,
        ], bundle=("itsdangerous", "jinja2", "markupsafe"), timeout_s=30, description="Mail and reward texts in the shop's voice")

        self.nightly = fn("loyalty-nightly-balance", "nightly_balance", [
            ledger.query_index("by-day", keys=None),  # keyed by date: a pattern would single nothing out
            bus, zone,
        ], timeout_s=60, description="Queues tonight's balance mails")
        self.sweep = fn("loyalty-lapsing-sweep", "lapsing_sweep", [
            members.grant("update"), self.lapsing.grant("put"), bus, knobs,
            members.query_index("by-status", keys=["active"]),  # it looks for active members only
        ], timeout_s=60, description="Weekly: regulars who stopped coming get a win-back nudge")
        summary_links = [
            # Keyed by month or date: a pattern would single nothing out; it reads every day of the month.
            members.query_index("by-joined", keys=None), ledger.query_index("by-day", keys=None),
            self.audit.query_index("by-day", keys=None),
            self.review.query_index("by-status", keys=["open"]), site.address,  # the daily digest of held sales
            *platform.notifier.send("loyalty"), setting("owner email", args.owner_email),
            setting("bedrock model", HAIKU_PROFILE if args.bedrock else "off"), zone,
        ]
        if args.bedrock:
            summary_links.append(grant("model", "claude-haiku", ["invoke"], [
                ctx.arn("bedrock", f"inference-profile/{HAIKU_PROFILE}"),
                f"arn:aws:bedrock:{ctx.region}::foundation-model/{HAIKU}",
                f"arn:aws:bedrock:::foundation-model/{HAIKU}"]))
        self.summary = fn("loyalty-summary", "summary", summary_links, memory_mb=512, timeout_s=120,
                          bundle=("jinja2", "markupsafe"), description="Monthly owner summary (Haiku, or a template)")
        sync_links = [
            members.grant("scan"), ledger.grant("scan"),
            self.rules.write(), self.rules.read(), self.backups.write(),
            setting("drive files", json.dumps(args.drive_files)),
        ]
        if drive is not None:
            sync_links.append(drive.read)
        self.sync = fn("loyalty-drive-sync", "drive_sync", sync_links, timeout_s=60,
                       description="Drive sync of rules and voice (when configured); daily backups")

        EventSubscription("loyalty-mail", events_source, ["reward_earned", "nightly_email", "winback_nudge"],
                          self.dispatch, ctx, moved_from=self, opts=child)

        for schedule, expression, target, payload in (
            ("loyalty-nightly-balance", "cron(0 19 * * ? *)", self.nightly, {}),
            ("loyalty-lapsing-sweep", "cron(0 9 ? * MON *)", self.sweep, {}),
            ("loyalty-monthly-summary", "cron(0 9 ? * 2#1 *)", self.summary, {}),
            ("loyalty-held-digest", "cron(0 8 * * ? *)", self.summary, {"task": "held-digest"}),
            ("loyalty-backup", "cron(30 2 * * ? *)", self.sync, {"task": "backup"}),
            *((("loyalty-drive-sync", "rate(15 minutes)", self.sync, {"task": "sync"}),) if args.drive_files else ()),
        ):
            Schedule(schedule, ScheduleArgs(expression=expression, time_zone=args.time_zone, target=target, input=payload), ctx, child)

        platform.guardrails.log_alarm("loyalty-rules-invalid", self.earn, '{ $.message = "rules invalid" }', 0,
                                      "rules.txt has mistakes: the last good rules are in force until it is fixed")
        platform.guardrails.log_alarm("loyalty-redeem-refused", self.redeem, '{ $.message = "redeem refused: condition_failed" }', 20,
                                      "Many refused redeems: a stale desk screen, or a bug")
        platform.guardrails.bounce_rate_alarm(0.02)

        site.route("/api/pos/sales", self.webhook, forward=POS_FORWARD)
        site.route("/api/members", self.signup, forward=PUBLIC_FORWARD)
        site.route("/api/confirm", self.signup, forward=PUBLIC_FORWARD)
        site.route("/api/program", self.signup, forward=PUBLIC_FORWARD)
        site.route("/api/points/*", self.points, forward=PUBLIC_FORWARD)
        site.route("/api/members/*", self.redeem, forward=STAFF_FORWARD)
        site.route("/api/redeem", self.redeem, forward=STAFF_FORWARD)
        site.route("/api/redemptions/*", self.redeem, forward=STAFF_FORWARD)
        site.route("/api/held", self.redeem, forward=STAFF_FORWARD)
        site.route("/api/held/*", self.redeem, forward=STAFF_FORWARD)
        self.register_outputs({"members": members.name, "ledger": ledger.name})

    def rules_read(self, *keys: str) -> list[Link]:
        """Read these objects of the rules bucket, their earlier versions too (the fallback)."""
        return [self.rules.read_versions(*keys), self.rules.list_versions]
