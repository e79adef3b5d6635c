"""The Lambda Function URL event (payload 2.0) and context, as Lambda builds them.

Local mode's front door and the handler tests both speak to handlers through these, so a
handler sees locally exactly the shape it sees on AWS.
"""

from __future__ import annotations

import base64
import os
import time
import uuid
from dataclasses import dataclass, field
from typing import Optional
from urllib.parse import parse_qsl, urlencode


def function_url_event(
    method: str,
    path: str,
    *,
    query: str | dict[str, str] = "",
    headers: dict[str, str] | None = None,
    body: bytes | str | None = None,
    source_ip: str = "127.0.0.1",
    function_name: str = "function",
) -> dict:
    raw_query = query if isinstance(query, str) else urlencode(query)
    lowered = {k.lower(): v for k, v in (headers or {}).items()}
    cookies = [c.strip() for c in lowered.pop("cookie", "").split(";") if c.strip()]
    params: dict[str, str] = {}
    for key, value in parse_qsl(raw_query, keep_blank_values=True):
        params[key] = f"{params[key]},{value}" if key in params else value
    event: dict = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": raw_query,
        "headers": lowered,
        "requestContext": {
            "accountId": "anonymous",
            "apiId": function_name,
            "domainName": f"{function_name}.lambda-url.local",
            "domainPrefix": function_name,
            "http": {
                "method": method.upper(),
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": lowered.get("user-agent", ""),
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": "$default",
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime()),
            "timeEpoch": int(time.time() * 1000),
        },
        "isBase64Encoded": False,
    }
    if cookies:
        event["cookies"] = cookies
    if params:
        event["queryStringParameters"] = params
    if body is not None:
        raw = body.encode() if isinstance(body, str) else body
        try:
            event["body"] = raw.decode("utf-8")
        except UnicodeDecodeError:
            event["body"] = base64.b64encode(raw).decode()
            event["isBase64Encoded"] = True
    return event


@dataclass
class LambdaContext:
    function_name: str = "function"
    memory_limit_in_mb: int = 256
    function_version: str = "$LATEST"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    timeout_s: int = 15
    _deadline: Optional[float] = None

    @property
    def invoked_function_arn(self) -> str:
        # The region the function runs in: a handler that names itself (a deferred message's schedule
        # targets its own function) must name the ARN the program gave it.
        region = os.environ.get("AWS_REGION", "us-east-1")
        return f"arn:aws:lambda:{region}:123456789012:function:{self.function_name}"

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        return "local"

    def get_remaining_time_in_millis(self) -> int:
        deadline = self._deadline or (time.time() + self.timeout_s)
        return max(0, int((deadline - time.time()) * 1000))


def response_parts(result: dict) -> tuple[int, dict[str, str], list[str], bytes]:
    """Status, headers, Set-Cookie values and body of a Function URL handler's result."""
    status = int(result.get("statusCode", 200))
    headers = {k: str(v) for k, v in (result.get("headers") or {}).items()}
    for key, values in (result.get("multiValueHeaders") or {}).items():
        headers[key] = ", ".join(values)
    cookies = list(result.get("cookies") or [])
    raw = result.get("body") or ""
    data = base64.b64decode(raw) if result.get("isBase64Encoded") else raw.encode()
    return status, headers, cookies, data
