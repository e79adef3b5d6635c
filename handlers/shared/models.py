"""Request models of the shared endpoints (imported by the routes that parse them)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class SignIn(BaseModel):
    passcode: str = Field(min_length=1, max_length=200, title="the staff passcode")
