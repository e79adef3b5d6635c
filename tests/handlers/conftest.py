"""Handlers under test: each loaded with exactly the environment the program gives it, the
program's resources created in moto (or DynamoDB Local), and called with Function URL events.

Every AWS call a handler makes (at import, per request, per invocation, and in functions it
invokes) is replayed against its own function's generated IAM policy (ops.iam): a call the role
would be denied raises AccessDenied as on AWS, and fails the test at teardown even when the
handler swallows it. `@pytest.mark.iam_unchecked(reason="...")` opts a test out."""

from __future__ import annotations

import copy
import importlib
import json
import sys
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from moto import mock_aws

from ops import awscalls, harness, iam
from ops.local import events
from ops.local.dynamodb_local import DynamoDBLocal
from ops.local.materialize import replay

HOST = "ops.example.test"
BROWSER = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 Safari/604.1"


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    cookies: list[str]
    body: bytes

    def json(self):
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode()


class FunctionClient:
    """Calls one handler the way CloudFront → Function URL → Lambda would."""

    def __init__(self, graph: harness.Graph, name: str, monkeypatch, replaced_ids: dict[str, str] | None = None,
                 replay: iam.Replay | None = None):
        fn = graph.named("aws:lambda/function:Function", name)
        ids = replaced_ids or {}
        self.env = {key: ids.get(value, value) for key, value in fn.inputs["environment"]["variables"].items()}
        self.monkeypatch = monkeypatch
        self._own_environment()
        self.name = name
        self.replay = replay
        self.module_name = fn.inputs["handler"].rsplit(".", 1)[0]
        sys.modules.pop(self.module_name, None)
        with self.running():  # cold-start code runs with the function's role too
            self.module = importlib.import_module(self.module_name)
        self.origin_secret = graph.named("aws:ssm/parameter:Parameter", "origin-verify").inputs["value"]  # a SecureString

    def request(self, method: str, path: str, *, headers=None, json_body=None, body=None, query="", origin=True, host=HOST) -> Reply:
        sent = {"user-agent": BROWSER, "cloudfront-viewer-address": "198.51.100.7:51234", "x-forwarded-host": host}
        if origin:
            sent["x-origin-verify"] = self.origin_secret
        if json_body is not None:
            body = json.dumps(json_body)
            sent["content-type"] = "application/json"
        sent.update({k.lower(): v for k, v in (headers or {}).items()})
        sent = {k: v for k, v in sent.items() if v is not None}
        event = events.function_url_event(method, path, query=query, headers=sent, body=body, function_name=self.name)
        with self.running():
            result = self.module.handler(event, events.LambdaContext(function_name=self.name))
        return Reply(*events.response_parts(result))

    def invoke(self, event: dict):
        """A direct invocation (a schedule, a bus event)."""
        with self.running():
            return self.module.handler(event, events.LambdaContext(function_name=self.name))

    def _own_environment(self) -> None:
        """This function's variables win over another's of the same name (code that reads the
        environment at call time, not at import, sees its own function's)."""
        for key, value in self.env.items():
            self.monkeypatch.setenv(key, value)

    @contextmanager
    def running(self):
        """AWS calls made inside are this function's, checked against its role's policies."""
        if _last_function[0] != self.name:
            # Each function has its own execution environments on Lambda: values another function
            # cached in this process (secrets, parameters, settings) must not serve this one.
            self._own_environment()
            _fresh_values()
            _last_function[0] = self.name
        if self.replay is None:
            yield
            return
        with self.replay.acting_as(self.name):
            yield

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, json_body=None, **kw):
        return self.request("POST", path, json_body=json_body, **kw)


def boto3_client(service: str):
    import boto3

    return boto3.client(service, region_name="us-west-2")


def _fresh_caches():
    from handlers.shared import aws, secrets

    aws.client.cache_clear()  # the session stays: clients are cheap to make from it
    secrets.secret_value.cache_clear()


_last_function: list[str | None] = [None]  # the function whose handler ran last in this process


