"""Request models of the shared endpoints (imported by the routes that parse them)."""

from __future__ import annotations

from typing import Annotated, Optional

from pydantic import BaseModel, Field, StringConstraints

from handlers.shared.fields import Email

# Cognito takes passwords up to 256 characters; anything longer is not one of ours.
Password = Field(min_length=1, max_length=256, title="the password")


# Cognito takes usernames up to 128 characters.
StaffEmail = Annotated[Email, StringConstraints(max_length=128)]


class SignIn(BaseModel):
    email: StaffEmail = Field(title="the e-mail address")
    password: str = Password
    new_password: Optional[str] = Field(default=None, min_length=1, max_length=256, title="the new password")


class ResetStart(BaseModel):
    email: StaffEmail = Field(title="the e-mail address")


class ResetFinish(BaseModel):
    email: StaffEmail = Field(title="the e-mail address")
    code: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9:-]+$", title="the code from the mail")
    new_password: str = Field(min_length=1, max_length=256, title="the new password")


class Token(BaseModel):
    # What itsdangerous' URL-safe tokens are made of: anything else is not one of our links.
    token: str = Field(min_length=10, max_length=500, pattern=r"^[A-Za-z0-9_.-]+$", title="the link")
