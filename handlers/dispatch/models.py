"""Request models and view models of dispatch (imported by the routes that use them).

Fields are the shared types (handlers/shared/fields.py), each titled the way the form asks for it,
so a bad one comes back as a sentence next to that field. The pickup day's range depends on today
and the stack's horizon, so `jobs.book` checks it, before anything is written.

The tracking view is its own model, built from the public copy of a job: a customer's name,
phone, address or price cannot reach it because they are not in it.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal, Optional

from pydantic import AfterValidator, BaseModel, Field

from handlers.shared.fields import Line, OptionalEmail, Phone, Text

MAX_PRICE_CENTS = 10_000_000
REQUEST_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


def _request_id(value: str) -> str:
    if not REQUEST_ID.match(value):  # the page makes it: a bad one means a stale or broken page
        raise ValueError("This form is out of date: please reload the page and try again.")
    return value


class Booking(BaseModel):
    """What a customer gives on /book/ (and what staff give for a job taken by phone)."""

    name: Line(100) = Field(title="your name")
    phone: Phone = Field(title="your phone number")
    email: OptionalEmail = Field(None, title="your e-mail address")
    address: Line(300, min_length=5) = Field(title="the pickup address")
    items: Line(1000, min_length=2) = Field(title="what we should take away")
    preferred_date: date = Field(title="the pickup day")
    window: Literal["morning", "afternoon", "evening", "any"] = Field("any", title="the time of day")
    notes: Text(1000) = Field("", title="your notes")
    # Texts about this pickup only when the customer ticked the box (a phone alone is no consent).
    texts: bool = Field(False, title="whether we may text you about this pickup")
    # Makes a resubmitted form idempotent (storage keeps it a day).
    request_id: Optional[Annotated[str, AfterValidator(_request_id)]] = Field(None, title="the form's reference")


def _price(cents: int) -> int:
    if cents < 0:
        raise ValueError("The quoted price cannot be negative.")
    if cents > MAX_PRICE_CENTS:
        raise ValueError(f"The quoted price can be at most ${MAX_PRICE_CENTS // 100:,}.")
    return cents


class StaffJob(Booking):
    """A job staff enter themselves: a quoted price, in cents, may come with it."""

    price_cents: Optional[Annotated[int, AfterValidator(_price)]] = Field(None, title="the quoted price")


class StatusChange(BaseModel):
    from_status: Line(40) = Field(alias="from", title="the status the job is in")
    to_status: Line(40) = Field(alias="to", title="the status to move it to")


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
