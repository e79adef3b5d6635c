"""`python -m ops local` (what `make run` runs): the whole system on this machine, no AWS account.

The program runs under the harness, and each resource it declares is created for real on this
machine as it is declared: tables on DynamoDB Local, the rest on a moto server. The front door
plays CloudFront for every site, handlers run in worker processes with their declared
environment, schedules fire, bus events reach their rules' targets, topics reach their subscribed
functions, and every mail (Cognito's own too) and text lands in the outbox, where SES's bounces
and complaints and replies to texts can be played back. Staff sign in with an owner account made
at start. `GET /_local/` describes it all.
"""

from __future__ import annotations

import json
import math
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Optional
from urllib.request import urlopen

import boto3

from components.stack import secrets as stack_secrets
from ops import generated, harness
from ops.local import bus as bus_module
from ops.local import faults as faults_module
from ops.local import objects
from ops.local import scheduler as scheduler_module
from ops.local import streams as streams_module
from ops.local import topics as topics_module
from ops.local.dynamodb_local import DynamoDBLocal, free_port
from ops.local.frontdoor import FrontDoor, Request, load_sites, site_of
from ops.local.materialize import Materializer, load_generated, save_generated
from ops.local.outbox import Outbox
from ops.local.workers import FunctionSpec, Pool

DEFAULT_STATE = harness.ROOT / ".local"
OWNER_NAME = "Owner"
# The local owner's password: groups of letters and digits a person can read off a terminal and
# type (no 0/o, 1/l/i), dashes between groups; 4 groups of 4 are about 79 bits.
PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def new_staff_password(min_length: int) -> str:
    groups = max(4, math.ceil((min_length + 1) / 5))  # each group and its dash add 5 characters
    return "-".join("".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(4)) for _ in range(groups))


# The control endpoints (/_local/: credentials, outbox, invoke) and the home page answer on the
# machine's bare name only: never on a site (`ops.localhost`), whose pages and scripts must not
# read them, nor on a foreign name pointed at this machine (DNS rebinding). 127.0.0.1 is how
# workers reach /_local/functions/ (MAINSTREET_LOCAL_CONTROL).
CONTROL_HOSTS = ("localhost", "127.0.0.1")


# What the outbox page's buttons play back: action → (button, what the channel sends back, done).
OUTBOX_ACTIONS = {"bounce": ("Bounce", "Bounce", "Bounced"), "complain": ("Complain", "Complaint", "Complained"),
                  "stop": ("Reply STOP", "STOP", "Replied STOP"), "start": ("Reply START", "START", "Replied START")}

# A Function URL takes at most 6 MB of request payload; the front door reads no more than that.
MAX_BODY_BYTES = 6 * 2**20


def from_this_machine(headers) -> bool:
    """A state-changing /_local/ request comes from a tool (curl, a worker), not from a page in a
    browser: browsers name the page's origin (`Origin`, `Sec-Fetch-Site`) on every cross-site POST."""
    origin = (headers.get("Origin") or "").lower()
    fetch_site = (headers.get("Sec-Fetch-Site") or "").lower()
    if origin and not is_control_host(origin.partition("://")[2].split("/")[0]):
        return False
    return not fetch_site or fetch_site in ("same-origin", "none")


def is_control_host(host: str) -> bool:
    name = host.lower().rsplit(":", 1)[0] if host.count(":") == 1 else host.lower()
    return name in CONTROL_HOSTS


