"""HTTP plumbing for Function URL handlers: the resolver with the house error shape, the
origin check, body parsing into pydantic models, and response helpers."""

from __future__ import annotations

import hmac
import json
from typing import Any, Callable, TypeVar

from aws_lambda_powertools.event_handler import LambdaFunctionUrlResolver, Response

from handlers.shared.errors import ApiError
from handlers.shared.log import logger
from handlers.shared.secrets import secret_value

# Request models are pydantic, but pydantic's import costs about 60 ms of a cold start: handlers
# keep their models in a `models` module that only the routes parsing a body import.
M = TypeVar("M")
ORIGIN_VERIFY_HEADER = "x-origin-verify"
JSON = "application/json"


def json_response(status: int, body: Any, headers: dict[str, str] | None = None, cookies=None) -> Response:
    return Response(
        status_code=status,
        content_type=JSON,
        body=json.dumps(body, default=str),
        headers={"Cache-Control": "no-store", **(headers or {})},
        cookies=cookies,
    )


def html_response(status: int, html: str, headers: dict[str, str] | None = None) -> Response:
    return Response(
        status_code=status,
        content_type="text/html; charset=utf-8",
        body=html,
        headers={"Cache-Control": "no-store", **(headers or {})},
    )


def field_errors(exc) -> dict[str, str]:
    fields: dict[str, str] = {}
    for error in exc.errors():
        name = ".".join(str(part) for part in error["loc"]) or "body"
        fields.setdefault(name, error["msg"].removeprefix("Value error, "))
    return fields


def parse(model: type[M], data: Any) -> M:
    """Validate `data` into pydantic `model`, or a 422 naming each bad field."""
    from pydantic import ValidationError

    if not isinstance(data, dict):
        raise ApiError(422, "validation_failed", "The request body must be a JSON object.", {"body": "expected an object"})
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        fields = field_errors(exc)
        raise ApiError(422, "validation_failed", f"Please check: {', '.join(fields)}.", fields) from None


def json_body(app: LambdaFunctionUrlResolver) -> Any:
    raw = app.current_event.decoded_body or ""
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        raise ApiError(400, "invalid_json", "The request body is not valid JSON.") from None


def body(app: LambdaFunctionUrlResolver, model: type[M]) -> M:
    return parse(model, json_body(app))


def header(app: LambdaFunctionUrlResolver, name: str) -> str:
    return (app.current_event.headers or {}).get(name.lower(), "") or ""


def public_host(app: LambdaFunctionUrlResolver) -> str:
    """The host the visitor used; edge/api.js puts it in X-Forwarded-Host."""
    return header(app, "x-forwarded-host")


def public_scheme(app: LambdaFunctionUrlResolver) -> str:
    """The scheme the visitor used, from CloudFront's own header; https when it is absent."""
    return "http" if header(app, "cloudfront-forwarded-proto") == "http" else "https"


def public_base_url(app: LambdaFunctionUrlResolver) -> str:
    return f"{public_scheme(app)}://{public_host(app)}"


def origin_checked(origin_secret_arn: str) -> Callable:
    """Middleware: only CloudFront, which adds the shared origin header, may call the function."""

    def middleware(app: LambdaFunctionUrlResolver, next_middleware):
        expected = secret_value(origin_secret_arn).encode()
        given = header(app, ORIGIN_VERIFY_HEADER).encode()
        if not hmac.compare_digest(given, expected):
            logger.warning("request without the origin header", extra={"path": app.current_event.path})
            return json_response(403, ApiError(403, "forbidden", "Use the site's address.").body())
        return next_middleware(app)

    return middleware


def make_api(origin_secret_arn: str) -> LambdaFunctionUrlResolver:
    app = LambdaFunctionUrlResolver()
    app.use(middlewares=[origin_checked(origin_secret_arn)])

    @app.exception_handler(ApiError)
    def _api_error(exc: ApiError) -> Response:
        return json_response(exc.status, exc.body())

    @app.not_found
    def _not_found(exc: Exception) -> Response:
        return json_response(404, ApiError(404, "not_found", "There is nothing at this address.").body())

    @app.exception_handler(Exception)
    def _unexpected(exc: Exception) -> Response:
        logger.exception("unhandled error")
        return json_response(500, {"error": "internal", "message": "Something went wrong on our side.", "fields": {}})

    return app
