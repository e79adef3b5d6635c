"""Lambda-to-lambda calls without Lambda: a botocore hook answers `lambda.Invoke` by running the
target function here (local mode: in its worker environment; tests: in this process)."""

from __future__ import annotations

import io
from types import SimpleNamespace
from typing import Callable

from botocore.response import StreamingBody

# function name or ARN, payload → (result payload, failed?)
Invoker = Callable[[str, bytes], tuple[bytes, bool]]


def route_invokes(session, invoke: Invoker) -> None:
    def answer(params=None, **_):
        # /2015-03-31/functions/<name or ARN>/invocations
        name = params["url_path"].split("/functions/", 1)[1].split("/", 1)[0]
        from urllib.parse import unquote

        payload, failed = invoke(unquote(name).rsplit(":", 1)[-1], params.get("body") or b"")
        parsed = {"StatusCode": 200, "ExecutedVersion": "$LATEST", "Payload": StreamingBody(io.BytesIO(payload), len(payload))}
        if failed:
            parsed["FunctionError"] = "Unhandled"
        return SimpleNamespace(status_code=200, headers={}, raw=None, content=payload), parsed

    session.events.register("before-call.lambda.Invoke", answer, unique_id="mainstreet.local.invoke")
