"""A handler's settings: the environment its links provide, checked once at cold start.

Each field names the variable a link sets (`REFERRAL_STATS_TABLE`), so a function whose links
do not provide a field fails at import with a message naming the missing link. Deliberately
tiny: every handler loads these at cold start, where pydantic (or even `dataclasses`, which
imports `inspect`) would spend a noticeable share of the budget (see `make bench`).
"""

from __future__ import annotations

from typing import Any, Mapping, TypeVar

T = TypeVar("T", bound="Settings")
_REQUIRED = object()


class Link:
    """Declares a setting: the variable it comes from and the link that provides it."""

    def __init__(self, env: str, what: str, default: Any = _REQUIRED):
        self.env, self.what, self.default = env, what, default


def link(env: str, what: str, default: Any = _REQUIRED) -> Any:
    return Link(env, what, default)


class MissingLink(RuntimeError):
    pass


class Settings:
    """Subclass with class attributes made by `link(...)`; `load()` reads them from the env."""

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
