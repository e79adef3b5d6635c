"""`make bench`: the SPEC budgets for what exists, measured in one run and printed.

- cold import of each handler (with boto3, which every handler imports on its first call)
  as a ratio to `import boto3` alone, medians of interleaved runs in fresh interpreters;
- each function's zipped code artifact (its own zip), and the libraries layer's;
- AWS calls on the request paths, counted with botocore's event hooks against moto;
- edge function sizes.
Figures are reported, never asserted: timing belongs here, not in the tests.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

from ops import edge, harness
from ops.local.events import LambdaContext, function_url_event

RUNS = 9
# The account the bench signs in with, made in moto's Cognito with its own password.
STAFF_EMAIL, STAFF_PASSWORD = "bench.owner@staff.example", "bench staff password"
ROOT = harness.ROOT
PROBE = "import time; t = time.perf_counter(); {imports}; print(time.perf_counter() - t)"


def _import_seconds(imports: str, env: dict[str, str]) -> float:
    done = subprocess.run([sys.executable, "-c", PROBE.format(imports=imports)], env=env, cwd=ROOT,
                          capture_output=True, text=True, check=True)
    return float(done.stdout.strip().splitlines()[-1])


def cold_imports(graph: harness.Graph) -> list[tuple[str, float, float, float]]:
    """(function, handler seconds, boto3 seconds, ratio) per function."""
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    base_env["PYTHONPATH"] = str(ROOT)
    rows = []
    for fn in graph.of_type("aws:lambda/function:Function"):
        env = {**base_env, **fn.inputs["environment"]["variables"], "AWS_DEFAULT_REGION": "us-west-2"}
        module = fn.inputs["handler"].rsplit(".", 1)[0]
        handler_times, boto_times = [], []
        for _ in range(RUNS):  # interleaved, so machine noise hits both alike
            boto_times.append(_import_seconds("import boto3", env))
            handler_times.append(_import_seconds(f"import {module}; import boto3", env))
        h, b = statistics.median(handler_times), statistics.median(boto_times)
        rows.append((fn.name, h, b, h / b))
    return rows


def _code_files(resource: harness.Resource) -> dict[str, Path]:
    return {name: Path(asset.path) for name, asset in resource.inputs["code"].assets.items()}


def artifact_sizes(graph: harness.Graph) -> list[tuple[str, int]]:
    """(function, bytes zipped) of each function's own zip: its layers are not in it."""
    from components.stack.packaging import zipped_size

    return [(fn.name, zipped_size(_code_files(fn))) for fn in graph.of_type("aws:lambda/function:Function")]


def layer_sizes(graph: harness.Graph) -> list[tuple[str, int, int]]:
    """(layer, bytes zipped, bytes unzipped) of each layer the program publishes (the libraries
    layer; Powertools is AWS's). AWS: ≤ 50 MB zipped uploaded directly, and a function with all
    its layers ≤ 250 MB unzipped."""
    from components.stack.packaging import zipped_size

    rows = []
    for layer in graph.of_type("aws:lambda/layerVersion:LayerVersion"):
        files = _code_files(layer)
        rows.append((layer.name, zipped_size(files), sum(path.stat().st_size for path in files.values())))
    return rows


