"""Mail modes: what each declares, grants and links, and what `pulumi up` says when mail cannot work yet."""

from __future__ import annotations

import logging

from ops import harness

IDENTITY = "aws:sesv2/emailIdentity:EmailIdentity"
RECORD = "aws:route53/record:Record"
LAMBDA = "aws:lambda/function:Function"
NO_DOMAINS = {"hostedZoneId": "", "brandDomain": "", "opsDomain": "", "dispatchDomain": "", "loyaltyDomain": ""}


def dkim_records(graph) -> list:
    return [r for r in graph.of_type(RECORD) if r.name.startswith("mailer-dkim-")]


def warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


def test_dev_mails_in_sandbox_mode_with_verified_addresses_and_links_the_redirect(dev_graph):
    identities = {r.inputs["emailIdentity"] for r in dev_graph.of_type(IDENTITY)}
    # Addresses only: each gets AWS's verification mail; no domain the stack cannot prove.
    assert identities == {"hello@dev.mainstreet.example", "developer@dev.mainstreet.example", "ops@dev.mainstreet.example"}
    assert dkim_records(dev_graph) == []
    env = dev_graph.named(LAMBDA, "charter-intake").inputs["environment"]["variables"]
    assert env["MAIL_SANDBOX_REDIRECT"] == "developer@dev.mainstreet.example"
    assert env["MAIL_SANDBOX_RECIPIENTS"].split(",")[0] == "ops@dev.mainstreet.example"


def test_prod_mails_in_domain_mode_with_dkim_records_in_its_zone(prod_graph):
    (identity,) = prod_graph.of_type(IDENTITY)
    assert identity.inputs["emailIdentity"] == "queenofsandiego.com"
    records = dkim_records(prod_graph)
    assert len(records) == 3 and all(r.inputs["zoneId"] == harness.TEST_ZONE_ID and r.inputs["type"] == "CNAME" for r in records)
    env = prod_graph.named(LAMBDA, "charter-intake").inputs["environment"]["variables"]
    assert not {"MAIL_SANDBOX_REDIRECT", "MAIL_SANDBOX_RECIPIENTS"} & set(env)


def test_domain_mode_without_a_zone_says_which_records_to_add_by_hand(caplog):
    with caplog.at_level(logging.WARNING):
        graph = harness.run("prod", overrides=NO_DOMAINS)
    assert dkim_records(graph) == []
    tokens = graph.named(IDENTITY, "mailer").outputs["dkimSigningAttributes"]["tokens"]
    said = "\n".join(warnings(caplog))
    assert "no mainstreet:hostedZoneId" in said
    for token in tokens:
        assert f"{token}._domainkey.queenofsandiego.com CNAME {token}.dkim.amazonses.com" in said


def test_sandbox_addresses_no_mail_can_reach_are_named_at_pulumi_up(caplog):
    with caplog.at_level(logging.WARNING):
        harness.run("dev")
    (said,) = [w for w in warnings(caplog) if "mail (sandbox mode)" in w]
    assert "hello@dev.mainstreet.example" in said and "developer@dev.mainstreet.example" in said
    assert "mainstreet:mailSandboxRedirect" in said


def test_real_addresses_raise_no_mail_warning(caplog):
    with caplog.at_level(logging.WARNING):
        harness.run("dev", overrides={"mailFrom": "hello@shop.com", "mailSandboxRedirect": "me@shop.com",
                                      "mailSandboxRecipients": ["ops@shop.com"]})
    assert not [w for w in warnings(caplog) if w.startswith("mail (")]
