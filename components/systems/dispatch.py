"""Dispatch (SPEC §3): bookings, jobs, tracking links and the dispatcher's board, on its site.

  dispatch-booking  POST /api/bookings        writes new JOB, TRACK and REQ items (public)
  dispatch-track    GET /api/track/*, /api/flow   reads TRACK items only (public, never cached)
  dispatch-board    /api/jobs, /api/jobs/*    staff: reads and writes JOB and TRACK items
  dispatch-notify   the jobs table's stream   mails and texts customers through the notifier; writes no job
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.blocks.function import FunctionArgs
from components.blocks.links import setting
from components.systems.platform import STAFF_FORWARD, Platform
from components.blocks.site import Forward
from components.blocks.stream_trigger import StreamTrigger
from components.blocks.table import Index, Table, TableArgs
from handlers.dispatch.flow import STATUSES

PUBLIC_FORWARD = Forward(headers=("Content-Type",))


@dataclass
class DispatchArgs:
    time_zone: str


class Dispatch(pulumi.ComponentResource):
    def __init__(self, name: str, args: DispatchArgs, platform: Platform, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mainstreet:system:Dispatch", name, None, opts)
        ctx = platform.ctx
        child = pulumi.ResourceOptions(parent=self)
        self.jobs = Table(
            "jobs",
            TableArgs(
                hash_key="pk",
                attributes={"pk": "S", "job_status": "S", "created_at": "S"},
                indexes=[Index("by-status", "job_status", "created_at")],
                ttl_attribute="expires_at",
                stream="NEW_AND_OLD_IMAGES",
            ),
            ctx,
            child,
        )
        site = platform.sites["dispatch"]
        time_zone = setting("time zone", args.time_zone)
        horizon = setting("booking horizon days", str(platform.cfg.booking_horizon_days))

        self.booking = platform.function(
            "dispatch-booking",
            FunctionArgs(
                handler="handlers.dispatch.booking.handler",
                links=[
                    platform.origin_secret.read,
                    self.jobs.grant("put", "get", keys=["JOB#*", "TRACK#*", "REQ#*"]),
                    time_zone,
                    horizon,
                ],
                url=True,
                bundle=("phonenumbers", "email_validator", "idna"),
                description="Public booking form: creates a job and its tracking link",
            ),
            parent=self,
        )
        self.track = platform.function(
            "dispatch-track",
            FunctionArgs(
                handler="handlers.dispatch.track.handler",
                links=[platform.origin_secret.read, self.jobs.get(keys=["TRACK#*"])],
                url=True,
                bundle=("phonenumbers", "email_validator", "idna"),
                description="Public tracking view and the status flow",
            ),
            parent=self,
        )
        self.board = platform.function(
            "dispatch-board",
            FunctionArgs(
                handler="handlers.dispatch.board.handler",
                links=[
                    platform.origin_secret.read,
                    *platform.staff_access,
                    self.jobs.grant("get", "put", "update", keys=["JOB#*", "TRACK#*"]),
                    # The columns, one query per status. Only JOB items carry job_status, and the
                    # board may read those anyway: the condition pins it to the flow's statuses.
                    self.jobs.query_index("by-status", keys=[status for status, _, _ in STATUSES]),
                    time_zone,
                    horizon,
                ],
                url=True,
                bundle=("itsdangerous", "phonenumbers", "email_validator", "idna"),
                description="Dispatcher's board: jobs by status, new jobs, status changes",
            ),
            parent=self,
        )
        self.notify = platform.function(
            "dispatch-notify",
            FunctionArgs(
                handler="handlers.dispatch.notify.handler",
                links=[
                    self.jobs.stream_read,
                    # Its messages are recorded once each in the notifier's table: no writes here.
                    *platform.notifier.send("dispatch"),
                    site.address,
                ],
                bundle=("jinja2", "markupsafe"),
                timeout_s=30,
                description="Mails (and, if they agreed, texts) customers their tracking link on booking and each status change",
            ),
            parent=self,
        )
        StreamTrigger("dispatch-notify", self.jobs, self.notify, ctx, child)

        site.route("/api/bookings", self.booking, forward=PUBLIC_FORWARD)
        site.route("/api/track/*", self.track)
        site.route("/api/flow", self.track)
        site.route("/api/jobs", self.board, forward=STAFF_FORWARD)
        site.route("/api/jobs/*", self.board, forward=STAFF_FORWARD)
        site.route("/track/*", edge="track", serves="track/index.html")
        self.register_outputs({"jobs_table": self.jobs.name})
