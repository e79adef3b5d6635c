"""Custom domains: Mainstreet never overwrites a DNS record it did not create unless the stack
says so (`takeOverDomains`), and the prod stack file's zone id is a placeholder validation names."""

from __future__ import annotations

import pytest

from components.stack import config
from ops import harness

RECORD = "aws:route53/record:Record"
SITE_RECORDS = ("-a", "-aaaa", "-validation")


def site_records(graph) -> dict[str, object]:
    """Logical name → the site's A, AAAA and certificate-validation records."""
    return {r.name: r for r in graph.of_type(RECORD) if r.name.endswith(SITE_RECORDS)}


def test_no_site_record_may_overwrite_an_existing_one_by_default(prod_graph):
    records = site_records(prod_graph)
    assert {"brand-a", "brand-aaaa", "brand-validation", "ops-a", "loyalty-aaaa"} <= set(records)
    for name, record in records.items():
        assert record.inputs["allowOverwrite"] is False, name
    # The DKIM records, too, are only ever created (the provider's default), never taken over.
    for record in prod_graph.of_type(RECORD):
        assert record.inputs.get("allowOverwrite", False) is False, record.name


def test_take_over_domains_lets_exactly_those_domains_records_be_replaced():
    graph = harness.run("prod", overrides={"takeOverDomains": ["ops.queenofsandiego.com"]})
    for name, record in site_records(graph).items():
        assert record.inputs["allowOverwrite"] is name.startswith("ops-"), name


def test_prod_keeps_the_business_site_at_the_apex_and_gives_mainstreet_subdomains(prod_graph):
    aliases = {r.inputs["name"] for r in prod_graph.of_type(RECORD) if r.name.endswith(("-a", "-aaaa"))}
    assert aliases == {"book.queenofsandiego.com", "ops.queenofsandiego.com", "rewards.queenofsandiego.com"}
    assert "queenofsandiego.com" not in aliases  # referralDestination's site


def test_the_prod_stack_files_zone_id_is_a_placeholder_validation_names():
    written = harness.stood_in("prod")
    assert set(written) == {"mainstreet:hostedZoneId"}
    with pytest.raises(config.ConfigError) as caught:
        harness.run("prod", overrides={"hostedZoneId": written["mainstreet:hostedZoneId"]})
    (problem,) = [p for p in caught.value.problems if "hostedZoneId" in p]
    assert problem.startswith("mainstreet:hostedZoneId:") and "placeholder" in problem
    assert "list-hosted-zones-by-name" in problem  # says where the real id is


def test_test_runs_stand_a_realistic_zone_id_in_for_the_placeholder_and_say_so(prod_graph):
    assert prod_graph.stand_ins == harness.stood_in("prod")
    assert prod_graph.config["mainstreet:hostedZoneId"] == harness.TEST_ZONE_ID
    assert {r.inputs["zoneId"] for r in prod_graph.of_type(RECORD)} == {harness.TEST_ZONE_ID}
    assert not config.placeholder(harness.TEST_ZONE_ID) and config.ZONE_ID.match(harness.TEST_ZONE_ID)
