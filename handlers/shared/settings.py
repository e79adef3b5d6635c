"""A handler's settings: the environment its links provide, checked once at cold start.

A field names what the function links (`table("referral-stats")`, `secret("origin-verify")`),
never a variable: `env_name` below is the one rule by which both the program's links
(components/blocks/links.py) and these fields name the variable. A function whose links do not
provide a field fails at import with a message naming the missing link. Deliberately
tiny: every handler loads these at cold start, where pydantic (or even `dataclasses`, which
imports `inspect`) would spend a noticeable share of the budget (see `make bench`).
"""

from __future__ import annotations

from typing import Any, Mapping, TypeVar

T = TypeVar("T", bound="Settings")
_REQUIRED = object()


def env_name(*parts: str) -> str:
    """`("referral-stats", "table")` → `REFERRAL_STATS_TABLE`."""
    return "_".join("".join(c if c.isalnum() else "_" for c in part).upper() for part in parts)


class Link:
    """Declares a setting: the variable it comes from and the link that provides it."""

    def __init__(self, env: str, what: str, default: Any = _REQUIRED):
        self.env, self.what, self.default = env, what, default


def _linked(name: str, kind: str, what: str, default: Any = _REQUIRED) -> Any:
    return Link(env_name(name, kind), what, default)


# One declaration per kind of link, mirroring the grants the program's blocks offer.
def table(name: str) -> Any:
    return _linked(name, "table", f"the {name} table")


def secret(name: str, default: Any = _REQUIRED) -> Any:
    return _linked(name, "secret", f"the {name} secret", default)


def bucket(name: str) -> Any:
    return _linked(name, "bucket", f"the {name} bucket")


def setting(name: str) -> Any:
    return _linked(name, "setting", f"the {name} setting")


def site_url(site: str) -> Any:
    return _linked(f"{site} site url", "parameter", f"the address of the {site} site")


def distribution(site: str) -> Any:
    return _linked(f"{site} site", "distribution", f"the {site} site's distribution")


def parameters(name: str) -> Any:
    return _linked(name, "parameters", f"the {name} in Parameter Store")


def function(name: str) -> Any:
    return _linked(name, "function", f"the {name} function")


def bus(name: str = "default") -> Any:
    return _linked(name, "bus", f"the {name} event bus")


def schedules(name: str) -> Any:
    return _linked(name, "schedules", f"the {name} schedules")


def user_pool(name: str) -> Any:
    return _linked(name, "user pool", f"the {name} user pool")


def user_pool_client(name: str) -> Any:
    return _linked(name, "user pool client", f"the {name} user pool")


def role(name: str) -> Any:
    return _linked(name, "role", f"the {name} role")


class MissingLink(RuntimeError):
    pass


class Settings:
    """Subclass with class attributes made by `table(...)`, `secret(...)`…; `load()` reads them from the env."""

    def __init__(self, **values: Any):
        self.__dict__.update(values)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("settings are read-only; use replace()")

    @classmethod
    def fields(cls) -> dict[str, Link]:
        found: dict[str, Link] = {}
        for klass in reversed(cls.__mro__):
            found.update({name: value for name, value in vars(klass).items() if isinstance(value, Link)})
        return found

    @classmethod
    def load(cls: type[T], environ: Mapping[str, str] | None = None) -> T:
        import os

        env = os.environ if environ is None else environ
        values, missing = {}, []
        for name, field in cls.fields().items():
            if field.env in env:
                values[name] = env[field.env]
            elif field.default is _REQUIRED:
                missing.append(f"{field.env} is not set: link {field.what}")
            else:
                values[name] = field.default
        if missing:
            raise MissingLink(f"{cls.__name__}: " + "; ".join(missing))
        return cls(**values)

    @classmethod
    def env_names(cls) -> set[str]:
        return {field.env for field in cls.fields().values()}

    @classmethod
    def required_env(cls) -> set[str]:
        """Variables this handler cannot start without (used by the infra tests)."""
        return {field.env for field in cls.fields().values() if field.default is _REQUIRED}

    def replace(self: T, **changes: Any) -> T:
        return type(self)(**{**self.__dict__, **changes})


# Shapes several handlers share, defined once.
class HttpSettings(Settings):
    """Every Function URL handler: only CloudFront, which adds the origin-verify header, may call;
    phone numbers are read in the shop's country (handlers.shared.fields)."""

    origin_verify_secret = secret("origin-verify")
    country = setting("country")


class StaffSettings(HttpSettings):
    """Staff endpoints: the session cookie is signed with the session key and names a session
    row, read once per request (handlers.shared.auth)."""

    session_key_secret = secret("session-key")
    staff_sessions_table = table("staff-sessions")


class MailSandboxSettings(Settings):
    """The mailer in sandbox mode (config mailMode): recipients outside the allow-list (comma-separated
    addresses and domains) get their mail at the redirect address instead. Unset in domain mode."""

    mail_sandbox_redirect = _linked("mail", "sandbox redirect", "the mailer", default="")
    mail_sandbox_recipients = _linked("mail", "sandbox recipients", "the mailer", default="")


class MailSettings(MailSandboxSettings):
    """Handlers that send mail through the platform's mailer (handlers.shared.mail.send reads the
    sandbox fields itself, so every sender goes through the same redirect)."""

    mail_sender = _linked("mail", "sender", "the mailer")
    mail_configuration_set = _linked("mail", "configuration set", "the mailer")
