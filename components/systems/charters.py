"""Charters (SPEC §2): marketplace bookings on the ops site, crew magic links, guest pages on
the brand site, the operations manager's confirmation.

  charter-intake  POST /api/bookings (X-Api-Key)   writes the charters table; publishes only g/*
                                                   in the brand bucket; invalidates the brand site
  charter-crew    /api/crew/* (X-Crew-Token)       reads and ticks crew assignments (EVENT# items)
  charter-staff   /api/charters/* (staff session)  reads events, revokes and reissues crew links
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Sequence

import pulumi

from components.blocks.function import FunctionArgs
from components.blocks.links import setting
from components.systems.platform import STAFF_FORWARD, Platform
from components.blocks.secret import Secret
from components.blocks.site import Forward
from components.blocks.table import Table, TableArgs

# Incident 1: CloudFront stripped X-Api-Key; this behaviour forwards it, and the infra and
# local-mode tests hold it to that.
SERVICE_FORWARD = Forward(headers=("X-Api-Key", "Content-Type"))
CREW_FORWARD = Forward(headers=("X-Crew-Token", "Content-Type"))
GUEST_PREFIX = "g/"  # where guest pages live in the brand bucket


@dataclass
class ChartersArgs:
    service_key_hash: pulumi.Input[str]
    ops_email: str
    meeting_point: str
    crew_checklist: Sequence[str]
    what_to_bring: Sequence[str]
    crew_link_days: int
    time_zone: str


class Charters(pulumi.ComponentResource):
    def __init__(self, name: str, args: ChartersArgs, platform: Platform, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mainstreet:system:Charters", name, None, opts)
        ctx = platform.ctx
        child = pulumi.ResourceOptions(parent=self)
        self.table = Table("charters", TableArgs(hash_key="pk", range_key="sk", attributes={"pk": "S", "sk": "S"}), ctx, child)
        self.service_key = Secret("service-key", args.service_key_hash, ctx, "SHA-256 hash of the marketplace's service key", child)
        self.crew_link_key = Secret("crew-link-key", None, ctx, "Signs crew magic links", child)
        brand, ops = platform.sites["brand"], platform.sites["ops"]
        checklist = setting("crew checklist", json.dumps(list(args.crew_checklist)))
        link_days = setting("crew link days", str(args.crew_link_days))
        zone = setting("time zone", args.time_zone)

        self.intake = platform.function(
            "charter-intake",
            FunctionArgs(
                handler="handlers.charters.intake.handler",
                links=[
                    platform.origin_secret.read,
                    self.service_key.read,
                    self.crew_link_key.read,
                    self.table.grant("put", "get", "query", "update"),
                    brand.bucket.write(GUEST_PREFIX),
                    brand.invalidate,
                    brand.address,
                    *platform.notifier.send("charters"),
                    setting("ops email", args.ops_email),
                    setting("meeting point", args.meeting_point),
                    checklist,
                    setting("what to bring", json.dumps(list(args.what_to_bring))),
                    link_days,
                    zone,
                    setting("booking horizon days", str(platform.cfg.booking_horizon_days)),
                ],
                url=True,
                bundle=("itsdangerous", "jinja2", "markupsafe", "phonenumbers", "email_validator", "idna"),
                timeout_s=30,
                description="Marketplace bookings: event, crew links, guest page, ops mail",
            ),
            parent=self,
        )
        self.crew = platform.function(
            "charter-crew",
            FunctionArgs(
                handler="handlers.charters.crew.handler",
                links=[
                    platform.origin_secret.read,
                    self.crew_link_key.read,
                    self.table.grant("query", "update", keys=["EVENT#*"]),
                    checklist,
                ],
                url=True,
                bundle=("itsdangerous", "phonenumbers", "email_validator", "idna"),
                description="Crew magic links: the assignment, acknowledgement, checklist",
            ),
            parent=self,
        )
        self.staff = platform.function(
            "charter-staff",
            FunctionArgs(
                handler="handlers.charters.staff.handler",
                links=[
                    platform.origin_secret.read,
                    *platform.staff_access,
                    self.crew_link_key.read,
                    self.table.grant("query", "update", keys=["EVENT#*", "CAL#*"]),
                    *platform.notifier.send("charters"),
                    link_days,
                    zone,
                ],
                url=True,
                bundle=("itsdangerous", "jinja2", "markupsafe", "phonenumbers", "email_validator", "idna"),
                description="Staff: the charter calendar, events, crew link revocation",
            ),
            parent=self,
        )
        # Guest pages: `/g/{CODE}` is served from the flat object `g/{code}.html` that the intake
        # publishes; edge/guest.js does the rewrite (incidents 3 and 4).
        brand.route("/g/*", edge="guest")
        ops.route("/api/bookings", self.intake, forward=SERVICE_FORWARD)
        ops.route("/api/crew/*", self.crew, forward=CREW_FORWARD)
        ops.route("/api/charters/*", self.staff, forward=STAFF_FORWARD)
        self.register_outputs({"table": self.table.name})