class MotoServer:
    def __init__(self):
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                urlopen(f"{self.endpoint}/moto-api/", timeout=1).read()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("moto server did not start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


class LocalSystem:
    def __init__(self, stack: str = "dev", port: int = 8080, persist: bool = False,
                 program: Optional[Path] = None, log=None, state: Path = DEFAULT_STATE,
                 overrides: Optional[dict[str, str]] = None):
        self.stack, self.port, self.persist, self.program = stack, port, persist, program
        self.overrides = dict(overrides or {})  # stack settings changed for this run only (`--config`)
        self.state = Path(state)
        self.log = log or (lambda line: print(line, flush=True))
        self.lock = threading.Lock()

    # -- starting -------------------------------------------------------------------------------
    def start(self) -> "LocalSystem":
        started = time.perf_counter()
        if self.persist:
            self.state.mkdir(exist_ok=True)
        config = harness.merged_config(self.stack, self.overrides)[0]
        self.credentials = {"staff_email": config[f"{harness.PROJECT}:ownerEmail"],
                            **self._credentials(int(config[f"{harness.PROJECT}:staffPasswordLength"]))}
        self.dynamodb = DynamoDBLocal(data_dir=self.state / "dynamodb" if self.persist else None)
        self.moto = MotoServer()
        region = harness.region_of(config)
        self.region = region
        self.runtime_env = {
            "AWS_ENDPOINT_URL": self.moto.endpoint,
            "AWS_ENDPOINT_URL_DYNAMODB": self.dynamodb.endpoint,
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            "PYTHONPATH": str(harness.ROOT),
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "TZ": "UTC",  # Lambda's clock
            "PYTHONUNBUFFERED": "1",
            # Lambda-to-lambda calls come back here (see ops/local/lambda_invoke.py).
            "MAINSTREET_LOCAL_CONTROL": f"http://127.0.0.1:{self.port}",
        }
        session = boto3.session.Session(aws_access_key_id="local", aws_secret_access_key="local", region_name=region)
        endpoint = lambda service: self.dynamodb.endpoint if service.startswith("dynamodb") else self.moto.endpoint  # noqa: E731
        self.client = lambda service: session.client(service, endpoint_url=endpoint(service))  # noqa: E731
        clients: dict[str, Any] = {}

        def cached(service: str):
            if service not in clients:
                clients[service] = self.client(service)
            return clients[service]

        # --persist keeps the generated secrets (session, crew-link, member-token keys, ...) with
        # the rest of the state; without it they are fresh each run.
        self.materializer = Materializer(cached, generate_secrets=True, local_port=self.port,
                                         kept_secrets=self.state / "generated.json" if self.persist else None)
        self.graph = harness.run(self.stack, secrets=stack_secrets.stored(self.credentials), materializer=self.materializer,
                                 program=self.program, overrides=self.overrides)
        self.s3 = cached("s3")
        self._add_owner(cached("cognito-idp"))
        self._publish_generated_pages()
        if self.persist:
            self._restore_objects()
        self.outbox = Outbox(self.state / "outbox.json" if self.persist else None)
        self.topics = topics_module.Topics(self.graph, cached("sns"), self.invoke, self.log)
        self.pool = Pool(self._function_specs(), self.runtime_env, self._relay, self._worker_options)
        self.sites = load_sites(self.graph)
        self.frontdoor = FrontDoor(self.sites, self.s3, self.invoke, self.log)
        functions_by_arn = {f.outputs["arn"]: f.name for f in self.graph.of_type("aws:lambda/function:Function")}
        self.scheduler = scheduler_module.Scheduler(self.invoke, self.log, cached("scheduler"), functions_by_arn)
        for schedule in scheduler_module.from_graph(self.graph):
            self.scheduler.add(schedule)
        self.bus = bus_module.Bus(self.graph, self.invoke, self.log, region, harness.ACCOUNT_ID)
        self.streams = streams_module.from_graph(self.graph, cached("dynamodb"), cached("dynamodbstreams"), self.invoke,
                                                 self.log, region)
        self.http = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler_class())
        self.http.daemon_threads = True
        threading.Thread(target=self.http.serve_forever, name="front-door", daemon=True).start()
        self.scheduler.start()
        for poller in self.streams:
            poller.start()
        self.startup_seconds = time.perf_counter() - started
        return self

    def _credentials(self, password_length: int) -> dict[str, str]:
        """The stack's secrets in plain and the local owner's password: generated for this
        machine's local runs only, never used anywhere else; --persist keeps them."""
        path = self.state / "credentials.json"
        kept = load_generated(path) if self.persist else {}
        fresh = {**stack_secrets.new_credentials(), "staff_password": new_staff_password(password_length)}
        # What an earlier run kept stays; what this version no longer makes (a retired secret) goes.
        credentials = {name: kept.get(name, value) for name, value in fresh.items()}
        if len(credentials["staff_password"]) < password_length:  # the stack's policy grew since
            credentials["staff_password"] = fresh["staff_password"]
        if self.persist and credentials != kept:
            save_generated(path, credentials)  # 0600, like the generated secrets
        return credentials

    def _add_owner(self, cognito) -> None:
        """The one account local mode starts with, an owner, with the printed password as its own
        (no invitation). moto keeps nothing between runs, so it is made anew each time."""
        from handlers.shared.directory import Directory

        Directory(cognito, self.graph.outputs["staff"]["user_pool_id"]).add(
            self.credentials["staff_email"], OWNER_NAME, ["owner"], password=self.credentials["staff_password"])

    def _function_specs(self) -> dict[str, FunctionSpec]:
        return {
            f.name: FunctionSpec(f.name, f.inputs["name"], f.inputs["handler"], dict(f.inputs["environment"]["variables"]),
                                 int(f.inputs.get("timeout", 15)))
            for f in self.graph.of_type("aws:lambda/function:Function")
        }

    def _site_outputs(self) -> dict:
        """The stack outputs with each site at the address the front door serves it on (plain
        HTTP on <site>.localhost), where the program says https://<domain>."""
        sites = {name: {**info, "url": f"http://{name}.localhost:{self.port}"}
                 for name, info in self.graph.outputs.get("sites", {}).items()}
        return {**self.graph.outputs, "sites": sites}

    def _publish_generated_pages(self) -> None:
        outputs = self._site_outputs()
        for site, info in outputs["sites"].items():
            for key, (body, content_type) in generated.pages(site, outputs).items():
                self.s3.put_object(Bucket=info["bucket"], Key=key, Body=body, ContentType=content_type)

    def _declared_keys(self) -> set[tuple[str, str]]:
        keys = {(o.inputs["bucket"], o.inputs["key"]) for o in self.graph.of_type("aws:s3/bucketObjectv2:BucketObjectv2")}
        for site, info in self.graph.outputs.get("sites", {}).items():
            keys |= {(info["bucket"], key) for key in generated.pages(site, self.graph.outputs)}
        return keys

    def _worker_options(self, spec: FunctionSpec) -> tuple[str, ...]:
        options: tuple[str, ...] = ()
        if self.persist:  # each object a handler writes is on disk before its put returns
            options += ("--objects", str(self.state / "s3"))
        if faults := os.environ.get(faults_module.ENV):  # tests only
            options += ("--faults", faults, "--function", spec.name)
        return options

    def _restore_objects(self) -> None:
        """Put back the objects handlers wrote in an earlier --persist run (guest pages, backups)."""
        objects.restore(self.s3, self.state / "s3", self.materializer.buckets, self._declared_keys())

    def _save_objects(self) -> None:
        """Workers keep what handlers write as they write it; this catches the rest (see objects.save_all)."""
        objects.save_all(self.s3, self.state / "s3", self.materializer.buckets, self._declared_keys())

    # -- running --------------------------------------------------------------------------------
    def invoke(self, function: str, event: dict):
        reply = self.pool.invoke(function, event)
        self.outbox.add(reply.mail)
        # SES's Send events, delivered before the caller sees the answer (a retry must find its mail accepted).
        self.topics.sent(reply.mail)
        if reply.bus_events:
            threading.Thread(target=self.bus.put, args=(reply.bus_events,), daemon=True).start()
        if reply.error:
            self.log(f"{function}: {reply.error}")
        return reply

    def _relay(self, function: str, line: str) -> None:
        try:
            record = json.loads(line)
            line = f"{record.get('level', '')} {record.get('message', '')}" + (
                f" {record['exception']}" if record.get("exception") else "")
        except (ValueError, AttributeError):
            pass
        self.log(f"  [{function}] {line}")

    def base_url(self) -> str:
        return f"http://localhost:{self.port}"

    def index(self) -> dict:
        sites = {name: f"http://{name}.localhost:{self.port}/" for name in sorted(self.sites)}
        return {
            "stack": self.stack,
            "sites": sites,
            "aws_endpoints": {"default": self.moto.endpoint, "dynamodb": self.dynamodb.endpoint},
            "region": self.region,
            "tables": [t.inputs["name"] for t in self.graph.of_type("aws:dynamodb/table:Table")],
            "buckets": [b.inputs["bucket"] for b in self.graph.of_type("aws:s3/bucket:Bucket")],
            "functions": {f.name: f.inputs["name"] for f in self.graph.of_type("aws:lambda/function:Function")},
            "schedules": {s.logical: s.expression + f" ({s.zone})" for s in self.scheduler.schedules.values()},
            "outbox": f"{self.base_url()}/_local/outbox",
            "outbox_json": f"{self.base_url()}/_local/outbox.json",
            "credentials": dict(self.credentials),
        }

    def control(self, method: str, path: str, body: bytes = b"") -> tuple[int, str, bytes]:
        """The /_local/ endpoints (see `is_control_host` for where they answer)."""
        if method == "GET" and path in ("/_local", "/_local/"):
            return 200, "application/json", json.dumps(self.index(), indent=2).encode()
        if method == "GET" and path == "/_local/outbox":
            return 200, "text/html; charset=utf-8", self.outbox.page(self._outbox_actions()).encode()
        if method == "GET" and path == "/_local/outbox.json":
            return 200, "application/json", json.dumps(self.outbox.as_json(), indent=1).encode()
        parts = path.strip("/").split("/")
        if method == "POST" and len(parts) == 3 and parts[1] == "sns":  # moto delivering a topic's message
            status, answer = self.topics.receive(parts[2], body)
            return status, "application/json", json.dumps(answer, default=str).encode()
        if method == "POST" and len(parts) == 4 and parts[1] == "outbox" and parts[3] in OUTBOX_ACTIONS:
            return self.outbox_action(parts[2], parts[3])
        if method == "POST" and len(parts) == 4 and parts[1] == "functions" and parts[3] == "invoke":
            logical = next((f.name for f in self.graph.of_type("aws:lambda/function:Function") if f.inputs["name"] == parts[2]), None)
            if logical is None:
                return 404, "application/json", b'{"error": "not_found", "message": "no such function"}'
            try:
                payload = json.loads(body or b"null")
            except ValueError:
                return 400, "application/json", b'{"error": "invalid_json", "message": "the payload is not JSON"}'
            reply = self.invoke(logical, payload)
            return (200, "application/json", json.dumps(reply.result).encode()) if not reply.error else \
                (200, "application/json+error", json.dumps({"errorMessage": reply.error}).encode())
        if method == "POST" and len(parts) == 4 and parts[1] == "schedules" and parts[3] == "run":
            try:
                reply = self.scheduler.run(parts[2])
            except KeyError:
                return 404, "application/json", json.dumps({"error": "not_found", "message": f"no schedule {parts[2]}"}).encode()
            body = {"schedule": parts[2], "result": reply.result, "error": reply.error}
            return (200 if not reply.error else 500), "application/json", json.dumps(body, default=str).encode()
        return 404, "application/json", b'{"error": "not_found", "message": "no such local endpoint"}'

    def _outbox_actions(self) -> dict[str, list[tuple[str, str]]]:
        """Each outbox entry's buttons: what its channel can send back here."""
        actions = {}
        for entry in self.outbox.as_json():
            if entry.get("channel") == "sms":
                shown = ["stop", "start"] if self.topics.replies_topic else []
            else:
                shown = [a for a in ("bounce", "complain")
                         if self.topics.ses_topics(entry.get("configuration_set", ""), OUTBOX_ACTIONS[a][1])]
            actions[entry.get("id", "")] = [(a, OUTBOX_ACTIONS[a][0]) for a in shown]
        return actions

    def outbox_action(self, entry_id: str, action: str) -> tuple:
        """Play back what the recipient of an outbox entry did (bounced, complained, replied STOP or
        START) through the topic AWS would publish it to; then back to the outbox page."""
        entry = self.outbox.find(entry_id)
        if entry is None:
            return 404, "application/json", json.dumps({"error": "not_found", "message": f"no outbox entry {entry_id}"}).encode()
        label, what, done = OUTBOX_ACTIONS[action]
        channel = "sms" if action in ("stop", "start") else "email"
        if entry.get("channel", "email") != channel:
            return 409, "application/json", json.dumps({"error": "wrong_channel",
                                                         "message": f"{label} is for a {'text' if channel == 'sms' else 'mail'}"}).encode()
        answers = self.topics.text_reply(entry, what) if channel == "sms" else self.topics.ses_event(entry, what)
        if answers is None:
            why = ("this stack has no text-replies topic (SMS is off)" if channel == "sms"
                   else "no configuration set publishes its events (Cognito's own mail)")
            return 409, "application/json", json.dumps({"error": "no_topic", "message": f"Cannot {label.lower()}: {why}."}).encode()
        outcome = "; ".join(answers) or "published; no function is subscribed"
        self.outbox.note(entry_id, {"what": done, "outcome": outcome, "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})
        self.log(f"outbox {entry_id}: {done} → {outcome}")
        return (303, "application/json", json.dumps({"id": entry_id, "action": action, "outcome": outcome}).encode(),
                [("Location", f"/_local/outbox#m-{entry_id}")])

    def home_page(self) -> bytes:
        links = "".join(f'<li><a href="{url}">{name}</a> {url}</li>' for name, url in self.index()["sites"].items())
        return (f"<!doctype html><title>Mainstreet local</title><h1>Mainstreet, stack {self.stack}, on this machine</h1>"
                f"<ul>{links}</ul><p><a href='/_local/outbox'>Outbox</a> · <a href='/_local/'>index (JSON)</a></p>"
                f"<p>Sign in to the staff pages as <code>{escape(self.credentials['staff_email'])}</code>, password "
                f"<code>{escape(self.credentials['staff_password'])}</code>.</p>").encode()

    def not_here_page(self, host: str) -> bytes:
        return (f"<!doctype html><title>Not here</title><p>No site answers to {escape(host)} here. "
                f"Sites: <a href='{self.base_url()}/'>{self.base_url()}/</a></p>").encode()

    def _handler_class(self):
        system = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # the front door logs each request itself
                pass

            def _serve(self) -> None:
                path, _, query = self.path.partition("?")
                declared = (self.headers.get("Content-Length") or "0").strip()
                if not declared.isascii() or not declared.isdigit():
                    return self._refuse(400, "The request's Content-Length is not a number of bytes.")
                if int(declared) > MAX_BODY_BYTES:  # never read (or allocate) what no function could take
                    return self._refuse(413, f"The request body is over {MAX_BODY_BYTES // 2**20} MB.")
                length = int(declared)
                body = self.rfile.read(length) if length else b""
                host = self.headers.get("Host", "")
                site = site_of(host)
                if is_control_host(host):
                    if self.command not in ("GET", "HEAD") and not from_this_machine(self.headers):
                        return self._refuse(403, "Local control answers requests from this machine's tools, not from web pages.")
                    if path.startswith("/_local"):
                        status, kind, data, *headers = system.control(self.command, path, body)
                        extra = [("X-Function-Error", "Unhandled")] if kind.endswith("+error") else []
                        extra += headers[0] if headers else []
                        self._send(status, [("Content-Type", kind.removesuffix("+error")), *extra], data)
                    else:
                        self._send(200, [("Content-Type", "text/html; charset=utf-8")], system.home_page())
                elif site in system.sites:  # every path, /_local/ too, is the site's, as on CloudFront
                    headers = {k.lower(): v for k, v in self.headers.items()}
                    response = system.frontdoor.handle(site, Request(self.command, path, query, headers, body))
                    self._send(response.status, response.headers, response.body)
                else:  # an unknown site, or a name that is not this machine's: nothing local to see
                    self._send(404, [("Content-Type", "text/html; charset=utf-8")], system.not_here_page(host))

            def _refuse(self, status: int, message: str) -> None:
                self.close_connection = True  # an unread body must not be taken for the next request
                body = json.dumps({"error": "refused", "message": message}).encode()
                self._send(status, [("Content-Type", "application/json"), ("Connection", "close")], body)

            def _send(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
                self.send_response(status)
                for name, value in headers:
                    if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                        self.send_header(name, value)
                if self.close_connection:
                    self.send_header("Connection", "close")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve

        return Handler

    # -- stopping -------------------------------------------------------------------------------
    def stop(self) -> None:
        for step in (lambda: self.http.shutdown(), lambda: self.scheduler.stop(),
                     lambda: [poller.stop() for poller in self.streams],
                     lambda: self.persist and self._save_objects(), lambda: self.pool.stop(),
                     lambda: self.moto.stop(), lambda: self.dynamodb.stop()):
            try:
                step()
            except Exception as exc:  # keep stopping the rest
                self.log(f"while stopping: {exc}")


def main(args) -> int:
    overrides = {}
    for pair in getattr(args, "config", None) or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise SystemExit(f"--config {pair!r}: write KEY=VALUE, e.g. --config quietHours=00:00-00:00")
        overrides[key.removeprefix("mainstreet:")] = value
    system = LocalSystem(args.stack, args.port, args.persist, getattr(args, "program", None),
                         state=getattr(args, "state_dir", None) or DEFAULT_STATE, overrides=overrides)
    try:
        system.start()
    except Exception:
        if hasattr(system, "dynamodb"):
            system.stop()
        raise
    index = system.index()
    print(f"\nMainstreet ({args.stack}) is running on this machine, started in {system.startup_seconds:.1f} s:")
    for name, url in index["sites"].items():
        print(f"  {name:9} {url}")
    print(f"  outbox    {index['outbox']}")
    print(f"  index     {system.base_url()}/_local/")
    print(f"  staff sign-in: {index['credentials']['staff_email']}, password {index['credentials']['staff_password']}")
    for name, value in index["credentials"].items():
        if not name.startswith("staff_"):
            print(f"  {name.replace('_', ' ')}: {value}")
    print("Ctrl-C stops everything.\n", flush=True)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    try:
        while not stopped.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    print("\nstopping…", flush=True)
    system.stop()
    return 0