def request_path_calls(graph: harness.Graph) -> list[tuple[str, str, int, int, list[str]]]:
    """(request, budget, writes, reads, operations) per request on warm handlers, against moto."""
    from datetime import date, timedelta

    from moto import mock_aws

    from handlers.shared import aws
    from ops import awscalls
    from ops.local.materialize import replay
    from ops.local.sandbox import load_handler

    os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-west-2")
    origin = graph.named("aws:ssm/parameter:Parameter", "origin-verify").inputs["value"]  # a SecureString
    headers = {"x-origin-verify": origin, "user-agent": "Mozilla/5.0", "cloudfront-viewer-address": "198.51.100.1:1",
               "x-forwarded-host": "site.bench", "content-type": "application/json"}
    handlers = {}

    def call(function: str, method: str, path: str, body=None, cookie: str = "") -> dict:
        if function not in handlers:
            fn = graph.named("aws:lambda/function:Function", function)
            env = {k: replaced.get(v, v) for k, v in fn.inputs["environment"]["variables"].items()}
            env["POWERTOOLS_LOG_LEVEL"] = "WARNING"
            handlers[function] = load_handler(fn.inputs["handler"], env)
        sent = {**headers, **({"cookie": cookie} if cookie else {})}
        event = function_url_event(method, path, headers=sent, body=json.dumps(body) if body is not None else None)
        return handlers[function](event, LambdaContext(function_name=function))

    def staff_cookie() -> str:
        """A signed-in owner's Cookie header (an owner may call every staff route)."""
        import boto3

        from handlers.shared.directory import Directory

        pool = replaced[graph.named("aws:cognito/userPool:UserPool", "staff").id]
        Directory(boto3.client("cognito-idp"), pool).add(STAFF_EMAIL, "Bench Owner", ["owner"], password=STAFF_PASSWORD)
        signed_in = call("staff-session", "POST", "/api/session", {"email": STAFF_EMAIL, "password": STAFF_PASSWORD})
        return signed_in["cookies"][0].split(";")[0]

    def measure(label: str, budget: str, request) -> tuple:
        request()  # warm: secrets and clients cached, as after any cold start
        with awscalls.counting() as calls:
            aws.client.cache_clear()
            request()
        return (label, budget, len(calls.writes()), len(calls.reads()), [op for _, op in calls.log])

    rows = []
    replaced: dict[str, str] = {}
    with mock_aws():
        replaced.update(replay(graph).replaced_ids)
        cookie = staff_cookie()
        rows.append(measure("referral click, known vendor", "≤ 2 writes, 0 reads", lambda: call("referral-click", "GET", "/ref/solare")))
        rows.append(measure("referral click, unknown code", "≤ 2 writes, 0 reads", lambda: call("referral-click", "GET", "/ref/nobody")))
        if any(f.name == "dispatch-track" for f in graph.of_type("aws:lambda/function:Function")):
            day = (date.today() + timedelta(days=2)).isoformat()
            booking = {"name": "Bench", "phone": "+16195550100", "address": "1 Bench St, San Diego", "items": "boxes", "preferred_date": day}
            booked = [json.loads(call("dispatch-booking", "POST", "/api/bookings", booking)["body"])]
            rows.append(measure("dispatch booking", "1 write", lambda: booked.append(json.loads(call("dispatch-booking", "POST", "/api/bookings", booking)["body"]))))
            token = booked[-1]["tracking_token"]
            rows.append(measure("dispatch track", "1", lambda: call("dispatch-track", "GET", f"/api/track/{token}")))
            moves = iter([(booked[0]["job_id"], "pending_pickup", "ready_for_pickup"), (booked[-1]["job_id"], "pending_pickup", "ready_for_pickup")])

            def change():
                job_id, from_status, to_status = next(moves)
                call("dispatch-board", "POST", f"/api/jobs/{job_id}/status", {"from": from_status, "to": to_status}, cookie)

            rows.append(measure("dispatch status change", "≤ 2, +1 read of the staff session", change))
        if any(f.name == "charter-intake" for f in graph.of_type("aws:lambda/function:Function")):
            rows += charter_calls(graph, call, measure, headers)
        if any(f.name == "loyalty-earn" for f in graph.of_type("aws:lambda/function:Function")):
            rows += loyalty_calls(graph, call, measure, cookie)
        if any(f.name == "dispatch-notify" for f in graph.of_type("aws:lambda/function:Function")):
            rows += notification_calls(graph, call, measure, replaced)
    return rows


