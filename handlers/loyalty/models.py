"""Loyalty request models (imported by the routes that parse them). Members are keyed by their
phone number in E.164 (+, country code, number)."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Optional

from pydantic import BaseModel, Field, field_validator

E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def e164(value: str) -> str:
    cleaned = re.sub(r"[\s().-]", "", value or "")
    if not E164.match(cleaned):
        raise ValueError("use the international form, like +6591234567")
    return cleaned


class SaleItem(BaseModel):
    sku: str = Field(min_length=1, max_length=64)
    qty: int = Field(ge=1, le=1000)
    price: Decimal = Field(ge=0, max_digits=10, decimal_places=2)


class Sale(BaseModel):
    """POST /api/pos/sales, once its signature has been checked."""

    sale_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$")
    phone: str
    total: Decimal = Field(ge=0, max_digits=10, decimal_places=2)
    items: list[SaleItem] = Field(default_factory=list, max_length=200)
    occurred_at: datetime

    _phone = field_validator("phone")(e164)


class Signup(BaseModel):
    phone: str
    name: str = Field(min_length=1, max_length=80)
    email: Optional[str] = None

    _phone = field_validator("phone")(e164)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return value.strip()

    @field_validator("email")
    @classmethod
    def _email(cls, value: Optional[str]) -> Optional[str]:
        if value is None or not value.strip():
            return None
        if not EMAIL.match(value.strip()):
            raise ValueError("enter an e-mail address like name@example.com")
        return value.strip().lower()


class Redeem(BaseModel):
    phone: str
    reward_id: str = Field(min_length=1, max_length=40)
    request_id: Optional[str] = Field(None, pattern=r"^[A-Za-z0-9_-]{8,64}$", description="Makes a repeated press redeem once")

    _phone = field_validator("phone")(e164)


class Reverse(BaseModel):
    reason: str = Field(min_length=3, max_length=300)


class Token(BaseModel):
    token: str = Field(min_length=10, max_length=500)
