"""Pages generated from the stack's outputs rather than kept in site/: they depend on what only
exists after `pulumi up` (every site's address). `ops deploy` publishes them; local mode too."""

from __future__ import annotations

import json
from typing import Any

JSON = "application/json; charset=utf-8"


def site_json(site: str, outputs: dict[str, Any]) -> bytes:
    """/site.json on every site: the business's name, the name each system speaks with, and where
    the other sites are."""
    business = outputs.get("business_name")
    document = {
        "site": site,
        "stage": outputs.get("stage"),
        "business_name": business,
        "names": outputs.get("names") or {s: business for s in ("charters", "dispatch", "loyalty", "referrals", "staff")},
        "sites": {name: info["url"] for name, info in outputs.get("sites", {}).items()},
        "vendors": (outputs.get("referrals") or {}).get("vendors", {}),
    }
    return (json.dumps(document, indent=2, sort_keys=True) + "\n").encode()


def pages(site: str, outputs: dict[str, Any]) -> dict[str, tuple[bytes, str]]:
    """Object key → (content, content type) for one site."""
    return {"site.json": (site_json(site, outputs), JSON)}
