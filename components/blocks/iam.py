"""IAM documents the components share: who may assume a role, who may publish to a topic."""

from __future__ import annotations

import json
from typing import Sequence


def assume_role_policy(service: str, source_account: str | None = None) -> str:
    """Trust policy letting AWS service `service` (e.g. "lambda.amazonaws.com") assume the role."""
    statement: dict = {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
    if source_account:
        statement["Condition"] = {"StringEquals": {"aws:SourceAccount": source_account}}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def publish_policy(topic_arn: str, services: Sequence[str], source_account: str) -> str:
    """Topic policy letting these AWS services of this account publish to the topic."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": list(services) if len(services) > 1 else services[0]},
                    "Action": "sns:Publish",
                    "Resource": topic_arn,
                    "Condition": {"StringEquals": {"AWS:SourceAccount": source_account}},
                }
            ],
        }
    )
