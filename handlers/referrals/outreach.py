"""Vendor outreach: one mail per vendor rendered from the template, reviewed, then sent once."""

from __future__ import annotations

import secrets
from datetime import datetime

from handlers.referrals.models import NewBatch, RenderedMail
from handlers.shared import mail


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
