"""A charter booking's fan-out, as plain functions: the calendar entry, the event with its crew,
the guest page, one magic-link mail per crew member and the ops manager's confirmation."""

from __future__ import annotations

import json
import secrets
from datetime import date, datetime, time, timedelta, timezone
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from handlers.charters import storage, tokens
from handlers.shared import ids
from handlers.shared.clock import utc_stamp

if TYPE_CHECKING:  # the models load in the routes that use them: pydantic costs a cold start dearly
    from handlers.charters.models import CharterBooking, CrewView, GuestView
    from handlers.shared import notify

GUEST_CODE_LENGTH = 9  # 30**9: 44 bits


def new_guest_code() -> str:
    return ids.code(GUEST_CODE_LENGTH)


def new_event_id() -> str:
    return "E" + secrets.token_hex(5)


def guest_object_key(code: str) -> str:
    """The one flat object edge/guest.js serves /g/{CODE} from (never a folder's index)."""
    return f"g/{code.lower()}.html"


def link_expiry(day: str, days_after: int, zone: str) -> int:
    """The end of the day `days_after` the charter, in the business's time zone."""
    last = date.fromisoformat(day) + timedelta(days=days_after + 1)
    return int(datetime.combine(last, time(0, 0), ZoneInfo(zone)).timestamp())


def subject_text(value: str, limit: int = 40) -> str:
    """Free text for a subject line: one line of printable characters (items written before the
    field types folded them may hold anything), shortened."""
    text = " ".join("".join(c if c.isprintable() else " " for c in str(value)).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def money(amount) -> str:
    """12.5, "12.50" and "1.25E+1" are all stored as "12.50"."""
    return f"{abs(amount):.2f}"  # amounts are never negative (the model says so): abs only turns -0 into 0


def _clock(value: str) -> str:
    return value[:5]


def end_time(event: dict) -> str:
    start = datetime.combine(date.fromisoformat(event["date"]), time.fromisoformat(event["start_time"]))
    return (start + timedelta(hours=float(event["duration_hours"]))).strftime("%H:%M")


def guest_view(event: dict, business: str, what_to_bring: list[str]) -> "GuestView":
    from handlers.charters.models import GuestView

    return GuestView(
        business=business,
        guest_first_name=event["guest_name"].split()[0],
        date=event["date"],
        start_time=_clock(event["start_time"]),
        end_time=end_time(event),
        guest_count=int(event["guest_count"]),
        meeting_point=event["meeting_point"],
        what_to_bring=what_to_bring,
    )


def crew_view(event: dict, me: dict, crew: list[dict], checklist: list[str], expires_at: int) -> "CrewView":
    from handlers.charters.models import ChecklistItem, CrewmateView, CrewView

    ticked = me.get("checklist") or {}
    return CrewView(
        event_id=event["event_id"],
        date=event["date"],
        start_time=_clock(event["start_time"]),
        end_time=end_time(event),
        guest_count=int(event["guest_count"]),
        meeting_point=event["meeting_point"],
        name=me["name"],
        role=me["role"],
        acknowledged_at=me.get("acknowledged_at"),
        crew=[CrewmateView(name=m["name"], role=m["role"]) for m in crew],
        checklist=[ChecklistItem(item=item, done=bool(ticked.get(item))) for item in checklist],
        link_expires_at=datetime.fromtimestamp(expires_at, timezone.utc).isoformat(timespec="minutes"),
    )


def records(request: "CharterBooking", event_id: str, guest_code: str, meeting_point: str, answer: dict) -> tuple:
    """The BOOKING, EVENT, CREW and calendar items of a new booking."""
    created = utc_stamp()
    event = {
        "pk": f"EVENT#{event_id}", "sk": "EVENT", "event_id": event_id, "guest_code": guest_code,
        "source": request.source, "external_id": request.external_id, "created_at": created,
        "date": request.date.isoformat(), "start_time": request.start_time.isoformat(timespec="minutes"),
        "duration_hours": str(request.duration_hours), "guest_name": request.guest_name,
        "guest_email": request.guest_email, "guest_count": request.guest_count,
        "gross_revenue": money(request.gross_revenue),
        "captain_fee": money(request.captain_fee) if request.captain_fee is not None else None,
        "meeting_point": request.meeting_point or meeting_point, "notes": request.notes,
    }
    crew = [
        {"pk": f"EVENT#{event_id}", "sk": f"CREW#c{i + 1}", "crew_id": f"c{i + 1}", "name": m.name, "email": m.email,
         "phone": m.phone, "role": m.role, "link_version": 1, "checklist": {}}
        for i, m in enumerate(request.crew)
    ]
    booking = {"pk": f"BOOKING#{request.source}#{request.external_id}", "sk": "BOOKING", "event_id": event_id,
               "answer": storage.encode_response(answer), "created_at": created}
    start = f"{event['date']}T{event['start_time']}"
    calendar = {"pk": f"CAL#{event['date'][:7]}", "sk": f"{start}#{event_id}", "event_id": event_id, "date": event["date"],
                "start_time": event["start_time"], "end_time": end_time(event), "guest_count": request.guest_count,
                "title": f"Charter: {request.guest_name} ({request.guest_count} guests, {request.source})"}
    return booking, event, crew, calendar


def crew_link(key: str, event: dict, member: dict, days_after: int, zone: str, ops_base_url: str) -> tuple[str, int]:
    expires = link_expiry(event["date"], days_after, zone)
    token = tokens.sign(key, tokens.CrewLink(event["event_id"], member["crew_id"], int(member["link_version"]), expires))
    # The token rides in the fragment: browsers never send it to a server or its logs.
    return f"{ops_base_url}/crew/#t={token}", expires


def mail_crew(settings, key: str, event: dict, member: dict, ops_base_url: str) -> "notify.Outcome":
    """Mail this crew member the link of their current version, once per version (notify's message
    row, keyed by event, member and link version: a reissued link is a new mail, a retry is not).

    A revoke landing between the caller's read of the assignment and this send still mails the
    link just revoked; it opens a page saying it was replaced, and the reissue mails the new one."""
    from handlers.shared import notify  # the crew's own pages never mail: they do not load it

    url, expires = crew_link(key, event, member, int(settings.crew_link_days), settings.time_zone, ops_base_url)
    data = {"event": event, "member": member, "url": url, "end_time": end_time(event),
            "expires": datetime.fromtimestamp(expires, ZoneInfo(settings.time_zone)).strftime("%Y-%m-%d %H:%M")}
    # Crew give no consent to texts on a marketplace booking: mail only.
    return notify.notify(key=f"{event['event_id']}:{member['crew_id']}:v{int(member['link_version'])}",
                         to=notify.Recipient(email=member["email"]), kind=notify.TRANSACTIONAL, system="charters",
                         template="crew", data=data)


def json_list(raw: str) -> list[str]:
    return [str(item) for item in json.loads(raw)]
