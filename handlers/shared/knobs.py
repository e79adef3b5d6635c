"""The owner's operational knobs, from Parameter Store: read together, kept five minutes."""

from __future__ import annotations

import time

from handlers.shared.aws import client

TTL_S = 300
_cache: dict[str, tuple[float, dict[str, str]]] = {}


def knobs(prefix: str) -> dict[str, str]:
    """Every parameter under `prefix` (…/loyalty/), by its last path segment."""
    cached = _cache.get(prefix)
    if cached and time.time() - cached[0] < TTL_S:
        return cached[1]
    found: dict[str, str] = {}
    kwargs = {"Path": prefix.rstrip("/"), "Recursive": False}
    while True:
        page = client("ssm").get_parameters_by_path(**kwargs)
        found.update({p["Name"].rsplit("/", 1)[-1]: p["Value"] for p in page.get("Parameters", [])})
        if "NextToken" not in page:
            break
        kwargs["NextToken"] = page["NextToken"]
    _cache[prefix] = (time.time(), found)
    return found
