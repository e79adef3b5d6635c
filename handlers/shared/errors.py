"""The one error shape every API answers with: `{"error", "message", "fields"}` and a 4xx."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    def __init__(self, status: int, error: str, message: str, fields: dict[str, str] | None = None,
                 headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.error = error
        self.message = message
        self.fields = fields or {}
        self.headers = headers or {}  # e.g. Retry-After on a 429

    def body(self) -> dict[str, Any]:
        return {"error": self.error, "message": self.message, "fields": self.fields}


def not_found(what: str) -> ApiError:
    return ApiError(404, "not_found", f"{what} was not found.")


def unauthorized() -> ApiError:
    return ApiError(401, "unauthorized", "Sign in with your staff account first.")


def forbidden(roles: tuple[str, ...]) -> ApiError:
    named = " or ".join(roles)
    return ApiError(403, "forbidden", f"Your account may not do this: it needs the {named} role. Ask the owner.")


def conflict(error: str, message: str) -> ApiError:
    return ApiError(409, error, message)
