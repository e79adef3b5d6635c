"""Request and record models of the referrals API (imported by the routes that use them)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class NewBatch(BaseModel):
    vendor_codes: list[str] | None = Field(None, description="Vendors to write to; all when omitted")
    subject: str = Field("Your referral link", min_length=3, max_length=150)
    note: str = Field("", max_length=2000, description="A personal paragraph added to every mail")


class RenderedMail(BaseModel):
    code: str
    to: str
    vendor_name: str
    subject: str
    html: str
    text: str
