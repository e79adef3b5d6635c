"""Stateful resources keep their URNs: a refactor that re-parents or renames a table or bucket
would make `pulumi up` replace it (a new, empty table), so their full URNs are pinned here.
Moving one on purpose means giving it `aliases` and updating this list in the same change."""

from __future__ import annotations

STATEFUL = ("aws:dynamodb/table:Table", "aws:s3/bucket:Bucket", "aws:cognito/userPool:UserPool")  # the pool holds the staff accounts
SITE_BUCKET = "mainstreet:platform:Platform$mainstreet:web:Site$mainstreet:data:Bucket$aws:s3/bucket:Bucket::{}-site"
TABLE = "mainstreet:system:{}$mainstreet:data:Table$aws:dynamodb/table:Table::{}"
BUCKET = "mainstreet:system:{}$mainstreet:data:Bucket$aws:s3/bucket:Bucket::{}"

EXPECTED = {
    *(SITE_BUCKET.format(site) for site in ("brand", "ops", "dispatch", "loyalty")),
    TABLE.format("Charters", "charters"),
    TABLE.format("Dispatch", "jobs"),
    *(TABLE.format("Loyalty", f"loyalty-{t}") for t in ("audit", "codes", "lapsing", "ledger", "members", "review")),
    *(BUCKET.format("Loyalty", f"loyalty-{b}") for b in ("backups", "rules")),
    *(TABLE.format("Referrals", t) for t in ("outreach", "referral-clicks", "referral-stats")),
    "mainstreet:platform:Platform$mainstreet:identity:StaffDirectory$aws:cognito/userPool:UserPool::staff",
    "mainstreet:platform:Platform$mainstreet:identity:StaffDirectory$mainstreet:data:Table$aws:dynamodb/table:Table::staff-sessions",
    "mainstreet:platform:Platform$mainstreet:notify:Notifier$mainstreet:data:Table$aws:dynamodb/table:Table::notifications",
}


def full_urn_type(graph, resource) -> str:
    """The qualified type Pulumi's engine puts in a URN: every ancestor's type, outermost first
    (the mock runtime abbreviates it to the parent's type alone)."""
    by_urn = {r.urn: r for r in graph.resources}
    qualified, parent = resource.type, by_urn.get(resource.parent)
    while parent is not None:
        qualified, parent = f"{parent.type}${qualified}", by_urn.get(parent.parent)
    return qualified


def test_tables_and_buckets_keep_their_urns(graph):
    found = {f"{full_urn_type(graph, r)}::{r.name}" for r in graph.resources if r.type in STATEFUL}
    assert found == EXPECTED, f"moved: {sorted(found - EXPECTED)}; gone: {sorted(EXPECTED - found)}"
