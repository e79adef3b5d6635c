"""One Lambda execution environment: a process that imports one handler with exactly the
environment it was started with, and answers events one at a time, as Lambda does.

Protocol: a JSON line per event on stdin ({"event", "request_id", "timeout_s"}); on the original
stdout, a line for each mail, text and batch of bus events as soon as SES (or Cognito, for its own
mail: ops/local/cognito_mail.py), SNS or EventBridge accepted it ({"mail"}, with its `channel`;
{"bus_events"}: so what a worker sent before it died still counts), then a line per reply
({"result"} or {"error"}). The handler's own output, Powertools' JSON logs included, goes to stderr.

Options after the handler: `--objects <dir>` (--persist: the objects the handler writes are kept
there as it writes them, see ops/local/objects.py), `--faults <dir> --function <name>` (tests
only, see ops/local/faults.py).
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
import traceback
from email import message_from_bytes, policy


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _attachment(part) -> dict:
    return {"filename": part.get_filename() or "", "content_type": part.get_content_type(),
            "size": len(part.get_payload(decode=True) or b"")}


def _mail_from_params(params: dict, parsed: dict | None = None) -> dict:
    """What SES v2 SendEmail was asked to send (and SES's answer), as the outbox shows it; the
    configuration set and tags are what SES's events for this mail carry."""
    content = params.get("Content", {})
    record = {
        "channel": "email",
        "to": params.get("Destination", {}).get("ToAddresses", []),
        "from": params.get("FromEmailAddress", ""),
        "subject": "",
        "text": "",
        "html": "",
        "headers": {},
        "attachments": [],
        "sent_at": _now(),
        "message_id": (parsed or {}).get("MessageId", ""),
        "configuration_set": params.get("ConfigurationSetName", ""),
        "tags": {tag["Name"]: tag["Value"] for tag in params.get("EmailTags", [])},
    }
    if "Simple" in content:
        simple = content["Simple"]
        record["subject"] = simple.get("Subject", {}).get("Data", "")
        record["text"] = simple.get("Body", {}).get("Text", {}).get("Data", "")
        record["html"] = simple.get("Body", {}).get("Html", {}).get("Data", "")
        record["headers"] = {h["Name"]: h["Value"] for h in simple.get("Headers", [])}
    elif "Raw" in content:
        data = content["Raw"]["Data"]
        message = message_from_bytes(data if isinstance(data, bytes) else data.encode(), policy=policy.default)
        record["subject"] = str(message.get("Subject", ""))
        record["headers"] = {k: str(v) for k, v in message.items()}
        for part in message.walk():
            if part.is_multipart():
                continue
            if part.is_attachment():
                record["attachments"].append(_attachment(part))
            elif part.get_content_type() == "text/plain" and not record["text"]:
                record["text"] = part.get_content()
            elif part.get_content_type() == "text/html" and not record["html"]:
                record["html"] = part.get_content()
    return record


ORIGINATION = ("AWS.MM.SMS.OriginationNumber", "AWS.SNS.SMS.SenderID")


def _text_from_params(params: dict, parsed: dict | None = None) -> dict | None:
    """What SNS Publish to a phone number was asked to send, as the outbox shows it (None for a
    publish to a topic: its subscribers get that)."""
    if not params.get("PhoneNumber"):
        return None
    attributes = params.get("MessageAttributes") or {}
    origination = next((attributes[name].get("StringValue", "") for name in ORIGINATION if name in attributes), "")
    return {"channel": "sms", "to": [params["PhoneNumber"]], "from": origination, "subject": "",
            "text": params.get("Message", ""), "html": "", "headers": {}, "attachments": [], "sent_at": _now(),
            "message_id": (parsed or {}).get("MessageId", "")}


def main() -> int:
    handler_path, options = sys.argv[1], dict(zip(sys.argv[2::2], sys.argv[3::2]))
    replies = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # whatever the handler prints lands on stderr, never in the protocol
    sys.stdout = os.fdopen(1, "w", buffering=1)
    writing = threading.Lock()  # a handler may call AWS from threads of its own

    def reply(line: dict) -> None:
        with writing:
            replies.write(json.dumps(line, default=str) + "\n")

    from handlers.shared.aws import session

    hooks = session().events

    def remember(what):
        def hook(params, context, **_):
            context["mainstreet_local_sent"] = (what, dict(params))
        return hook

    def sent(http_response, parsed, context, **_):  # reported once accepted, not when asked for
        what, params = context.pop("mainstreet_local_sent", (None, None))
        if what is not None and http_response.status_code < 300 and (line := what(params, parsed)) is not None:
            reply(line)

    for operation, what in (
        ("sesv2.SendEmail", lambda params, parsed: {"mail": _mail_from_params(params, parsed)}),
        ("sns.Publish", lambda params, parsed: {"mail": t} if (t := _text_from_params(params, parsed)) else None),
        ("eventbridge.PutEvents", lambda params, parsed: {"bus_events": params.get("Entries", [])}),
    ):
        hooks.register(f"before-parameter-build.{operation}", remember(what))
        hooks.register(f"after-call.{operation}", sent)

    from ops.local import cognito_mail

    cognito_mail.install(hooks, reply)

    if "--objects" in options:
        from ops.local.objects import Recorder

        Recorder(options["--objects"]).install(hooks)
    faults = None
    if "--faults" in options:
        from ops.local.faults import Faults

        faults = Faults(options["--faults"], options["--function"])
        faults.install(hooks)

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
        if faults:
            faults.new_invocation()
        if handler is None:
            reply({"error": init_error})
            continue
        context = LambdaContext(
            function_name=os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "function"),
            aws_request_id=request.get("request_id", ""),
            timeout_s=request.get("timeout_s", 15),
        )
        try:
            reply({"result": handler(request["event"], context)})
        except Exception as exc:
            traceback.print_exc()
            reply({"error": f"{type(exc).__name__}: {exc}"})
    return 0


if __name__ == "__main__":
    sys.exit(main())
