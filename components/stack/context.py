"""What every component needs to know about the stack it is part of."""

from __future__ import annotations

from dataclasses import dataclass

from components.stack.naming import Naming
from components.stack.stage import StagePolicy


@dataclass(frozen=True)
class Context:
    naming: Naming
    stage: StagePolicy
    region: str
    account_id: str
    powertools_layer_arn: str

    def arn(self, service: str, resource: str, region: str | None = None) -> str:
        """An ARN in this account; pass region="" for global services (IAM, S3)."""
        region = self.region if region is None else region
        account = "" if service == "s3" else self.account_id
        return f"arn:aws:{service}:{region}:{account}:{resource}"
