"""Mainstreet: a small business's back office in its own AWS account.

Reads and validates the stack config, builds the shared platform, then each enabled system.
"""

import pulumi

from components.stack import config
from components.systems.charters import Charters, ChartersArgs
from components.systems.dispatch import Dispatch, DispatchArgs
from components.systems.loyalty import Loyalty, LoyaltyArgs
from components.systems.platform import Platform
from components.systems.referrals import Referrals, ReferralsArgs

loaded = config.from_pulumi()
cfg = loaded.settings

platform = Platform("platform", cfg, loaded.secrets)

if cfg.enabled("referrals"):
    referrals = Referrals(
        "referrals",
        ReferralsArgs(
            destination=cfg.referral_destination,
            campaign=cfg.referral_campaign,
            vendors=cfg.vendors,
            time_zone=cfg.time_zone,
            ops_email=cfg.ops_email,
        ),
        platform,
    )
    pulumi.export("referrals", referrals.exports())

if cfg.enabled("charters"):
    Charters(
        "charters",
        ChartersArgs(
            service_key_hash=loaded.secrets["serviceKeyHash"],
            ops_email=cfg.ops_email,
            meeting_point=cfg.meeting_point_default,
            crew_checklist=cfg.crew_checklist,
            what_to_bring=cfg.what_to_bring,
            crew_link_days=cfg.crew_link_days_after,
            time_zone=cfg.time_zone,
        ),
        platform,
    )

if cfg.enabled("dispatch"):
    Dispatch("dispatch", DispatchArgs(time_zone=cfg.time_zone), platform)

if cfg.enabled("loyalty"):
    Loyalty(
        "loyalty",
        LoyaltyArgs(
            pos_hmac_secret=loaded.secrets["posHmacSecret"],
            time_zone=cfg.time_zone,
            lapsing_weeks=cfg.loyalty_lapsing_weeks,
            max_nudges=cfg.loyalty_max_nudges,
            regular_threshold=cfg.loyalty_regular_threshold,
            owner_email=cfg.owner_email,
            bedrock=cfg.bedrock_enabled,
            drive_files={key: doc for key, doc in (("rules.txt", cfg.drive_rules_doc_id), ("voice.txt", cfg.drive_voice_doc_id)) if doc},
            drive_service_account=loaded.secrets.get("driveServiceAccount"),
        ),
        platform,
    )

platform.finish()

pulumi.export("stage", cfg.stage)
pulumi.export("region", platform.ctx.region)
pulumi.export("business_name", cfg.business_name)
pulumi.export("names", cfg.names())  # the name each system speaks with (site.json)
pulumi.export("sites", platform.exports())
pulumi.export("staff", platform.staff_exports())
pulumi.export("notifications", platform.notify_exports())
