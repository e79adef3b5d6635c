"""Request models and view models of dispatch (imported by the routes that use them).

The tracking view is its own model, built from the public copy of a job: a customer's name,
phone, address or price cannot reach it because they are not in it.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Literal, Optional

from pydantic import BaseModel, Field, field_validator

PHONE = re.compile(r"^\+?[0-9][0-9 ().-]{6,20}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
BOOKING_HORIZON_DAYS = 180


class Booking(BaseModel):
    """What a customer gives on /book/ (and what staff give for a job taken by phone)."""

    name: str = Field(min_length=1, max_length=100)
    phone: str
    email: Optional[str] = None
    address: str = Field(min_length=5, max_length=300)
    items: str = Field(min_length=2, max_length=1000, description="What is to be taken away")
    preferred_date: date
    window: Literal["morning", "afternoon", "evening", "any"] = "any"
    notes: str = Field("", max_length=1000)
    request_id: Optional[str] = Field(None, pattern=r"^[A-Za-z0-9_-]{8,64}$", description="Makes a resubmitted form idempotent")

    @field_validator("name", "address", "items", "notes")
    @classmethod
    def _trimmed(cls, value: str) -> str:
        return value.strip()

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str) -> str:
        value = value.strip()
        if not PHONE.match(value):
            raise ValueError("enter a phone number with its area code")
        return value

    @field_validator("email")
    @classmethod
    def _email(cls, value: Optional[str]) -> Optional[str]:
        if value is None or not value.strip():
            return None
        value = value.strip()
        if not EMAIL.match(value):
            raise ValueError("enter an e-mail address like name@example.com")
        return value

    def date_problem(self, today: date) -> Optional[str]:
        if self.preferred_date < today:
            return "pick today or a later day"
        if self.preferred_date > today + timedelta(days=BOOKING_HORIZON_DAYS):
            return f"we book up to {BOOKING_HORIZON_DAYS} days ahead"
        return None


class StaffJob(Booking):
    """A job staff enter themselves: a quoted price may come with it."""

    price_cents: Optional[int] = Field(None, ge=0, le=10_000_000)


class StatusChange(BaseModel):
    from_status: str = Field(alias="from", min_length=1, max_length=40)
    to_status: str = Field(alias="to", min_length=1, max_length=40)


class TrackingStep(BaseModel):
    status: str
    label: str
    state: Literal["done", "current", "todo"]


class TrackingView(BaseModel):
    """All a tracking link shows."""

    status: str
    label: str
    meaning: str
    steps: list[TrackingStep]
    date: str
    window: str
    updated_at: str
