"""Referrals (SPEC §1): vendor links on the ops site, counted clicks, staff stats, outreach.

  referral-click  GET /ref/*            writes referral-stats (conditional counters) and
                                        referral-clicks (90-day events); reads nothing
  referral-api    /api/referrals/*      staff: reads referral-stats, reads and writes outreach,
                                        sends outreach (marketing: quiet hours, unsubscribe)
  referral-digest Monday 08:00 (local)  reads referral-stats, mails the operations manager
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import pulumi

from components.blocks.function import FunctionArgs
from components.blocks.links import setting
from components.blocks.schedule import Schedule, ScheduleArgs
from components.blocks.secret import Secret
from components.blocks.seed import SeedItems
from components.blocks.site import Forward
from components.blocks.table import Table, TableArgs
from components.stack.config import Vendor
from components.systems.platform import STAFF_FORWARD, Platform

# The click handler needs the viewer's address (unique visitors) and user agent (bots).
CLICK_FORWARD = Forward(headers=("CloudFront-Viewer-Address", "User-Agent"))


@dataclass
class ReferralsArgs:
    destination: str
    campaign: str
    vendors: Sequence[Vendor]
    time_zone: str
    ops_email: str


class Referrals(pulumi.ComponentResource):
    def __init__(self, name: str, args: ReferralsArgs, platform: Platform, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mainstreet:system:Referrals", name, None, opts)
        ctx = platform.ctx
        child = pulumi.ResourceOptions(parent=self)
        def pk_sk() -> TableArgs:  # a function, not a dict spread, so the checker sees each argument's type
            return TableArgs(hash_key="pk", range_key="sk", attributes={"pk": "S", "sk": "S"})

        self.stats = Table("referral-stats", pk_sk(), ctx, child)
        self.clicks = Table(
            "referral-clicks",
            TableArgs(hash_key="vendor", range_key="at", attributes={"vendor": "S", "at": "S"}, ttl_attribute="expires_at"),
            ctx,
            child,
        )
        self.outreach = Table("outreach", pk_sk(), ctx, child)
        self.visitor_salt = Secret("visitor-salt", None, ctx, "Salts the daily visitor hashes", child)

        SeedItems("vendors", self.stats, {
            f"vendor-{v.code}": {"pk": "VENDOR", "sk": v.code, "name": v.name, "email": v.email, "contact": v.contact}
            for v in args.vendors
        }, ("pk", "sk"), moved_from=self, opts=child)

        time_zone = setting("time zone", args.time_zone)
        self.click = platform.function(
            "referral-click",
            FunctionArgs(
                handler="handlers.referrals.click.handler",
                links=[
                    platform.origin_secret.read,
                    self.stats.grant("update", "check"),
                    self.clicks.append(),
                    self.visitor_salt.read,
                    setting("referral destination", args.destination),
                    setting("referral campaign", args.campaign),
                    time_zone,
                ],
                url=True,
                bundle=("phonenumbers", "email_validator", "idna"),
                description="Counts a referral click and redirects with UTM tags",
            ),
            parent=self,
        )
        self.api = platform.function(
            "referral-api",
            FunctionArgs(
                handler="handlers.referrals.api.handler",
                links=[
                    platform.origin_secret.read,
                    *platform.staff_access,
                    self.stats.query(),
                    self.outreach.grant("get", "query", "put", "update"),
                    *platform.notifier.send("referrals", marketing=True),  # vendor outreach
                    time_zone,
                ],
                url=True,
                bundle=("itsdangerous", "jinja2", "markupsafe", "phonenumbers", "email_validator", "idna"),
                timeout_s=30,
                description="Staff referral stats and vendor outreach",
            ),
            parent=self,
        )
        ops = platform.sites["ops"]
        self.digest = platform.function(
            "referral-digest",
            FunctionArgs(
                handler="handlers.referrals.digest.handler",
                links=[
                    self.stats.query(),
                    *platform.notifier.send("referrals"),
                    setting("ops email", args.ops_email),
                    ops.address,
                    time_zone,
                ],
                bundle=("jinja2", "markupsafe"),
                timeout_s=60,
                description="Mails last week's referral clicks to the operations manager",
            ),
            parent=self,
        )
        Schedule(
            "referral-digest",
            ScheduleArgs(
                expression="cron(0 8 ? * MON *)",
                time_zone=args.time_zone,
                target=self.digest,
                description="Monday 08:00: last week's referral clicks",
            ),
            ctx,
            child,
        )
        ops.route("/ref/*", self.click, forward=CLICK_FORWARD)
        ops.route("/api/referrals/*", self.api, forward=STAFF_FORWARD)
        self.vendor_names = {vendor.code: vendor.name for vendor in args.vendors}
        self.register_outputs({"stats_table": self.stats.name, "clicks_table": self.clicks.name})

    def exports(self) -> dict:
        return {"vendors": self.vendor_names, "stats_table": self.stats.name}
