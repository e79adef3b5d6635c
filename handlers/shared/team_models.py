"""Request models and path checks of the staff page (handlers/shared/team.py)."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from handlers.shared.auth import ROLES
from handlers.shared.errors import ApiError
from handlers.shared.fields import Email, Line

StaffName = Line(80)
Role = Literal[ROLES]  # handlers.shared.auth.ROLES, the one list
# Cognito usernames of this pool are UUIDs (the `sub`); session ids are token_urlsafe(24).
ACCOUNT_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{32}$")


class NewStaff(BaseModel):
    # A field the page does not send (a password, "enabled") is a mistake or a probe: refused, not ignored.
    model_config = ConfigDict(extra="forbid")

    email: Email = Field(title="the e-mail address")
    name: StaffName = Field(title="the name")
    roles: list[Role] = Field(min_length=1, max_length=5, title="the roles")


class Roles(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # At least one: an account that may do nothing is a disabled one, and disabling says so.
    roles: list[Role] = Field(min_length=1, max_length=5, title="the roles")


class StaffAddress(BaseModel):
    """An address alone: `python -m ops staff` finds the person by it, checked as NewStaff's is."""

    model_config = ConfigDict(extra="forbid")

    email: Email = Field(title="the e-mail address")


def account_id_problem(account_id: str) -> None:
    if not ACCOUNT_ID.fullmatch(account_id):
        raise ApiError(404, "not_found", "There is no such staff account.")


def session_id_problem(session_id: str) -> None:
    if not SESSION_ID.fullmatch(session_id):
        raise ApiError(404, "not_found", "There is no such session.")