def _fresh_values():
    """Forget what handlers cache per execution environment."""
    from handlers.shared import params, secrets

    secrets.secret_value.cache_clear()
    params.parameter.cache_clear()
    knobs = sys.modules.get("handlers.shared.knobs")
    if knobs is not None:
        knobs._cache.clear()
    notify = sys.modules.get("handlers.shared.notify")
    if notify is not None:
        notify.settings.cache_clear()


def pytest_configure(config):
    config.addinivalue_line("markers", "iam_unchecked(reason): this test's handler calls are not replayed against IAM")


# moto's backends the replay creates resources in (its client list: cognito-idp is cognitoidp, and
# sesv2 keeps its identities in ses's backend).
REPLAYED_BACKENDS = ("cloudfront", "cognitoidp", "dynamodb", "s3", "ses", "sesv2", "sns", "ssm")


def _copyable_ssm_parameters() -> None:
    """moto's ParameterDict takes arguments its pickle protocol does not pass: copy it by hand."""
    from moto.ssm.models import ParameterDict

    def deepcopy(self, memo):
        twin = type(self)(self.account_id, self.region_name)
        memo[id(self)] = twin
        twin.__dict__.update(copy.deepcopy(self.__dict__, memo))
        for key, versions in self.items():
            twin[key] = copy.deepcopy(versions, memo)
        return twin

    ParameterDict.__deepcopy__ = deepcopy


@pytest.fixture(scope="session")
def replayed(dev_graph):
    """The dev stack replayed into moto once per test process: moto's backends as they hold it
    (one deep copy, so what one backend references of another stays shared), and the ids moto gave."""
    from moto.backends import get_backend

    _copyable_ssm_parameters()
    with mock_aws():
        # Handlers never read the sites' own pages (the front door serves them; local mode tests it).
        replaced = replay(dev_graph, site_pages=False).replaced_ids
        kept = copy.deepcopy({name: dict(get_backend(name)) for name in REPLAYED_BACKENDS})
    return replaced, kept


@pytest.fixture
def aws(dev_graph, replayed):
    """moto, holding every resource of the dev stack with the program's physical names: a fresh
    copy of the session's replay for each test (a replay per test cost a fifth of a second)."""
    from moto.backends import get_backend

    from handlers.shared import secrets

    secrets.secret_value.cache_clear()
    _last_function[0] = None  # a new account: nothing a function cached before is good any more
    replaced, kept = replayed
    with mock_aws():
        for name, accounts in copy.deepcopy(kept).items():
            get_backend(name).update(accounts)
        dev_graph.replaced_ids = dict(replaced)
        yield dev_graph


@pytest.fixture
def iam_replay(aws, request):
    """Each handler's AWS calls, checked against its function's generated policies (ops.iam).

    Denials raise in the handler, as on AWS, and fail the test here even if the handler caught them.
    A test that provokes denials on purpose empties `denials` once it has checked them."""
    from handlers.shared import aws as handler_aws

    marker = request.node.get_closest_marker("iam_unchecked")
    if marker is not None:
        assert marker.kwargs.get("reason"), "iam_unchecked needs a reason"
        yield None
        return
    replay = iam.Replay(iam.Stack(aws, aws.replaced_ids))
    session = handler_aws.session()
    replay.register(session)
    handler_aws.client.cache_clear()  # clients copy the session's hooks when made
    _last_function[0] = None
    try:
        yield replay
    finally:
        iam.Replay.unregister(session)
        handler_aws.client.cache_clear()
    assert not replay.problems, "calls the IAM replay could not check:\n" + "\n".join(replay.problems)
    assert not replay.denials, "calls the function's IAM role would be denied on AWS:\n" + "\n".join(map(str, replay.denials))


@pytest.fixture
def function(aws, monkeypatch, iam_replay):
    """function("referral-click") → a client for that function's handler."""
    return lambda name: FunctionClient(aws, name, monkeypatch, aws.replaced_ids, iam_replay)


STAFF_PASSWORD = "harness staff password"


@pytest.fixture
def staff_account(aws):
    """staff_account("ana@example.com", "Ana", ["dispatch"]) → the new account's id (its Cognito
    `sub`), with STAFF_PASSWORD as its own password (no first-sign-in change)."""
    from handlers.shared.directory import Directory

    pool = aws.replaced_ids[aws.named("aws:cognito/userPool:UserPool", "staff").id]
    directory = Directory(boto3_client("cognito-idp"), pool)

    def make(email: str, name: str, roles, password: str | None = STAFF_PASSWORD) -> str:
        return directory.add(email, name, roles, password=password).id

    make.directory = directory  # type: ignore[attr-defined]
    return make


