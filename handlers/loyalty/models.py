"""Loyalty request models (imported by the routes that parse them). Members are keyed by their
phone number in E.164: the shared `Phone` reads what the till or the form sends ("(415) 555-0134",
"+1 415 555 0134") in the shop's country and stores it that way, so every spelling of one number
is one member.

Fields are the shared types (handlers/shared/fields.py), each titled the way a person would ask
for it, so a bad one comes back as a sentence naming it.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal, Optional

from pydantic import BaseModel, Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from handlers.shared.fields import Line, OptionalEmail, Phone

REFERENCE = r"^[A-Za-z0-9._:-]+$"


class SaleItem(BaseModel):
    sku: Line(64) = Field(title="the item's SKU")
    qty: int = Field(ge=1, le=1000, title="the item's quantity")
    price: Decimal = Field(ge=0, max_digits=10, decimal_places=2, title="the item's price")


class Sale(BaseModel):
    """POST /api/pos/sales, once its signature has been checked."""

    sale_id: str = Field(min_length=1, max_length=64, pattern=REFERENCE, title="the sale's id")
    # Which till or export the sale_id belongs to: a sale is credited once per (source, sale_id).
    source: str = Field("pos", min_length=1, max_length=32, pattern=r"^[a-z0-9-]+$", title="the sale's source")
    phone: Phone = Field(title="the member's phone number")
    total: Decimal = Field(ge=0, max_digits=10, decimal_places=2, title="the sale's total")
    items: list[SaleItem] = Field(default_factory=list, max_length=200, title="the sale's items")
    occurred_at: datetime = Field(title="the time of the sale")


class CheckedSale(Sale):
    """What earn receives from the webhook: a Sale already checked there, its phone in E.164
    (earn is not an HTTP function and does not know the shop's country)."""

    phone: str = Field(pattern=r"^\+[1-9][0-9]{6,14}$", title="the member's phone number")


class Signup(BaseModel):
    phone: Phone = Field(title="your mobile number")
    name: Line(80) = Field(title="your first name")
    email: OptionalEmail = Field(None, title="your e-mail address")
    # "Text me when I earn a reward": a JSON true or false (strict mode), never "yes" or 1.
    texts: bool = Field(False, title="your choice of texts")


class Lookup(BaseModel):
    phone: Phone = Field(title="the member's phone number")


class Redeem(BaseModel):
    phone: Phone = Field(title="the member's phone number")
    reward_id: Line(40) = Field(title="the reward")
    # Made by the desk page: a repeated press of one button redeems once.
    request_id: Optional[str] = Field(None, pattern=r"^[A-Za-z0-9_-]{8,64}$", title="the desk's request reference")


class Reverse(BaseModel):
    reason: Line(300, min_length=3) = Field(title="the reason")


class Token(BaseModel):
    # What itsdangerous' URL-safe tokens are made of: anything else is not one of our links.
    token: str = Field(min_length=10, max_length=500, pattern=r"^[A-Za-z0-9_.-]+$", title="the link")


# -- the desk ---------------------------------------------------------------------------------

REQUEST_ID = r"^[A-Za-z0-9_-]{8,64}$"  # made by the desk page once per press: a double-click does one thing


class HeldSale(BaseModel):
    member_id: Phone = Field(title="the member's phone number")
    sale_id: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:#-]+$", title="the sale")


class Reject(HeldSale):
    reason: Line(300, min_length=3) = Field(title="the reason")


class Enrol(BaseModel):
    phone: Phone = Field(title="the customer's phone number")
    name: Line(80) = Field(title="the customer's first name")
    email: OptionalEmail = Field(None, title="the customer's e-mail address")
    texts: bool = Field(False, title="the choice of reward texts")
    # The customer said yes to joining at the counter: the desk ticks it, the API insists on it.
    consent: Literal[True] = Field(title="the customer's consent")
    request_id: str = Field(pattern=REQUEST_ID, title="the desk's request reference")


class Adjust(BaseModel):
    phone: Phone = Field(title="the member's phone number")
    points: int = Field(ge=-10000, le=10000, title="the points")
    reason: Line(300, min_length=3) = Field(title="the reason")
    request_id: str = Field(pattern=REQUEST_ID, title="the desk's request reference")

    @field_validator("points")
    @classmethod
    def _not_zero(cls, points: int) -> int:
        if points == 0:
            raise ValueError("Enter the points to add, or a minus sign and the points to take away; not 0.")
        return points


class Details(BaseModel):
    """A change of a member's details at the desk: the member is there, staff vouch for them."""

    phone: Phone = Field(title="the member's phone number")
    name: Optional[Line(80)] = Field(None, title="the member's first name")
    email: OptionalEmail = Field(None, title="the member's e-mail address")
    texts: Optional[bool] = Field(None, title="the choice of reward texts")
    # A new number moves the whole membership (points, history from then on) to it.
    new_phone: Optional[Phone] = Field(None, title="the member's new phone number")
    reason: Optional[Line(300, min_length=3)] = Field(None, validate_default=True, title="the reason")

    @field_validator("new_phone")
    @classmethod
    def _another_number(cls, new_phone: Optional[str], info: ValidationInfo) -> Optional[str]:
        if new_phone and new_phone == info.data.get("phone"):
            raise PydanticCustomError("same_phone", "The new number is the one the member has.")
        return new_phone

    @field_validator("reason")
    @classmethod
    def _a_move_says_why(cls, reason: Optional[str], info: ValidationInfo) -> Optional[str]:
        if info.data.get("new_phone") and not reason:
            raise PydanticCustomError("reason_missing", "Say why the number changes (for the record).")
        return reason
