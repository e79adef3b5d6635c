"""Staff accounts: one Amazon Cognito user pool per stack, its groups as the staff roles, and the
table of signed-in sessions.

The pool signs people in and keeps their passwords; nothing else. The session function calls it
server-side (USER_PASSWORD_AUTH), keeps none of its tokens, and records a session of its own
(`staff-sessions`), which every staff endpoint reads once per request: a session is ended by
deleting its row, at once, which a Cognito token (valid until it expires) could not offer.

- E-mail is the username (case-insensitive), nobody signs themselves up, and a new account's
  temporary password comes by mail from Cognito itself (its default sender: 50 mails a day, which
  a staff of a few people never reaches, and no SES identity or sandbox exit to wait for).
- Threat protection (Cognito's "advanced security") bills per active user, so it is off unless
  the stack's `staffThreatProtection` asks for it, which also moves the pool to the Plus tier.
- `prevent_user_existence_errors`: an unknown address and a wrong password answer alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pulumi
import pulumi_aws as aws

from components.blocks.links import Link, env_name, grant
from components.blocks.table import Index, Table, TableArgs
from components.stack.context import Context
from handlers.shared.auth import ROLES

# The roles are handlers.shared.auth.ROLES (who may call what is decided per route there); each
# becomes a group, described for whoever looks at the pool in the console.
ROLE_DESCRIPTIONS = {
    "owner": "Everything: manages staff and rules, sees revenue",
    "dispatch": "Works the dispatch board",
    "charters": "Manages charters and crew links",
    "referrals": "Works referral stats and vendor outreach",
    "loyalty-desk": "Looks up members and redeems rewards at the counter",
}


@dataclass(frozen=True)
class PasswordPolicy:
    """Length over composition rules (NIST SP 800-63B): a long passphrase beats `Passw0rd!`."""

    minimum_length: int = 12
    temporary_password_days: int = 7


class StaffDirectory(pulumi.ComponentResource):
    def __init__(
        self,
        name: str,
        ctx: Context,
        policy: PasswordPolicy,
        business: str,
        threat_protection: Literal["OFF", "AUDIT", "ENFORCED"] = "OFF",
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("mainstreet:identity:StaffDirectory", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.logical_name = name
        self.pool = aws.cognito.UserPool(
            name,
            name=ctx.naming(name, "user-pool"),
            username_attributes=["email"],
            username_configuration=aws.cognito.UserPoolUsernameConfigurationArgs(case_sensitive=False),
            auto_verified_attributes=["email"],
            schemas=[aws.cognito.UserPoolSchemaArgs(
                name="name", attribute_data_type="String", required=True, mutable=True,
                string_attribute_constraints=aws.cognito.UserPoolSchemaStringAttributeConstraintsArgs(min_length="1", max_length="80"),
            )],
            admin_create_user_config=aws.cognito.UserPoolAdminCreateUserConfigArgs(
                allow_admin_create_user_only=True,
                # Cognito fills in {username} (the address) and {####} (the temporary password).
                invite_message_template=aws.cognito.UserPoolAdminCreateUserConfigInviteMessageTemplateArgs(
                    email_subject=f"Your staff account at {business}"[:140],
                    email_message=(f"{business} has made you a staff account. Sign in on any of its staff pages "
                                   "with {username} and the temporary password {####}; you will then choose your "
                                   f"own. It works for {policy.temporary_password_days} days."),
                ),
            ),
            account_recovery_setting=aws.cognito.UserPoolAccountRecoverySettingArgs(recovery_mechanisms=[
                aws.cognito.UserPoolAccountRecoverySettingRecoveryMechanismArgs(name="verified_email", priority=1),
            ]),
            password_policy=aws.cognito.UserPoolPasswordPolicyArgs(
                minimum_length=policy.minimum_length,
                require_lowercase=False,
                require_uppercase=False,
                require_numbers=False,
                require_symbols=False,
                temporary_password_validity_days=policy.temporary_password_days,
            ),
            email_configuration=aws.cognito.UserPoolEmailConfigurationArgs(email_sending_account="COGNITO_DEFAULT"),
            mfa_configuration="OFF",
            user_pool_tier="LITE" if threat_protection == "OFF" else "PLUS",
            user_pool_add_ons=aws.cognito.UserPoolUserPoolAddOnsArgs(advanced_security_mode=threat_protection),
            deletion_protection="ACTIVE" if ctx.stage.deletion_protection else "INACTIVE",
            opts=ctx.stage.stateful(parent=self),
        )
        # The session function is the only client; it has no secret because it runs the public
        # sign-in calls (InitiateAuth needs no credentials), and refresh tokens are never used.
        self.client = aws.cognito.UserPoolClient(
            name,
            name=ctx.naming(f"{name}-sign-in", "user-pool"),
            user_pool_id=self.pool.id,
            explicit_auth_flows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
            generate_secret=False,
            prevent_user_existence_errors="ENABLED",
            read_attributes=["email", "name"],  # what the ID token names: who signed in
            write_attributes=[],  # staff change nothing of their own account through the client
            enable_token_revocation=True,
            access_token_validity=5,
            id_token_validity=5,
            refresh_token_validity=60,
            token_validity_units=aws.cognito.UserPoolClientTokenValidityUnitsArgs(
                access_token="minutes", id_token="minutes", refresh_token="minutes"),
            opts=child,
        )
        self.groups = {
            role: aws.cognito.UserGroup(
                f"{name}-{role}", name=role, user_pool_id=self.pool.id, description=what, opts=child)
            for role, what in ((role, ROLE_DESCRIPTIONS[role]) for role in ROLES)
        }
        # A person's partition `USER#<id>` holds their sessions (`SESSION#<id>`, with a TTL) and a
        # state row (`STATE`: since when a session may begin), so ending all of one person's
        # sessions reads them consistently; sign-in failure counters are `FAIL#...`/`COUNT`. The
        # `signed-in` index (only sessions carry `kind`) lists who is signed in, for the owner.
        self.sessions = Table(
            "staff-sessions",
            TableArgs(
                hash_key="pk",
                range_key="sk",
                attributes={"pk": "S", "sk": "S", "kind": "S", "user_id": "S"},
                indexes=[Index("signed-in", "kind", "user_id")],
                ttl_attribute="expires_at",
            ),
            ctx,
            child,
        )
        self.id = self.pool.id
        self.arn = self.pool.arn
        self.register_outputs({"user_pool_id": self.pool.id})

    @property
    def sign_in(self) -> Link:
        """Sign people in through the app client (those calls need no IAM), and find the owners
        to mail about a lockout."""
        return grant("userpool", self.logical_name, ["owners"], [self.arn], resource=self, env={
            env_name(self.logical_name, "user pool"): self.pool.id,
            env_name(self.logical_name, "user pool client"): self.client.id,
        })

    @property
    def manage(self) -> Link:
        """Add, disable, re-enable staff and change their roles."""
        return grant("userpool", self.logical_name, ["list", "manage"], [self.arn], resource=self,
                     env={env_name(self.logical_name, "user pool"): self.pool.id})
