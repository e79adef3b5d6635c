"""HTTP plumbing for Function URL handlers: the resolver with the house error shape, the
origin check, body parsing into pydantic models, and response helpers."""

from __future__ import annotations

import base64
import binascii
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


# A body larger than any form of ours is refused before it is read (the largest, a charter booking
# with twenty crew and long notes, is about 12 KB); nesting deeper than any model of ours is refused
# before validation walks it.
MAX_BODY_BYTES = 32 * 1024
MAX_DEPTH = 8


def _bad_body(message: str) -> ApiError:
    return ApiError(400, "invalid_json", message)


def raw_body(app: LambdaFunctionUrlResolver, max_bytes: int = MAX_BODY_BYTES) -> bytes:
    """The body's bytes as the client sent them (a signature is checked over these), or a 400/413."""
    event = app.current_event
    text = event.get("body") or ""
    if not isinstance(text, str):
        raise _bad_body("The request body could not be read.")
    if event.get("isBase64Encoded"):
        if len(text) > max_bytes * 4 // 3 + 4:
            raise too_large(max_bytes)
        try:
            data = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise _bad_body("The request body could not be read.") from None
    else:
        try:
            data = text.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: never valid text
            raise _bad_body("The request body is not valid UTF-8 text.") from None
    if len(data) > max_bytes:
        raise too_large(max_bytes)
    return data


def too_large(max_bytes: int) -> ApiError:
    return ApiError(413, "too_large", f"The request body is larger than {max_bytes // 1024} KB, which is more than this form takes.")


def body_text(app: LambdaFunctionUrlResolver, max_bytes: int = MAX_BODY_BYTES) -> str:
    try:
        return raw_body(app, max_bytes).decode("utf-8")
    except UnicodeDecodeError:
        raise _bad_body("The request body is not valid UTF-8 text.") from None


def _no_constants(name: str) -> None:
    raise ValueError(name)


def _shape_problem(value: Any) -> str | None:
    """What makes a parsed body unfit to validate: nesting deeper than MAX_DEPTH, or a string that
    is not text (a lone surrogate written as a \\ud800 escape: JSON allows it, UTF-8 cannot carry it)."""
    pending = [(value, 1)]
    while pending:
        item, level = pending.pop()
        if isinstance(item, str):
            if not _is_text(item):
                return "The request body holds characters that are not text."
        elif isinstance(item, (dict, list)):
            if level > MAX_DEPTH:
                return "The request body is nested too deeply."
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            pending.extend((child, level + 1) for child in children)
    return None


def _is_text(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def json_object(text: str) -> dict[str, Any]:
    """`text` as a JSON object ({} when blank), or a 400 saying what is wrong with it."""
    if not text.strip():
        return {}
    try:
        data = json.loads(text, parse_constant=_no_constants)
    except RecursionError:
        raise _bad_body("The request body is nested too deeply.") from None
    except ValueError:  # JSONDecodeError, NaN/Infinity
        raise _bad_body("The request body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise _bad_body("The request body must be a JSON object, like {\"name\": ...}.")
    problem = _shape_problem(data)
    if problem:
        raise _bad_body(problem)
    return data


def json_body(app: LambdaFunctionUrlResolver, max_bytes: int = MAX_BODY_BYTES) -> dict[str, Any]:
    return json_object(body_text(app, max_bytes))


def validate(model: type[M], text: str) -> M:
    """Validate a JSON object's text into `model` in pydantic's strict JSON mode, or a 422 with a
    sentence per bad field (handlers.shared.fields.human_errors)."""
    from pydantic import ValidationError

    from handlers.shared.fields import human_errors

    try:
        return model.model_validate_json(text or "{}", strict=True)
    except ValidationError as exc:
        fields = human_errors(exc, model)
        sentences = list(dict.fromkeys(fields.values()))
        more = f" ({len(sentences) - 2} more below.)" if len(sentences) > 2 else ""
        raise ApiError(422, "validation_failed", " ".join(sentences[:2]) + more, fields) from None


def parse(model: type[M], data: Any) -> M:
    """Validate already-decoded JSON data into `model` (see `validate`)."""
    if not isinstance(data, dict):
        raise _bad_body("The request body must be a JSON object, like {\"name\": ...}.")
    return validate(model, json.dumps(data))


def body(app: LambdaFunctionUrlResolver, model: type[M], max_bytes: int = MAX_BODY_BYTES) -> M:
    text = body_text(app, max_bytes)
    json_object(text)  # the shape checks pydantic's parser does not make (depth, NaN, top-level type)
    return validate(model, text)


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


UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
SAME_SITE = {"same-origin", "none"}  # Sec-Fetch-Site of the site's own pages, or of a typed address


def require_same_site(app: LambdaFunctionUrlResolver) -> None:
    """A state-changing request on a cookie comes from the site's own pages (403 otherwise), and a
    body it carries is JSON (415 otherwise), which a cross-site form cannot send.

    Browsers send `Origin` with every cross-site POST, PUT, PATCH and DELETE; older ones send
    `Sec-Fetch-Site` where they omit it. A request with neither is not from a browser, so carries no
    visitor's cookie by accident.
    """
    method = app.current_event.http_method.upper()
    if method not in UNSAFE_METHODS:
        return
    origin = header(app, "origin")
    fetch_site = header(app, "sec-fetch-site").lower()
    if (origin and origin != public_base_url(app)) or (not origin and fetch_site and fetch_site not in SAME_SITE):
        logger.warning("cross-site request refused", extra={"origin": origin[:200], "fetch_site": fetch_site[:40]})
        raise ApiError(403, "cross_site", "This request must come from the site's own pages.")
    has_body = bool(app.current_event.get("body"))
    media_type = header(app, "content-type").split(";")[0].strip().lower()
    if has_body and media_type != JSON:
        raise ApiError(415, "unsupported_media_type", "Send the request body as application/json.")


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
        return json_response(exc.status, exc.body(), exc.headers)

    @app.not_found
    def _not_found(exc: Exception) -> Response:
        return json_response(404, ApiError(404, "not_found", "There is nothing at this address.").body())

    @app.exception_handler(Exception)
    def _unexpected(exc: Exception) -> Response:
        logger.exception("unhandled error")
        return json_response(500, {"error": "internal", "message": "Something went wrong on our side.", "fields": {}})

    return app
