"""The stack's configuration as one typed model, validated before any resource is declared.

`Pulumi.yaml` declares every key (type, description, default); this model is what the program
trusts. Every problem is reported at once, each naming its key, so a bad stack file costs one run.
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal, Optional
from urllib.parse import urlsplit

import pulumi
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic.alias_generators import to_camel

from components.stack.secrets import KEYS as SECRET_KEYS, SECRETS

PROJECT = "mainstreet"
SYSTEMS = ("referrals", "charters", "dispatch", "loyalty")
SITES = ("brand", "ops", "dispatch", "loyalty")

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
DOMAIN = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))+$")
# A Route 53 hosted zone id as the console and `aws route53 list-hosted-zones` show it (API limit: 32).
ZONE_ID = re.compile(r"^[A-Z0-9]{1,32}$")
# What stack files use for "fill this in": words, runs of X or 0, a counting sequence. A real zone id
# is random letters and digits, so none of these occur in one by chance.
PLACEHOLDER = re.compile(r"EXAMPLE|REPLACE|PLACEHOLDER|CHANGE|YOUR|TODO|FIXME|XXX|0000|123456|<|>")
# A Lambda layer *version* ARN: Lambda attaches only a version, so the number at the end is required.
LAYER_VERSION_ARN = re.compile(
    r"^arn:aws[a-z-]*:lambda:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):layer:(?P<name>[A-Za-z0-9_-]{1,140}):(?P<version>\d+)$"
)


def _email(value: str) -> str:
    if not EMAIL.match(value):
        raise ValueError(f"{value!r} is not an e-mail address")
    return value


def _domain_name(value: str) -> str:
    if value and not DOMAIN.match(value):
        raise ValueError(f"{value!r} is not a lower-case domain name")
    return value


# Domains no mail ever reaches (RFC 2606, RFC 6761): SES can never verify an identity there.
RESERVED_MAIL_DOMAIN = re.compile(r"(^|\.)(example|test|invalid|localhost)$|(^|\.)example\.(com|net|org)$")


def reserved_mail_domain(address_or_domain: str) -> bool:
    return bool(RESERVED_MAIL_DOMAIN.search(address_or_domain.rpartition("@")[2].lower()))


def placeholder(value: str) -> bool:
    """A value a stack file carries only to be replaced (`Z0123456789EXAMPLE`, `REPLACE_ME`)."""
    return bool(value) and bool(PLACEHOLDER.search(value.upper()))


def zone_countries(time_zone: str) -> list[str]:
    """The country tzdata's zone.tab gives `time_zone` (none for zones like UTC that no country owns)."""
    from importlib.resources import files

    for line in (files("tzdata") / "zoneinfo" / "zone.tab").read_text().splitlines():
        if line.startswith("#"):
            continue
        codes, _, zone, *_ = line.split("\t")
        if zone == time_zone:
            return codes.split(",")
    return []


