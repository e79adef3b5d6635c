"""What every component needs to know about the stack it is part of."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from components.stack.naming import Naming
from components.stack.stage import StagePolicy

if TYPE_CHECKING:  # a block, built on a Context: only its type is needed here
    from components.blocks.libraries import Libraries


@dataclass(frozen=True)
class Context:
    naming: Naming
    stage: StagePolicy
    region: str
    account_id: str
    powertools_layer_arn: str
    # Custom domains whose existing DNS records the stack may overwrite (config `takeOverDomains`);
    # every other record is created only where none exists.
    dns_takeover: frozenset[str] = frozenset()
    # The stack's libraries layer (components/blocks/libraries.py); the platform makes it once,
    # right after the rest of the context, so every Function can attach it.
    libraries: Libraries | None = None

    def arn(self, service: str, resource: str, region: str | None = None) -> str:
        """An ARN in this account; pass region="" for global services (IAM, S3)."""
        region = self.region if region is None else region
        account = "" if service == "s3" else self.account_id
        return f"arn:aws:{service}:{region}:{account}:{resource}"
