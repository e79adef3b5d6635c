"""The charter booking as the marketplace sends it, and the views built from it.

Guests and crew see views made field by field from explicit models: revenue, fees and the
booking's notes (where money tends to be written) are never copied into them, so no change to
the booking record can leak them there.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Literal, Optional

from pydantic import BaseModel, Field, field_validator

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _email(value: str) -> str:
    value = value.strip()
    if not EMAIL.match(value):
        raise ValueError("not an e-mail address")
    return value.lower()


class CrewMember(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    email: str
    role: str = Field(min_length=1, max_length=40)

    _email = field_validator("email")(_email)


class CharterBooking(BaseModel):
    """POST /api/bookings on the ops site (service key)."""

    source: str = Field(min_length=1, max_length=40, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    external_id: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:-]+$")
    date: date
    start_time: time
    duration_hours: float = Field(gt=0, le=24)
    guest_name: str = Field(min_length=1, max_length=120)
    guest_email: str
    guest_count: int = Field(ge=1, le=150)
    gross_revenue: Decimal = Field(ge=0, max_digits=10, decimal_places=2)
    captain_fee: Optional[Decimal] = Field(None, ge=0, max_digits=10, decimal_places=2)
    meeting_point: Optional[str] = Field(None, max_length=300)
    notes: Optional[str] = Field(None, max_length=4000)
    crew: list[CrewMember] = Field(min_length=1, max_length=20)

    _guest_email = field_validator("guest_email")(_email)

    @property
    def ends_at(self) -> datetime:
        return datetime.combine(self.date, self.start_time) + timedelta(hours=self.duration_hours)


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
    acknowledged: Literal[True] = True


class ChecklistTick(BaseModel):
    item: str = Field(min_length=1, max_length=200)
    done: bool
