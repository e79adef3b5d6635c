"""The typed stack config: every knob declared in Pulumi.yaml, every error named at once."""

from __future__ import annotations

import pytest
import yaml

from components.stack import config
from ops import harness

DECLARED = yaml.safe_load((harness.ROOT / "Pulumi.yaml").read_text())["config"]
PULUMI_TYPES = {str: "string", int: "integer", bool: "boolean"}


def test_every_setting_is_declared_in_pulumi_yaml_with_type_description_and_default():
    fields = {f.alias: f for f in config.StackConfig.model_fields.values()}
    assert set(DECLARED) == set(fields)
    for key, spec in DECLARED.items():
        assert spec["description"].strip(), key
        assert "default" in spec, key
        annotation = fields[key].annotation
        expected = "array" if str(annotation).startswith("list") else PULUMI_TYPES.get(annotation, "string")
        assert spec["type"] == expected, key


def test_the_defaults_alone_make_a_valid_dev_config():
    raw = {key: harness._encode(spec["default"]) for key, spec in DECLARED.items()}
    loaded = config.load(raw, {"serviceKeyHash": "y", "posHmacSecret": "z"})
    assert loaded.settings.stage == "dev"


def test_every_problem_is_reported_at_once_each_naming_its_key():
    raw = {key: harness._encode(spec["default"]) for key, spec in DECLARED.items()}
    raw.update(
        stage="staging",
        monthlyBudgetUsd="-3",
        timeZone="Mars/Olympus",
        mailFrom="not-an-address",
        vendors='["solare | Solare | bad-email | Maria", "only | two"]',
        systems="[not json",
        typoKey="1",
    )
    with pytest.raises(config.ConfigError) as caught:
        config.load(raw, {})
    problems = "\n".join(caught.value.problems)
    for key in ("mainstreet:stage", "mainstreet:monthlyBudgetUsd", "mainstreet:timeZone", "mainstreet:mailFrom",
                "mainstreet:vendors[0].email", "mainstreet:vendors[1]", "mainstreet:systems", "mainstreet:typoKey"):
        assert key in problems, key
    assert len(caught.value.problems) >= 8


def test_prod_needs_an_alarm_address_and_custom_domains_need_their_zone():
    raw = {key: harness._encode(spec["default"]) for key, spec in DECLARED.items()}
    raw.update(stage="prod", opsDomain="ops.example.com")
    with pytest.raises(config.ConfigError) as caught:
        config.load(raw, {"serviceKeyHash": "y", "posHmacSecret": "z"})
    problems = "\n".join(caught.value.problems)
    assert "alarmEmail" in problems and "hostedZoneId" in problems


def test_the_program_refuses_to_start_on_bad_config():
    with pytest.raises(config.ConfigError, match="mainstreet:referralCampaign"):
        harness.run("dev", overrides={"referralCampaign": "has spaces"})


def test_vendor_lines_parse_into_vendors():
    vendor = config.Vendor.parse(" Solare | Solare | events@solare.example | Team ")
    assert (vendor.code, vendor.name, vendor.email, vendor.contact) == ("solare", "Solare", "events@solare.example", "Team")


@pytest.mark.parametrize("time_zone, country, expected", [
    ("America/Los_Angeles", "", "US"),
    ("Europe/London", "", "GB"),
    ("Asia/Singapore", "", "SG"),
    ("UTC", "NZ", "NZ"),
])
def test_the_country_is_named_or_comes_from_the_time_zone(time_zone, country, expected):
    raw = {key: harness._encode(spec["default"]) for key, spec in DECLARED.items()}
    raw.update(timeZone=time_zone, country=country)
    loaded = config.load(raw, {"serviceKeyHash": "y", "posHmacSecret": "z"})
    assert loaded.settings.country == expected


@pytest.mark.parametrize("time_zone, country", [("UTC", ""), ("America/Los_Angeles", "XX"), ("America/Los_Angeles", "us")])
def test_a_country_that_cannot_be_known_or_does_not_exist_is_a_problem_naming_the_key(time_zone, country):
    raw = {key: harness._encode(spec["default"]) for key, spec in DECLARED.items()}
    raw.update(timeZone=time_zone, country=country)
    with pytest.raises(config.ConfigError) as caught:
        config.load(raw, {"serviceKeyHash": "y", "posHmacSecret": "z"})
    assert "country" in "\n".join(caught.value.problems)


def defaults(**changes) -> dict[str, str]:
    raw = {key: harness._encode(spec["default"]) for key, spec in DECLARED.items()}
    raw.update({key: harness._encode(value) for key, value in changes.items()})
    return raw


SECRETS = {"serviceKeyHash": "y", "posHmacSecret": "z"}


@pytest.mark.parametrize("zone_id", ["Z0123456789EXAMPLE", "ZXXXXXXXX", "REPLACE_WITH_YOUR_ROUTE53_ZONE_ID", "Z000000000000",
                                     "<zone id>", "your-zone-id"])
def test_a_placeholder_hosted_zone_id_is_a_problem_naming_the_key_and_where_the_id_is(zone_id):
    with pytest.raises(config.ConfigError) as caught:
        config.load(defaults(hostedZoneId=zone_id, opsDomain="ops.example.com"), SECRETS)
    (problem,) = [p for p in caught.value.problems if p.startswith("mainstreet:hostedZoneId:")]
    assert "placeholder" in problem and "list-hosted-zones-by-name" in problem


