"""Vendor outreach: one mail per vendor rendered from the template, reviewed, then sent once.

Outreach is marketing (partners never asked for it): the notifier holds it during quiet hours,
adds the one-click unsubscribe, and drops it for an address that bounced, complained or
unsubscribed. Staff review the same template with the same data that is sent later.
"""

from __future__ import annotations

import json
import secrets
from datetime import datetime

from handlers.referrals.models import NewBatch, RenderedMail
from handlers.shared import notify

TEMPLATE = "outreach"


def new_batch_id(now: datetime) -> str:
    """Sortable by creation time, unguessable in its tail."""
    return now.strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(4)


def message_key(batch_id: str, code: str) -> str:
    """The notifier's key of one vendor's mail of one batch: the same on every approval."""
    return f"{batch_id}:{code}"


def render_mails(request: NewBatch, vendors: list[dict], base_url: str) -> list[RenderedMail]:
    sender = notify.sender_name("referrals")
    mails = []
    for vendor in vendors:
        data = {"subject": request.subject, "vendor": vendor, "note": request.note,
                "referral_link": f"{base_url}/ref/{vendor['code']}"}
        # The reviewer sees where the unsubscribe link leads; each mail sent gets its own.
        shown = notify.render("referrals", TEMPLATE, {**data, "sender": sender, "unsubscribe_url": f"{base_url}/unsubscribe/"})
        mails.append(RenderedMail(code=vendor["code"], to=vendor["email"], vendor_name=vendor["name"], subject=shown.subject,
                                  html=shown.html, text=shown.text, data=json.dumps(data)))
    return mails