def notification_calls(graph: harness.Graph, call, measure, replaced: dict[str, str]) -> list[tuple]:
    """AWS calls per notification (handlers.shared.notify): a dispatch customer's booking message
    from the jobs stream (mail only, and mail plus a text), a suppressed one, and a marketing
    message held by quiet hours."""
    from datetime import date, datetime, timedelta, timezone
    from zoneinfo import ZoneInfo

    import boto3
    from boto3.dynamodb.types import TypeSerializer

    from ops.local.channel_events import ses_notice, sns_event
    from ops.local.events import LambdaContext
    from ops.local.sandbox import load_handler

    def load(name: str):
        from handlers.shared import notify

        fn = graph.named("aws:lambda/function:Function", name)
        env = {k: replaced.get(v, v) for k, v in fn.inputs["environment"]["variables"].items()}
        handler = load_handler(fn.inputs["handler"], {**env, "POWERTOOLS_LOG_LEVEL": "WARNING"})
        notify.settings.cache_clear()  # read from this function's environment at its next send
        return handler

    day = (date.today() + timedelta(days=3)).isoformat()
    numbers = iter(range(1000))
    dynamodb = boto3.client("dynamodb")
    serialize = TypeSerializer().serialize

    def booked(email: str, texts: bool) -> dict:
        body = {"name": "Bench", "phone": "+16195550100", "email": email, "address": "1 Bench St, San Diego", "items": "boxes",
                "preferred_date": day, "texts": texts}
        job_id = json.loads(call("dispatch-booking", "POST", "/api/bookings", body)["body"])["job_id"]
        item = dynamodb.get_item(TableName=graph.named("aws:dynamodb/table:Table", "jobs").inputs["name"],
                                 Key={"pk": {"S": f"JOB#{job_id}"}})["Item"]
        change = {"Keys": {"pk": item["pk"]}, "NewImage": item, "SequenceNumber": str(next(numbers)), "StreamViewType": "NEW_AND_OLD_IMAGES"}
        return {"Records": [{"eventName": "INSERT", "eventSource": "aws:dynamodb", "dynamodb": change}]}

    def notify_record(email: str = "", texts: bool = False):
        batches = iter([booked(email or f"b{next(numbers)}@example.com", texts) for _ in range(2)])
        notify_handler = load("dispatch-notify")
        return lambda: notify_handler(next(batches), LambdaContext(function_name="dispatch-notify"))

    rows = [measure("notification: mail (dispatch booking)", "—", notify_record()),
            measure("notification: mail + text", "—", notify_record(texts=True))]
    events = load("notify-events")
    topic = graph.named("aws:sns/topic:Topic", "mailer-events").inputs["name"]
    events(sns_event(f"arn:aws:sns:us-west-2:123456789012:{topic}",
                     ses_notice("Bounce", to=["bounced@example.com"], source="bench", message_id="bench")),
           LambdaContext(function_name="notify-events"))
    rows.append(measure("notification: to a bounced address", "—", notify_record("bounced@example.com")))

    from handlers.shared import notify

    load("loyalty-email-dispatch")  # notify() as a marketing sender runs it: its environment, its settings
    night = datetime.combine(date.today() + timedelta(days=1), datetime.min.time().replace(hour=23), ZoneInfo("America/Los_Angeles"))
    marketing = iter(range(1000))
    rows.append(measure("notification: marketing in quiet hours (held)", "—", lambda: notify.notify(
        key=f"bench-{next(marketing)}", to=notify.Recipient(email="member@example.com"), kind=notify.MARKETING, system="loyalty",
        template="voice", data={"subject": "Your balance", "body": "You have 120 points.", "signed": False}, now=night.astimezone(timezone.utc))))
    return rows


def loyalty_calls(graph: harness.Graph, call, measure, cookie: str) -> list[tuple]:
    """Earn (a sale as the webhook hands it over) and a redeem at the desk, signed in as `cookie`."""
    from ops.local.events import LambdaContext

    numbers = iter(range(1000))

    fn = graph.named("aws:lambda/function:Function", "loyalty-earn")
    from ops.local.sandbox import load_handler

    env = {**fn.inputs["environment"]["variables"], "POWERTOOLS_LOG_LEVEL": "WARNING"}
    earn_handler = load_handler(fn.inputs["handler"], env)
    sale = lambda: earn_handler({"sale_id": f"B-{next(numbers)}", "phone": "+6591234567", "total": "400.00", "items": [],  # noqa: E731
                                 "occurred_at": "2026-11-22T10:00:00Z"}, LambdaContext(function_name="loyalty-earn"))
    rows = [measure("loyalty earn (a sale)", "≤ 2", sale)]
    for _ in range(3):
        sale()
    rows.append(measure("loyalty redeem", "1 write (+1 read for the new balance, +1 of the staff session)",
                        lambda: call("loyalty-redeem", "POST", "/api/redeem", {"phone": "+6591234567", "reward_id": "free-drink"}, cookie)))
    return rows


