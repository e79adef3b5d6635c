"""The charter booking as the marketplace sends it, and the views built from it.

Request fields are the shared field types (handlers/shared/fields.py): names, roles and the
meeting point are one line of text (whitespace folded, control characters refused: nothing the
marketplace sends can break a mail header), e-mail addresses are checked for syntax, a crew
phone is read in the shop's country. Bodies are validated in strict JSON mode, so
`"guest_count": true` is refused, not read as 1. Whether the charter's date can be booked
(today up to the horizon, in the business's time zone) is the intake's check: it knows the zone.

Guests and crew see views made field by field from explicit models: revenue, fees and the
booking's notes (where money tends to be written) are never copied into them, so no change to
the booking record can leak them there.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Optional

from pydantic import BaseModel, BeforeValidator, Field, field_validator

from handlers.shared.fields import Email, Line, Phone, Text

Name = Line(100)
GuestName = Line(120)
Role = Line(40)
Place = Line(300, min_length=0)  # blank: the business's default meeting point
Notes = Text(4000)
ChecklistEntry = Line(200)


def _blank_is_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


OptionalPhone = Annotated[Optional[Phone], BeforeValidator(_blank_is_none)]  # "" from a form: no phone


class CrewMember(BaseModel):
    name: Name = Field(title="the crew member's name")
    email: Email = Field(title="the crew member's e-mail address")
    role: Role = Field(title="the crew member's role")
    phone: OptionalPhone = Field(None, title="the crew member's phone number")


class CharterBooking(BaseModel):
    """POST /api/bookings on the ops site (service key)."""

    source: str = Field(min_length=1, max_length=40, pattern=r"^[a-z0-9][a-z0-9_-]*$", title="the marketplace's name")
    external_id: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:-]+$", title="the marketplace's booking number")
    date: dt.date = Field(title="the charter's date")  # `dt.`: the field's name shadows the type
    start_time: dt.time = Field(title="the start time")
    duration_hours: float = Field(gt=0, le=24, title="the charter's length in hours")
    guest_name: GuestName = Field(title="the guest's name")
    guest_email: Email = Field(title="the guest's e-mail address")
    guest_count: int = Field(ge=1, le=150, title="the number of guests")
    gross_revenue: Decimal = Field(ge=0, max_digits=10, decimal_places=2, title="the booking's revenue")
    captain_fee: Optional[Decimal] = Field(None, ge=0, max_digits=10, decimal_places=2, title="the captain's fee")
    meeting_point: Optional[Place] = Field(None, title="the meeting point")
    notes: Optional[Notes] = Field(None, title="the notes")
    crew: list[CrewMember] = Field(min_length=1, max_length=20, title="the crew")


class GuestView(BaseModel):
    """All a guest page shows."""

    business: str
    guest_first_name: str
    date: str
    start_time: str
    end_time: str
    guest_count: int
    meeting_point: str
    what_to_bring: list[str]


class CrewmateView(BaseModel):
    name: str
    role: str


class ChecklistItem(BaseModel):
    item: str
    done: bool


class CrewView(BaseModel):
    """All a crew member's magic link shows."""

    event_id: str
    date: str
    start_time: str
    end_time: str
    guest_count: int
    meeting_point: str
    name: str
    role: str
    acknowledged_at: Optional[str]
    crew: list[CrewmateView]
    checklist: list[ChecklistItem]
    link_expires_at: str


class Acknowledge(BaseModel):
    """POST /api/crew/acknowledge: a yes, which stays (there is no "not on it" to send)."""

    acknowledged: bool = Field(True, title="your confirmation")

    @field_validator("acknowledged")
    @classmethod
    def _yes(cls, value: bool) -> bool:
        if not value:
            raise ValueError("Only a yes can be sent here: acknowledged must be true.")
        return value


class ChecklistTick(BaseModel):
    item: ChecklistEntry = Field(title="the checklist item")
    done: bool = Field(title="whether it is done")
