"""Request and record models of the referrals API (imported by the routes that use them)."""

from __future__ import annotations

import re
from typing import Any, Optional

from pydantic import BaseModel, Field, field_validator
from pydantic_core import PydanticCustomError

from handlers.shared.fields import Line, Text

MAX_VENDORS = 100  # far more than a business has partners; bounds the work one request asks for
# A vendor code as the stack config allows it (components/stack/config.py).
VENDOR_CODE = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")


class NewBatch(BaseModel):
    vendor_codes: Optional[list[str]] = Field(
        None, title="the vendors to write to", description="Codes of the vendors to write to; all vendors when omitted"
    )
    subject: Line(150, min_length=3) = Field("Your referral link", title="the subject")
    note: Text(2000) = Field("", title="the note", description="A personal paragraph added to every mail")

    @field_validator("vendor_codes", mode="before")
    @classmethod
    def _vendor_codes(cls, value: Any) -> Any:
        """Codes as the page sends them (checked against the vendors we have by the route)."""
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(code, str) for code in value):
            raise PydanticCustomError("vendor_codes", "Please choose the vendors from the list.")
        if not value:
            raise PydanticCustomError("vendor_codes", "Please choose at least one vendor to write to.")
        if len(value) > MAX_VENDORS:
            raise PydanticCustomError("vendor_codes", f"Please choose at most {MAX_VENDORS} vendors at a time.")
        codes = [code.strip().lower() for code in value]
        if not all(VENDOR_CODE.fullmatch(code) for code in codes):
            raise PydanticCustomError("vendor_codes", "Please choose the vendors from the list: one of these is not a vendor code.")
        return list(dict.fromkeys(codes))


class RenderedMail(BaseModel):
    code: str
    to: str
    vendor_name: str
    subject: str
    html: str  # as reviewed (the unsubscribe link is each sent mail's own)
    text: str
    data: str  # JSON: what the template is given again when the approved mail is sent