def charter_calls(graph: harness.Graph, call, measure, headers: dict) -> list[tuple]:
    """Charter booking (no SPEC budget: reported) and a crew member opening their link."""
    from datetime import date, timedelta

    from handlers.charters import tokens

    day = (date.today() + timedelta(days=5)).isoformat()
    numbers = iter(range(1000))
    headers["x-api-key"] = harness.TEST_SERVICE_KEY

    def booking() -> dict:
        return {"source": "bench", "external_id": f"B-{next(numbers)}", "date": day, "start_time": "10:00", "duration_hours": 2,
                "guest_name": "Bench Guest", "guest_email": "g@example.com", "guest_count": 4, "gross_revenue": "500.00",
                "crew": [{"name": "Sam", "email": "sam@example.com", "role": "captain"}]}

    rows = [measure("charter booking (fan-out)", "—", lambda: call("charter-intake", "POST", "/api/bookings", booking()))]
    event_id = json.loads(call("charter-intake", "POST", "/api/bookings", booking())["body"])["event_id"]
    key = graph.named("aws:ssm/parameter:Parameter", "crew-link-key").inputs["value"]
    headers["x-crew-token"] = tokens.sign(key, tokens.CrewLink(event_id, "c1", 1, 4102444800))
    rows.append(measure("crew link opened", "—", lambda: call("charter-crew", "GET", "/api/crew/assignment")))
    return rows


def edge_sizes() -> list[tuple[str, int]]:
    return [(name, len(edge.source(name).encode())) for name in edge.names()]


def main(args) -> int:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    graph = harness.run("dev")

    table = Table(title=f"Cold import (median of {RUNS}, fresh interpreters), budget ≤ 1.5 × import boto3")
    for column in ("function", "handler + boto3 (ms)", "boto3 alone (ms)", "ratio", ""):
        table.add_column(column)
    for name, h, b, ratio in cold_imports(graph):
        table.add_row(name, f"{h * 1000:.0f}", f"{b * 1000:.0f}", f"{ratio:.2f}", "ok" if ratio <= 1.5 else "OVER")
    console.print(table)

    table = Table(title="Code artifact, zipped, budget ≤ 256 KB")
    for column in ("function", "KB", ""):
        table.add_column(column)
    for name, size in artifact_sizes(graph):
        table.add_row(name, f"{size / 1024:.1f}", "ok" if size <= 256 * 1024 else "OVER")
    console.print(table)

    table = Table(title="Layers, zipped (AWS: ≤ 50 MB direct upload) and unzipped (≤ 250 MB with a function)")
    for column in ("layer", "KB zipped", "KB unzipped", ""):
        table.add_column(column)
    for name, zipped, unzipped in layer_sizes(graph):
        table.add_row(name, f"{zipped / 1024:.1f}", f"{unzipped / 1024:.1f}", "ok" if zipped <= 50 * 1024 * 1024 else "OVER")
    console.print(table)

    table = Table(title="AWS calls per request (warm)")
    for column in ("request", "budget", "writes", "reads", "calls"):
        table.add_column(column)
    for label, budget, writes, reads, ops in request_path_calls(graph):
        table.add_row(label, budget, str(writes), str(reads), ", ".join(ops))
    console.print(table)

    table = Table(title="Edge functions, budget ≤ 10 KB")
    for column in ("function", "bytes", ""):
        table.add_column(column)
    for name, size in edge_sizes():
        table.add_row(f"edge/{name}.js", str(size), "ok" if size <= edge.MAX_BYTES else "OVER")
    console.print(table)

    from ops import cost

    # SPEC: prod fixed ≤ $3/month, all-in at SMB volume ≤ $5/month (`python -m ops cost` itemizes)
    for stack in ("dev", "prod"):
        console.print(f"cost {stack}: {cost.summary_line(cost.estimate(stack))}", markup=False)
    return 0
