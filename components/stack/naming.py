"""Physical names: one function of project, stack and logical name, cut to each service's limit."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

# Longest name each service accepts, and the characters it allows.
LIMITS: dict[str, tuple[int, str]] = {
    "bucket": (63, r"[^a-z0-9-]"),
    "table": (255, r"[^A-Za-z0-9_.-]"),
    "function": (64, r"[^A-Za-z0-9_-]"),
    "role": (64, r"[^A-Za-z0-9+=,.@_-]"),
    "policy": (128, r"[^A-Za-z0-9+=,.@_-]"),
    "secret": (512, r"[^A-Za-z0-9/_+=.@-]"),
    "edge": (64, r"[^A-Za-z0-9_-]"),
    "schedule": (64, r"[^A-Za-z0-9_.-]"),
    "topic": (256, r"[^A-Za-z0-9_-]"),
    "alarm": (255, r"[^A-Za-z0-9_ .-]"),
    "config-set": (64, r"[^A-Za-z0-9_-]"),
    "cf-policy": (128, r"[^A-Za-z0-9_-]"),
    "user-pool": (128, r"[^A-Za-z0-9_+=,.@-]"),  # pools and their app clients alike
    "default": (64, r"[^A-Za-z0-9_-]"),
}


def physical_name(project: str, stack: str, name: str, kind: str = "default", suffix: str = "") -> str:
    """`{project}-{stack}-{name}[-{suffix}]`, made legal for `kind` and cut to its limit.

    A cut name keeps a short hash of the full one, so two long names never collide.
    """
    limit, illegal = LIMITS[kind]
    full = "-".join(part for part in (project, stack, name, suffix) if part)
    if kind == "bucket":
        full = full.lower()
    clean = re.sub(illegal, "-", full)
    if len(clean) <= limit:
        return clean
    digest = hashlib.sha256(full.encode()).hexdigest()[:7]
    return f"{clean[: limit - 8].rstrip('-')}-{digest}"


@dataclass(frozen=True)
class Naming:
    project: str
    stack: str
    account_id: str

    def __call__(self, name: str, kind: str = "default") -> str:
        # Bucket names are global across all AWS accounts: the account id keeps ours ours.
        suffix = self.account_id if kind == "bucket" else ""
        return physical_name(self.project, self.stack, name, kind, suffix)

    def path(self, *parts: str) -> str:
        """A hierarchical name (Parameter Store): /project/stack/part/..."""
        return "/" + "/".join((self.project, self.stack, *parts))