@pytest.fixture
def sign_in(function, staff_account):
    """sign_in("dispatch") → the Cookie header of a fresh session of an account with that role
    (one account per role, made on first use); sign_in("owner") for the owner."""
    session = function("staff-session")
    made: dict[str, str] = {}

    def cookie(*roles: str, email: str | None = None, name: str | None = None) -> str:
        email = email or f"{'-'.join(roles) or 'nobody'}@staff.example"
        if email not in made:
            made[email] = staff_account(email, name or (roles[0].title() if roles else "Nobody"), list(roles))
        reply = session.post("/api/session", {"email": email, "password": STAFF_PASSWORD})
        assert reply.status == 200, reply.text
        return reply.cookies[0].split(";")[0]

    return cookie


@pytest.fixture
def staff_cookie(sign_in):
    """A signed-in owner's Cookie header (the owner may call every staff route)."""
    return sign_in("owner", email="owner@staff.example", name="Olive Owner")


@pytest.fixture
def calls():
    """AWS calls made while the test runs (clients are re-made so they carry the hook)."""
    _fresh_caches()
    with awscalls.counting() as counted:
        yield counted


@pytest.fixture
def sent_mail():
    """What SES accepted, from moto's backend (tests only; local mode captures its own)."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    return lambda: list(ses_backends[DEFAULT_ACCOUNT_ID]["us-west-2"].sent_messages)


@pytest.fixture
def ses_calls(aws):
    """The parameters of each SESv2 SendEmail the handlers make (moto keeps no headers)."""
    from handlers.shared import aws as handler_aws

    made: list[dict] = []
    hooks = handler_aws.session().events
    hooks.register("before-parameter-build.sesv2.SendEmail", lambda params, **_: made.append(params), unique_id="tests.ses_calls")
    handler_aws.client.cache_clear()  # clients copy the session's hooks when they are made
    yield made
    hooks.unregister("before-parameter-build.sesv2.SendEmail", unique_id="tests.ses_calls")
    handler_aws.client.cache_clear()


@pytest.fixture(scope="session")
def dynamodb_local():
    """AWS's own DynamoDB engine, for tests where concurrency or transactions are the point."""
    engine = DynamoDBLocal()
    yield engine
    engine.stop()


@pytest.fixture
def on_dynamodb_local(aws, dynamodb_local, dev_graph, monkeypatch):
    """moto for everything but DynamoDB, which goes to DynamoDB Local with the program's tables."""
    from ops.local.materialize import Materializer

    client = dynamodb_local.client()
    for name in client.list_tables()["TableNames"]:
        client.delete_table(TableName=name)
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", dynamodb_local.endpoint)
    _fresh_caches()
    materializer = Materializer(lambda service: client if service == "dynamodb" else __import__("boto3").client(service))
    for resource in dev_graph.resources:
        if resource.type.startswith("aws:dynamodb/"):
            materializer(resource.type, resource.name, resource.inputs, resource.outputs)
    yield client
    _fresh_caches()


@pytest.fixture
def lambda_invokes(function):
    """lambda.Invoke from a handler runs the target's handler here, as Lambda would run it."""
    from handlers.shared import aws
    from ops.local.lambda_invoke import route_invokes

    targets: dict[str, FunctionClient] = {}

    def invoke(physical: str, payload: bytes):
        logical = physical.removeprefix("mainstreet-dev-")
        if logical not in targets:
            targets[logical] = function(logical)
        try:
            return json.dumps(targets[logical].invoke(json.loads(payload or b"null")), default=str).encode(), False
        except Exception as exc:  # Lambda reports an unhandled error as FunctionError
            return json.dumps({"errorMessage": str(exc)}).encode(), True

    route_invokes(aws.session(), invoke)
    aws.client.cache_clear()
    yield
    aws.session().events.unregister("before-call.lambda.Invoke", unique_id="mainstreet.local.invoke")
    aws.client.cache_clear()
