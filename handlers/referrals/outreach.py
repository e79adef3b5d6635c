"""Vendor outreach: one mail per vendor rendered from the template, reviewed, then sent once."""

from __future__ import annotations

import secrets
from datetime import datetime, timezone

from pydantic import BaseModel, Field

from handlers.shared import mail


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


def new_batch_id(now: datetime) -> str:
    """Sortable by creation time, unguessable in its tail."""
    return now.strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(4)


def render_mails(request: NewBatch, vendors: list[dict], business: str, base_url: str) -> list[RenderedMail]:
    mails = []
    for vendor in vendors:
        context = {
            "business": business,
            "vendor": vendor,
            "note": request.note,
            "referral_link": f"{base_url}/ref/{vendor['code']}",
        }
        mails.append(
            RenderedMail(
                code=vendor["code"],
                to=vendor["email"],
                vendor_name=vendor["name"],
                subject=request.subject,
                html=mail.render("referrals", "outreach.html.j2", **context),
                text=mail.render("referrals", "outreach.txt.j2", **context),
            )
        )
    return mails


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
