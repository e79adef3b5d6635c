"""One Lambda execution environment: a process that imports one handler with exactly the
environment it was started with, and answers events one at a time, as Lambda does.

Protocol: a JSON line per event on stdin ({"event", "request_id", "timeout_s"}), a JSON line per
reply on the original stdout ({"result"} or {"error"}, plus the mail and bus events the handler
sent). The handler's own output, Powertools' JSON logs included, goes to stderr.
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
from email import message_from_bytes, policy


def _mail_from_params(params: dict) -> dict:
    """What SES v2 SendEmail was asked to send, as the outbox shows it."""
    content = params.get("Content", {})
    record = {
        "to": params.get("Destination", {}).get("ToAddresses", []),
        "from": params.get("FromEmailAddress", ""),
        "subject": "",
        "text": "",
        "html": "",
        "headers": {},
        "sent_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    if "Simple" in content:
        simple = content["Simple"]
        record["subject"] = simple.get("Subject", {}).get("Data", "")
        record["text"] = simple.get("Body", {}).get("Text", {}).get("Data", "")
        record["html"] = simple.get("Body", {}).get("Html", {}).get("Data", "")
        record["headers"] = {h["Name"]: h["Value"] for h in simple.get("Headers", [])}
    elif "Raw" in content:
        message = message_from_bytes(content["Raw"]["Data"], policy=policy.default)
        record["subject"] = str(message.get("Subject", ""))
        record["headers"] = {k: str(v) for k, v in message.items()}
        for part in message.walk():
            if part.get_content_type() == "text/plain" and not record["text"]:
                record["text"] = part.get_content()
            elif part.get_content_type() == "text/html" and not record["html"]:
                record["html"] = part.get_content()
    return record


def main() -> int:
    handler_path = sys.argv[1]
    replies = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # whatever the handler prints lands on stderr, never in the protocol
    sys.stdout = os.fdopen(1, "w", buffering=1)

    sent_mail: list[dict] = []
    bus_events: list[dict] = []

    from handlers.shared.aws import session

    hooks = session().events
    hooks.register("before-parameter-build.sesv2.SendEmail", lambda params, **_: sent_mail.append(_mail_from_params(params)))
    hooks.register("before-parameter-build.eventbridge.PutEvents", lambda params, **_: bus_events.extend(params.get("Entries", [])))

    from ops.local.events import LambdaContext

    control = os.environ.get("MAINSTREET_LOCAL_CONTROL")
    if control:  # local mode: another function is invoked in its own worker, through the front door
        import urllib.request

        from ops.local.lambda_invoke import route_invokes

        def invoke(name: str, payload: bytes) -> tuple[bytes, bool]:
            request = urllib.request.Request(f"{control}/_local/functions/{name}/invoke", data=payload, method="POST")
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.read(), response.headers.get("X-Function-Error") is not None

        route_invokes(session(), invoke)

    module_name, _, attribute = handler_path.rpartition(".")
    try:
        import importlib

        handler = getattr(importlib.import_module(module_name), attribute)
        init_error = None
    except Exception as exc:  # Lambda reports an init error on every invocation
        handler = None
        init_error = f"Runtime.ImportModuleError: {type(exc).__name__}: {exc}"
        traceback.print_exc()

    for line in sys.stdin:
        request = json.loads(line)
        sent_mail.clear()
        bus_events.clear()
        if handler is None:
            reply = {"error": init_error}
        else:
            context = LambdaContext(
                function_name=os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "function"),
                aws_request_id=request.get("request_id", ""),
                timeout_s=request.get("timeout_s", 15),
            )
            try:
                reply = {"result": handler(request["event"], context)}
            except Exception as exc:
                traceback.print_exc()
                reply = {"error": f"{type(exc).__name__}: {exc}"}
        reply["mail"] = list(sent_mail)
        reply["bus_events"] = list(bus_events)
        replies.write(json.dumps(reply, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