@pytest.mark.parametrize("zone_id, says", [("/hostedzone/Z2FDTNDATAQYW2", "without /hostedzone/"),
                                           ("z2fdtndataqyw2", "not a Route 53 hosted zone id")])
def test_a_zone_id_of_the_wrong_shape_is_a_problem_naming_the_key(zone_id, says):
    with pytest.raises(config.ConfigError) as caught:
        config.load(defaults(hostedZoneId=zone_id), SECRETS)
    assert any(p.startswith("mainstreet:hostedZoneId:") and says in p for p in caught.value.problems)


@pytest.mark.parametrize("zone_id", ["Z2FDTNDATAQYW2", "Z06284913HARNESS7QK4W", "Z1D633PJN98FT9"])
def test_real_looking_zone_ids_are_accepted(zone_id):
    assert config.load(defaults(hostedZoneId=zone_id, opsDomain="ops.example.com"), SECRETS).settings.hosted_zone_id == zone_id


@pytest.mark.parametrize("destination", ["https://example.com/", "https://www.example.com/menu"])
def test_a_site_domain_that_serves_the_business_own_site_is_refused_with_a_subdomain_suggested(destination):
    raw = defaults(hostedZoneId="Z2FDTNDATAQYW2", brandDomain="example.com", referralDestination=destination)
    with pytest.raises(config.ConfigError) as caught:
        config.load(raw, SECRETS)
    problems = "\n".join(caught.value.problems)
    assert "brandDomain: example.com already serves the business's own site" in problems
    assert "book.example.com" in problems and "takeOverDomains" in problems


def test_taking_over_the_business_site_domain_is_the_owners_explicit_choice():
    raw = defaults(hostedZoneId="Z2FDTNDATAQYW2", brandDomain="example.com", takeOverDomains=["example.com"])
    assert config.load(raw, SECRETS).settings.take_over_domains == ["example.com"]


@pytest.mark.parametrize("domains, says", [(["shop.example.com"], "'shop.example.com' is not one of this stack's site domains"),
                                           (["Ops.Example.com"], "is not a lower-case domain name")])
def test_take_over_domains_names_only_this_stacks_site_domains(domains, says):
    raw = defaults(hostedZoneId="Z2FDTNDATAQYW2", opsDomain="ops.example.com", takeOverDomains=domains)
    with pytest.raises(config.ConfigError) as caught:
        config.load(raw, SECRETS)
    assert says in "\n".join(caught.value.problems)


def test_mail_mode_follows_the_stage_and_sandbox_mail_always_has_a_redirect():
    loaded = config.load(defaults(), SECRETS).settings
    assert loaded.mail_mode == "sandbox" and loaded.mail_sandbox() == ("ops@example.com", ())
    named = config.load(defaults(mailSandboxRedirect="Me@Home.test", mailSandboxRecipients=["Ops@Shop.test", "@crew.test"]),
                        SECRETS).settings
    assert named.mail_sandbox() == ("me@home.test", ("ops@shop.test", "crew.test"))


@pytest.mark.parametrize("changes, key, says", [
    ({"mailSandboxRedirect": "not-an-address"}, "mainstreet:mailSandboxRedirect", "not an e-mail address"),
    ({"mailSandboxRecipients": ["a b"]}, "mainstreet:mailSandboxRecipients", "neither an e-mail address nor a domain"),
    ({"mailMode": "smtp"}, "mainstreet:mailMode", "'domain' or 'sandbox'"),
    ({"mailMode": "domain"}, "mailFrom", "reserved example domain SES can never verify"),
    ({"mailMode": "domain", "mailFrom": "hello@shop.com", "mailSandboxRedirect": "me@shop.com"},
     "mailSandboxRedirect, mailSandboxRecipients", "mailMode is domain"),
])
def test_mail_that_could_never_go_out_is_a_problem_naming_the_key(changes, key, says):
    with pytest.raises(config.ConfigError) as caught:
        config.load(defaults(**changes), SECRETS)
    assert any(p.startswith(key) and says in p for p in caught.value.problems), caught.value.problems


def test_prod_mails_in_domain_mode_by_default():
    loaded = config.load(defaults(stage="prod", alarmEmail="a@shop.com", mailFrom="hello@shop.com"), SECRETS).settings
    assert loaded.mail_mode == "domain" and loaded.mail_sandbox() is None


def test_a_stack_still_holding_the_retired_passcode_is_told_how_to_move():
    raw = dict(harness.merged_config("dev", secrets={})[0])
    raw = {key.partition(":")[2]: value for key, value in raw.items() if key.startswith("mainstreet:")}
    raw["staffPasscodeHash"] = "scrypt$16384$8$1$c2FsdA$ZGlnZXN0"
    with pytest.raises(config.ConfigError) as caught:
        config.load(raw, {"serviceKeyHash": "y", "posHmacSecret": "z"})
    [problem] = caught.value.problems
    assert problem.startswith("mainstreet:staffPasscodeHash: the shared staff passcode is gone")
    assert "pulumi config rm mainstreet:staffPasscodeHash" in problem and "ops staff add --role owner" in problem