class Vendor(BaseModel):
    """A referral partner, written in the stack file as `code | Name | email | contact name`."""

    code: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,39}$")
    name: str = Field(min_length=1)
    email: str
    contact: str = Field(min_length=1)

    _email = field_validator("email")(_email)

    @model_validator(mode="before")
    @classmethod
    def _from_line(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        parts = [part.strip() for part in value.split("|")]
        if len(parts) != 4:
            raise ValueError(f"{value!r} needs four parts: code | Name | email | contact name")
        return {"code": parts[0].lower(), "name": parts[1], "email": parts[2], "contact": parts[3]}

    @classmethod
    def parse(cls, line: str) -> "Vendor":
        return cls.model_validate(line)


class StackConfig(BaseModel):
    """Every knob of `Pulumi.yaml`, typed. Field names are the keys in snake_case."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    stage: Literal["dev", "prod"]
    systems: list[Literal["referrals", "charters", "dispatch", "loyalty"]]
    business_name: str = Field(min_length=1)
    time_zone: str
    country: str = Field(pattern=r"^([A-Z]{2})?$")
    mail_from: str
    mail_mode: Literal["", "domain", "sandbox"]
    mail_sandbox_redirect: str
    mail_sandbox_recipients: list[str]
    ops_email: str
    alarm_email: str
    monthly_budget_usd: int = Field(gt=0)
    powertools_version: str = Field(pattern=r"^(latest|\d+\.\d+\.\d+)$")
    powertools_layer_arn: str
    hosted_zone_id: str
    take_over_domains: list[str]
    brand_domain: str
    ops_domain: str
    dispatch_domain: str
    loyalty_domain: str
    referral_destination: str = Field(pattern=r"^https?://[^\s]+$")
    referral_campaign: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    vendors: list[Vendor]
    meeting_point_default: str = Field(min_length=3, max_length=300)
    crew_checklist: list[str] = Field(min_length=1)
    what_to_bring: list[str]
    booking_horizon_days: int = Field(ge=1, le=730)
    crew_link_days_after: int = Field(ge=0, le=30)
    quiet_hours: str = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$")
    loyalty_lapsing_weeks: int = Field(ge=1, le=52)
    loyalty_max_nudges: int = Field(ge=0, le=10)
    loyalty_regular_threshold: int = Field(ge=1, le=100)
    owner_email: str
    # The name each system speaks with (page headers, mail From and signature, text prefix); empty: businessName.
    charters_name: str = Field(max_length=60)
    dispatch_name: str = Field(max_length=60)
    loyalty_name: str = Field(max_length=60)
    referrals_name: str = Field(max_length=60)
    sms_origination: str = Field(pattern=r"^(|\+[1-9]\d{6,14}|[A-Za-z0-9-]{1,11})$")
    sms_monthly_limit_usd: int = Field(ge=0, le=100000)
    staff_password_length: int = Field(ge=8, le=64)
    staff_threat_protection: Literal["OFF", "AUDIT", "ENFORCED"]
    bedrock_enabled: bool
    drive_rules_doc_id: str
    drive_voice_doc_id: str

    _mail_from = field_validator("mail_from", "ops_email", "owner_email")(_email)

    @field_validator("time_zone")
    @classmethod
    def _time_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone such as America/Los_Angeles") from None
        return value

    @model_validator(mode="after")
    def _country(self) -> "StackConfig":
        """Phone numbers are read in the shop's country: named, or the one its time zone belongs to."""
        import phonenumbers

        if not self.country:
            countries = zone_countries(self.time_zone)
            if len(countries) != 1:
                used_by = f" (used by {', '.join(countries)})" if countries else ""
                raise ValueError(f"country: timeZone {self.time_zone} does not belong to one country{used_by}; "
                                 "set mainstreet:country to a two-letter code such as US")
            self.country = countries[0]
        if self.country not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(f"country: {self.country!r} is not a country code phone numbers know, such as US or GB")
        return self

    @field_validator("mail_sandbox_redirect")
    @classmethod
    def _mail_sandbox_redirect(cls, value: str) -> str:
        return _email(value).lower() if value else value

    @field_validator("mail_sandbox_recipients")
    @classmethod
    def _mail_sandbox_recipients(cls, value: list[str]) -> list[str]:
        """Verified addresses, or domains verified in this account (SES then accepts any address there)."""
        entries = []
        for entry in value:
            entry = entry.strip().lower().removeprefix("@")
            if not (EMAIL.match(entry) or DOMAIN.match(entry)):
                raise ValueError(f"{entry!r} is neither an e-mail address nor a domain")
            entries.append(entry)
        return entries

    @model_validator(mode="after")
    def _mail(self) -> "StackConfig":
        """Empty mailMode follows the stage: a dev stack cannot verify a domain it does not own."""
        if not self.mail_mode:
            self.mail_mode = "sandbox" if self.stage == "dev" else "domain"
        if self.mail_mode == "sandbox" and not self.mail_sandbox_redirect:
            # Sandbox mode always has somewhere to send: the ops address, unless another is named.
            self.mail_sandbox_redirect = self.ops_email.lower()
        return self

    def mail_sandbox(self) -> tuple[str, tuple[str, ...]] | None:
        """(redirect, allow-list) in sandbox mode, None in domain mode."""
        if self.mail_mode != "sandbox":
            return None
        return self.mail_sandbox_redirect, tuple(dict.fromkeys(self.mail_sandbox_recipients))

    @field_validator("alarm_email")
    @classmethod
    def _alarm_email(cls, value: str) -> str:
        return _email(value) if value else value

    @field_validator("brand_domain", "ops_domain", "dispatch_domain", "loyalty_domain")
    @classmethod
    def _domain(cls, value: str) -> str:
        return _domain_name(value)

    @field_validator("take_over_domains")
    @classmethod
    def _take_over_domains(cls, value: list[str]) -> list[str]:
        return [_domain_name(domain) for domain in value]

    @field_validator("hosted_zone_id")
    @classmethod
    def _hosted_zone_id(cls, value: str) -> str:
        if placeholder(value):
            raise ValueError(f"{value!r} is a placeholder: set the id of the Route 53 hosted zone that holds the site "
                             "domains (`aws route53 list-hosted-zones-by-name --dns-name <your domain>` shows it), "
                             "or set it and every site domain to \"\" to use CloudFront's addresses")
        if value.startswith("/hostedzone/"):
            raise ValueError(f"{value!r}: give the zone id alone, without /hostedzone/")
        if value and not ZONE_ID.match(value):
            raise ValueError(f"{value!r} is not a Route 53 hosted zone id (capital letters and digits, such as Z04418372MQ1VX8ZJ5KQ3)")
        return value

    @field_validator("powertools_layer_arn")
    @classmethod
    def _powertools_layer_arn(cls, value: str) -> str:
        if value and not LAYER_VERSION_ARN.match(value):
            raise ValueError(f"{value!r} is not a layer version ARN such as arn:aws:lambda:us-west-2:017000801446:layer:"
                             "AWSLambdaPowertoolsPythonV3-python313-arm64:<N> (the version number at the end is required); "
                             "empty looks the layer up from powertoolsVersion")
        return value

    @field_validator("systems")
    @classmethod
    def _unique_systems(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("a system is listed twice")
        return value

    @model_validator(mode="after")
    def _cross_checks(self) -> "StackConfig":
        problems = []
        if self.stage == "prod" and not self.alarm_email:
            problems.append("alarmEmail: prod needs an address for budget and error alarms")
        if any(self.domain(site) for site in SITES) and not self.hosted_zone_id:
            problems.append("hostedZoneId: custom domains need the Route 53 zone that holds them")
        problems += self._domain_ownership()
        problems += self._mail_problems()
        if self.sms_origination and not self.sms_monthly_limit_usd:
            problems.append("smsMonthlyLimitUsd: texts are on (smsOrigination), so give the most they may cost a month in US "
                            "dollars; AWS stops sending texts there (its default cap for a new account is 1)")
        codes = [vendor.code for vendor in self.vendors]
        if len(set(codes)) != len(codes):
            problems.append("vendors: two vendors share a code")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def _mail_problems(self) -> list[str]:
        """Mail that could never go out is refused here, not found at the first customer."""
        problems = []
        if self.mail_mode == "domain":
            if reserved_mail_domain(self.mail_from):
                problems.append(f"mailFrom: {self.mail_from} is at a reserved example domain SES can never verify; in "
                                "domain mode mailFrom's domain must be one you own (its DKIM records go in hostedZoneId, "
                                "or into your DNS by hand), or set mailMode to sandbox")
            if self.mail_sandbox_redirect or self.mail_sandbox_recipients:
                problems.append("mailSandboxRedirect, mailSandboxRecipients: set, but mailMode is domain, which mails "
                                "every recipient as addressed; set mailMode to sandbox or remove them")
        return problems

    def _domain_ownership(self) -> list[str]:
        """Mainstreet creates A/AAAA records for each site domain and never replaces one it did not create,
        unless the domain is in takeOverDomains; a domain that already serves the business's own site
        (the referral destination) would be taken from it, so it is refused here rather than at `pulumi up`."""
        problems = []
        domains = {site: self.domain(site) for site in SITES if self.domain(site)}
        for extra in sorted(set(self.take_over_domains) - set(domains.values())):
            problems.append(f"takeOverDomains: {extra!r} is not one of this stack's site domains "
                            f"({', '.join(f'{s}Domain' for s in SITES)})")
        own_site = (urlsplit(self.referral_destination).hostname or "").lower()
        for site, domain in domains.items():
            # An apex whose site lives at www still answers on the apex (usually a redirect to www).
            if own_site in (domain, f"www.{domain}") and domain not in self.take_over_domains:
                suggestion = f"book.{domain}" if site == "brand" else f"{site}.{domain}"
                problems.append(f"{site}Domain: {domain} already serves the business's own site (referralDestination "
                                f"sends visitors to {own_site}); Mainstreet's records would replace it. Give the {site} site a "
                                f"subdomain such as {suggestion}, or list {domain} in takeOverDomains if Mainstreet's "
                                "site is meant to replace that one")
        return problems

    def domain(self, site: str) -> str:
        return getattr(self, f"{site}_domain")

    def enabled(self, system: str) -> bool:
        return system in self.systems

    def names(self) -> dict[str, str]:
        """The name each system speaks with; the business's own mail to its staff uses the business's."""
        return {**{system: getattr(self, f"{system}_name") or self.business_name
                   for system in ("charters", "dispatch", "loyalty", "referrals")}, "staff": self.business_name}


# Keys earlier versions used, and what replaced them: a stack still setting one is told how to move.
RETIRED = {
    "loyaltyQuietHours": "renamed quietHours: quiet hours now hold back every system's marketing, mail and texts. "
                         "Set mainstreet:quietHours to the same value and remove mainstreet:loyaltyQuietHours",
    "staffPasscodeHash": "the shared staff passcode is gone: every staff member has an account now. Remove it "
                         "(`pulumi config rm mainstreet:staffPasscodeHash`), run `pulumi up`, then create the owner's "
                         "account with `python -m ops staff add --role owner` (README: Staff accounts)",
}


class ConfigError(Exception):
    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("stack configuration is invalid:\n" + "\n".join(f"  - {p}" for p in problems))


def _decode(key: str, raw: str, annotation: Any) -> Any:
    """Pulumi hands every value over as a string; arrays and numbers arrive JSON-encoded."""
    text = raw.strip()
    if annotation is bool:
        if text.lower() not in ("true", "false"):
            raise ValueError("use true or false")
        return text.lower() == "true"
    if annotation is int or str(annotation).startswith("list"):
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"not valid JSON ({exc.msg})") from None
    return raw


def _key_path(loc: tuple) -> str:
    head, *rest = loc
    field = StackConfig.model_fields.get(head)
    key = field.alias if field and field.alias else str(head)
    out = f"{PROJECT}:{key}"
    for part in rest:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


class Loaded(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)
    settings: StackConfig
    secrets: dict[str, Any]


def load(raw: dict[str, Optional[str]], secrets: dict[str, Optional[Any]]) -> Loaded:
    """Validate raw config strings (key → value, `None` when unset) and the secret outputs."""
    problems: list[str] = []
    values: dict[str, Any] = {}
    for name, field in StackConfig.model_fields.items():
        key = field.alias or name
        value = raw.get(key)
        if value is None:
            problems.append(f"{PROJECT}:{key}: missing (Pulumi.yaml declares its default)")
            continue
        try:
            values[key] = _decode(key, value, field.annotation)
        except ValueError as exc:
            problems.append(f"{PROJECT}:{key}: {exc}")
    unknown = sorted(set(raw) - {f.alias or n for n, f in StackConfig.model_fields.items()})
    problems += [f"{PROJECT}:{key}: {RETIRED.get(key, 'not a setting of this program')}" for key in unknown]
    settings = None
    try:
        settings = StackConfig.model_validate({k: v for k, v in values.items()})
    except ValidationError as exc:
        for error in exc.errors():
            if error["loc"]:
                problems.append(f"{_key_path(error['loc'])}: {error['msg']}")
            else:
                problems.append(error["msg"].removeprefix("Value error, "))
    for spec in SECRETS:
        if spec.needed(settings) and secrets.get(spec.key) is None:
            problem = spec.if_missing or f"missing secret; run `python -m ops secrets --stack {pulumi_stack()}`"
            problems.append(f"{PROJECT}:{spec.key}: {problem}")
    if problems or settings is None:
        raise ConfigError(problems)
    return Loaded(settings=settings, secrets={k: v for k, v in secrets.items() if v is not None})


def pulumi_stack() -> str:
    try:
        return pulumi.get_stack()
    except Exception:  # outside a Pulumi run (unit tests of this module)
        return "<stack>"


def from_pulumi() -> Loaded:
    """Read this stack's config through Pulumi and validate it."""
    config = pulumi.Config(PROJECT)
    names = [f.alias or n for n, f in StackConfig.model_fields.items()]
    raw = {key: config.get(key) for key in names}
    # Keys the stack sets that the model does not know are errors too (a typo is not a default).
    from pulumi.runtime import config as runtime_config

    for full_key in {*runtime_config.CONFIG.get(), *runtime_config.get_config_env()}:
        namespace, _, key = full_key.partition(":")
        if namespace == PROJECT and key not in raw and key not in SECRET_KEYS:
            raw[key] = config.get(key)
    secrets = {spec.key: config.get_secret(spec.key) for spec in SECRETS}
    return load(raw, secrets)
