"""A handler's settings: the environment its links provide, checked once at cold start.

Each field is aliased to the variable a link sets (`REFERRAL_STATS_TABLE`), so a function whose
links do not provide a field fails at import with a message naming the missing link.
"""

from __future__ import annotations

import os
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

T = TypeVar("T", bound="Settings")


def link(env: str, what: str):
    """A field filled from environment variable `env`, which the link to `what` provides."""
    return Field(alias=env, description=what)


class MissingLink(RuntimeError):
    pass


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    stage: str = Field("dev", alias="STAGE")

    @classmethod
    def load(cls: type[T], environ: dict[str, str] | None = None) -> T:
        env = os.environ if environ is None else environ
        try:
            return cls.model_validate(dict(env))
        except ValidationError as exc:
            lines = []
            for error in exc.errors():
                name = str(error["loc"][0])
                field = next((f for f in cls.model_fields.values() if f.alias == name), None)
                what = field.description if field and field.description else name
                lines.append(f"{name} is {'not set' if error['type'] == 'missing' else 'invalid'}: link {what}")
            raise MissingLink(f"{cls.__name__}: " + "; ".join(lines)) from None

    @classmethod
    def required_env(cls) -> set[str]:
        """Variables this handler cannot start without (used by the infra tests)."""
        return {f.alias for f in cls.model_fields.values() if f.is_required() and f.alias}
