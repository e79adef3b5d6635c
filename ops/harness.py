"""Run the Pulumi program without the Pulumi CLI: under Pulumi's mock runtime, for a stack.

Used by the infra tests, `ops plan` and `ops local`. It does what the CLI would have done
before the program starts (merge `Pulumi.yaml` defaults with `Pulumi.<stack>.yaml`, supply the
secrets) and records every resource the program declares, with its inputs and the outputs the
mocks gave it. A materializer (local mode) can create each resource for real as it is declared.
"""

from __future__ import annotations

import hashlib
import json
import runpy
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

import yaml

ROOT = Path(__file__).resolve().parent.parent
PROJECT = "mainstreet"
REGION_DEFAULT = "us-west-2"
ACCOUNT_ID = "123456789012"  # moto's account, so ARNs line up in local mode
# The plain secrets of runs that are not a real deployment (tests, plan), by credential name
# (components/stack/secrets.py says which config key each becomes, and how).
TEST_CREDENTIALS = {
    "service_key": "harness-service-key-0123456789abcdef",
    "pos_hmac_secret": "harness-pos-secret-0123456789abcdef",
}
TEST_SERVICE_KEY = TEST_CREDENTIALS["service_key"]
TEST_POS_SECRET = TEST_CREDENTIALS["pos_hmac_secret"]
# Stack-file values left for the owner to fill in (`REPLACE_...`): config validation refuses them at
# `pulumi up`. Runs that are not a deployment (tests, plan, local) stand a realistic value in for them
# and list it in `Graph.stand_ins`; an override still wins, so a test can check the refusal.
TEST_ZONE_ID = "Z06284913HARNESS7QK4W"
STAND_INS = {"hostedZoneId": TEST_ZONE_ID}
# No mail leaves a run that is not a deployment (moto keeps it, local mode's outbox shows it). A stack in
# mail sandbox mode also allow-lists the example domains its demo data and the tests mail (and its
# vendors' domains), so each mail is seen as its handler addressed it; anyone else is still redirected.
TEST_MAIL_DOMAINS = ("example.com", "crew.example", "dev.mainstreet.example")

# materializer(type, logical name, inputs, outputs so far) → output overrides (or None)
Materializer = Callable[[str, str, dict, dict], Optional[dict]]


@dataclass
class Resource:
    type: str
    name: str
    inputs: dict
    outputs: dict
    custom: bool
    id: str = ""
    urn: str = ""
    parent: str = ""  # the parent's URN
    protect: bool = False
    retain_on_delete: bool = False
    ignore_changes: tuple[str, ...] = ()

    def get(self, key: str, default: Any = None) -> Any:
        return self.inputs.get(key, default)


@dataclass
class Graph:
    stack: str
    resources: list[Resource] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    config: dict[str, str] = field(default_factory=dict)
    secret_values: list[str] = field(default_factory=list)  # every value the program marked secret
    stand_ins: dict[str, str] = field(default_factory=dict)  # `project:key` → the stack file's placeholder it replaced
    replaced_ids: dict[str, str] = field(default_factory=dict)  # mock id → id an emulator gave it (tests)

    def of_type(self, type_: str) -> list[Resource]:
        return [r for r in self.resources if r.type == type_]

    def named(self, type_: str, name: str) -> Resource:
        matches = [r for r in self.of_type(type_) if r.name == name]
        if len(matches) != 1:
            raise KeyError(f"{len(matches)} resources of type {type_} named {name}")
        return matches[0]


def test_secrets() -> dict[str, str]:
    """Secret config for runs that are not a real deployment (tests, plan)."""
    from components.stack.secrets import stored

    return stored(TEST_CREDENTIALS)


def _read_yaml(path: Path) -> dict:
    return yaml.safe_load(path.read_text()) or {}


def project_defaults() -> dict[str, Any]:
    declared = _read_yaml(ROOT / "Pulumi.yaml").get("config", {})
    return {key: spec["default"] for key, spec in declared.items() if isinstance(spec, dict) and "default" in spec}


def stack_values(stack: str) -> dict[str, Any]:
    path = ROOT / f"Pulumi.{stack}.yaml"
    if not path.exists():
        raise FileNotFoundError(f"no stack file {path.name}")
    return _read_yaml(path).get("config", {}) or {}


def _encode(value: Any) -> str:
    # The CLI hands the program strings; structured values arrive JSON-encoded.
    return value if isinstance(value, str) else json.dumps(value)


def stood_in(stack: str) -> dict[str, str]:
    """`project:key` → placeholder, for each stack-file value the harness replaces (see `STAND_INS`)."""
    from components.stack.config import placeholder

    values = {key if ":" in key else f"{PROJECT}:{key}": value for key, value in stack_values(stack).items()}
    found = {}
    for key in STAND_INS:
        value = values.get(f"{PROJECT}:{key}")
        if isinstance(value, str) and placeholder(value):
            found[f"{PROJECT}:{key}"] = value
    return found


def merged_config(stack: str, overrides: dict[str, Any] | None = None, secrets: dict[str, str] | None = None) -> tuple[dict[str, str], list[str]]:
    """`project:key` → string, as `pulumi up` would pass it, plus the secret keys. The stack file's
    placeholders get realistic test values (`STAND_INS`); overrides still win."""
    config: dict[str, str] = {f"{PROJECT}:{k}": _encode(v) for k, v in project_defaults().items()}
    for key, value in stack_values(stack).items():
        if isinstance(value, dict) and "secure" in value:
            continue  # ciphertext: the harness supplies its own secrets
        config[key if ":" in key else f"{PROJECT}:{key}"] = _encode(value)
    for key in stood_in(stack):
        config[key] = STAND_INS[key.partition(":")[2]]
    for key, value in (overrides or {}).items():
        full = key if ":" in key else f"{PROJECT}:{key}"
        if value is None:
            config.pop(full, None)
        else:
            config[full] = _encode(value)
    if _mail_sandbox(config) and not {"mailMode", "mailSandboxRecipients"} & {k.rpartition(":")[2] for k in overrides or {}}:
        _allow_test_mail(config)
    secret_keys = []
    for key, value in (test_secrets() if secrets is None else secrets).items():
        config[f"{PROJECT}:{key}"] = value
        secret_keys.append(f"{PROJECT}:{key}")
    return config, secret_keys


def _mail_sandbox(config: dict[str, str]) -> bool:
    """Whether the stack's mail runs in sandbox mode (an empty mailMode follows the stage: see config.py)."""
    mode = config.get(f"{PROJECT}:mailMode", "")
    return mode == "sandbox" or (not mode and config.get(f"{PROJECT}:stage", "dev") == "dev")


def _allow_test_mail(config: dict[str, str]) -> None:
    """Add `TEST_MAIL_DOMAINS` and the vendors' domains to the sandbox allow-list (values config.py refuses stay as they are)."""
    key = f"{PROJECT}:mailSandboxRecipients"
    try:
        listed, vendor_lines = json.loads(config.get(key, "[]")), json.loads(config.get(f"{PROJECT}:vendors", "[]"))
    except json.JSONDecodeError:
        return
    vendors = [line.split("|")[2].strip().rpartition("@")[2] for line in vendor_lines
               if isinstance(line, str) and line.count("|") == 3]
    config[key] = json.dumps(list(dict.fromkeys([*listed, *TEST_MAIL_DOMAINS, *vendors])))


def region_of(config: dict[str, str]) -> str:
    return config.get("aws:region", REGION_DEFAULT)


SECRET_SIG = "4dabf18193072939515e22adb298388d"  # Pulumi's marker of a secret value on the wire


def unwrap_secrets(value: Any) -> Any:
    """Plain values in place of Pulumi's secret wrappers."""
    if isinstance(value, dict):
        if value.get(SECRET_SIG) == "1b47061264138c4ac30d75fd1eb44270":
            return unwrap_secrets(value.get("value"))
        return {k: unwrap_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap_secrets(v) for v in value]
    return value


def _short(*parts: str, n: int = 13) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:n]


@dataclass
class Declared:
    """One resource being answered, as a row of `SHAPES` sees it."""

    typ: str
    name: str  # logical name
    inputs: dict
    region: str
    id: str = ""
    arn: str = ""


@dataclass(frozen=True)
class Shape:
    """What AWS fills in for one resource type: its id, its ARN and any other outputs."""

    arn: str | Callable[[Declared], str] | None = None  # a pattern of {region}, {account}, {id}, or computed
    id: Callable[[Declared], str] | None = None  # default: the `name` input, else the logical name and a hash
    outputs: Callable[[Declared], dict] | None = None  # outputs besides the ARN
    id_is_arn: bool = False  # the provider's id is the ARN (topics, secrets, certificates)


def _uuid_like(r: Declared) -> str:
    return (_short(r.typ, r.name, n=8) + "-" + _short(r.name, r.typ, n=4) + "-4" + _short(r.name, n=3) + "-8"
            + _short(r.typ, n=3) + "-" + _short(r.name, r.name, n=12))


# Resource type (or `provider:module/*` for every type of a module) → its shape. A type without a
# row gets, when it has a `name` input, an ARN built from its module, type and name.
SHAPES: dict[str, Shape] = {
    "aws:dynamodb/table:Table": Shape(
        "arn:aws:dynamodb:{region}:{account}:table/{id}",
        outputs=lambda r: {"streamArn": f"{r.arn}/stream/2026-01-01T00:00:00.000"}),
    "aws:s3/bucket:Bucket": Shape(
        "arn:aws:s3:::{id}", id=lambda r: r.inputs["bucket"],
        outputs=lambda r: {"bucketRegionalDomainName": f"{r.id}.s3.{r.region}.amazonaws.com"}),
    "aws:lambda/function:Function": Shape(
        "arn:aws:lambda:{region}:{account}:function:{id}",
        outputs=lambda r: {"invokeArn": f"arn:aws:apigateway:{r.region}:lambda:path/2015-03-31/functions/{r.arn}/invocations"}),
    # Real URL ids are random; the function's name keeps local mode's mapping readable.
    "aws:lambda/functionUrl:FunctionUrl": Shape(
        outputs=lambda r: {"functionUrl": f"https://{r.inputs['functionName']}.lambda-url.{r.region}.on.aws/",
                           "urlId": r.inputs["functionName"]}),
    # A layer version's id is its ARN, version included; `layerArn` is the layer's without it.
    # Every mock run publishes the first version.
    "aws:lambda/layerVersion:LayerVersion": Shape(
        "arn:aws:lambda:{region}:{account}:layer:{id}:1", id=lambda r: r.inputs["layerName"], id_is_arn=True,
        outputs=lambda r: {"layerArn": r.arn.rsplit(":", 1)[0], "version": "1"}),
    "aws:iam/role:Role": Shape("arn:aws:iam::{account}:role/{id}"),
    "aws:cloudwatch/logGroup:LogGroup": Shape("arn:aws:logs:{region}:{account}:log-group:{id}"),
    "random:index/randomPassword:RandomPassword": Shape(outputs=lambda r: {"result": _short("random", r.name, n=48)}),
    "aws:cloudfront/distribution:Distribution": Shape(
        "arn:aws:cloudfront::{account}:distribution/{id}", id=lambda r: "E" + _short(r.typ, r.name).upper(),
        outputs=lambda r: {"domainName": f"d{_short(r.name, n=12)}.cloudfront.net", "hostedZoneId": "Z2FDTNDATAQYW2",
                           "etag": "E" + _short("etag", r.name).upper()}),
    "aws:cloudfront/function:Function": Shape(
        "arn:aws:cloudfront::{account}:function/{id}", outputs=lambda r: {"etag": "E" + _short("etag", r.name).upper()}),
    "aws:cloudfront/*": Shape(id=_uuid_like),  # policies and origin access controls: ids are UUIDs
    "aws:sesv2/emailIdentity:EmailIdentity": Shape(
        "arn:aws:ses:{region}:{account}:identity/{id}", id=lambda r: r.inputs["emailIdentity"],
        outputs=lambda r: {"dkimSigningAttributes": {"tokens": [_short("dkim", r.id, str(i), n=32) for i in range(3)]}}),
    "aws:sesv2/configurationSet:ConfigurationSet": Shape(
        "arn:aws:ses:{region}:{account}:configuration-set/{id}", id=lambda r: r.inputs["configurationSetName"]),
    "aws:sns/topic:Topic": Shape("arn:aws:sns:{region}:{account}:{id}", id_is_arn=True),
    # No region in the ARN (the mock has always answered so; real ones are in us-east-1 for CloudFront).
    "aws:acm/certificate:Certificate": Shape(
        lambda r: f"arn:aws:acm::{ACCOUNT_ID}:certificate/{_short(r.name, n=36)}", id_is_arn=True,
        outputs=lambda r: {"domainValidationOptions": [
            {"domainName": r.inputs["domainName"], "resourceRecordName": f"_x.{r.inputs['domainName']}.",
             "resourceRecordType": "CNAME", "resourceRecordValue": "_y.acm-validations.aws."}]}),
    "aws:acm/certificateValidation:CertificateValidation": Shape(
        outputs=lambda r: {"certificateArn": r.inputs["certificateArn"]}),
    "aws:route53/record:Record": Shape(outputs=lambda r: {"fqdn": r.inputs["name"]}),
    "aws:scheduler/schedule:Schedule": Shape("arn:aws:scheduler:{region}:{account}:schedule/default/{id}"),
    "aws:ssm/parameter:Parameter": Shape("arn:aws:ssm:{region}:{account}:parameter{id}"),
    # Pool ids are "<region>_<9 characters>"; client ids 26 lower-case characters; a group's id is
    # "<pool id>/<group name>".
    "aws:cognito/userPool:UserPool": Shape(
        "arn:aws:cognito-idp:{region}:{account}:userpool/{id}", id=lambda r: f"{r.region}_{_short(r.name, n=9)}",
        outputs=lambda r: {"endpoint": f"cognito-idp.{r.region}.amazonaws.com/{r.id}"}),
    "aws:cognito/userPoolClient:UserPoolClient": Shape(id=lambda r: _short(r.typ, r.name, n=26)),
    "aws:cognito/userGroup:UserGroup": Shape(id=lambda r: f"{r.inputs['userPoolId']}/{r.inputs['name']}"),
}

# Resource type → the output holding a value the program keeps secret (generated keys and what
# goes into a SecureString parameter); `Graph.secret_values` lists them so tests can look for leaks.
SECRET_OUTPUTS = {
    "random:index/randomPassword:RandomPassword": "result",
    "aws:ssm/parameter:Parameter": "value",  # SecureString ones only: see `secret_output`
}


def secret_output(typ: str, inputs: dict) -> str | None:
    """The output of this resource that holds a secret value, if any (plain String parameters
    hold addresses and settings, which environments may carry)."""
    if typ == "aws:ssm/parameter:Parameter" and inputs.get("type") != "SecureString":
        return None
    return SECRET_OUTPUTS.get(typ)


def mock_outputs(typ: str, name: str, inputs: dict, region: str) -> tuple[str, dict]:
    """The id and outputs AWS would give a resource: its inputs, plus what its `SHAPES` row adds."""
    r = Declared(typ, name, inputs, region)
    r.id = inputs.get("name") or f"{name}-{_short(typ, name, n=8)}"
    out = dict(inputs)
    shape = SHAPES.get(typ) or SHAPES.get(typ.partition("/")[0] + "/*")
    if shape is None:
        if "arn" not in out and inputs.get("name"):
            service, kind = typ.split(":")[1].split("/")[0], typ.split(":")[-1].lower()
            out["arn"] = f"arn:aws:{service}:{region}:{ACCOUNT_ID}:{kind}/{r.id}"
        return str(r.id), out
    if shape.id is not None:
        r.id = shape.id(r)
    if shape.arn is not None:
        r.arn = out["arn"] = shape.arn(r) if callable(shape.arn) else shape.arn.format(region=region, account=ACCOUNT_ID, id=r.id)
    if shape.outputs is not None:
        out.update(shape.outputs(r))
    return str(r.arn if shape.id_is_arn else r.id), out


# Public parameters to answer as missing (Powertools has skipped some releases' parameters): tests
# add names here to see the program fall back instead of aborting.
MISSING_PARAMETERS: set[str] = set()


def _powertools_layer(region: str, args: dict) -> dict | tuple[dict, list[tuple[str, str]]]:
    if args["name"] in MISSING_PARAMETERS:
        return {}, [("name", f"ParameterNotFound: {args['name']}")]
    version = args["name"].rsplit("/", 1)[-1]
    value = f"arn:aws:lambda:{region}:017000801446:layer:AWSLambdaPowertoolsPythonV3-python313-arm64:{version}"
    return {"name": args["name"], "value": value, "type": "String", "id": args["name"], "arn": "", "insecureValue": value,
            "version": 1, "withDecryption": True}


# Invoke token → (region, arguments) → its answer.
INVOKES: dict[str, Callable[[str, dict], Any]] = {
    "aws:index/getRegion:getRegion": lambda region, args: {"region": region, "name": region, "id": region},
    "aws:index/getCallerIdentity:getCallerIdentity": lambda region, args: {
        "accountId": ACCOUNT_ID, "arn": f"arn:aws:iam::{ACCOUNT_ID}:user/harness", "userId": "HARNESS", "id": ACCOUNT_ID},
    "aws:ssm/getParameter:getParameter": _powertools_layer,  # the Powertools layer's public parameter
}


class ProgramMocks:
    """Answers the program's resource registrations and invokes as AWS would, shape-wise."""

    def __init__(self, region: str, materializer: Materializer | None = None):
        import pulumi

        self.region = region
        self.materializer = materializer
        self.resources: list[Resource] = []
        self.secret_values: list[str] = []
        # The registration being answered, per thread (the SDK registers from a thread pool):
        # it carries options (protect, parent, ...) that mocks are not shown.
        self.local = threading.local()
        self.lock = threading.Lock()
        self._base = pulumi.runtime.Mocks

    def mocks(self):
        harness = self

        class _Mocks(self._base):
            def new_resource(self, args):
                inputs = unwrap_secrets(args.inputs)
                rid, outputs = mock_outputs(args.typ, args.name, inputs, harness.region)
                if harness.materializer is not None and args.custom:
                    made = dict(harness.materializer(args.typ, args.name, inputs, outputs) or {})
                    rid = made.pop("__id__", rid)  # the id the emulated service gave it
                    outputs.update(made)
                secret = secret_output(args.typ, inputs)
                if secret is not None:
                    harness.secret_values.append(outputs[secret])
                request = getattr(harness.local, "request", None)
                resource = Resource(args.typ, args.name, inputs, outputs, bool(args.custom), id=rid)
                if request is not None and request.name == args.name and request.type == args.typ:
                    resource.parent = request.parent
                    resource.protect = bool(request.protect)
                    resource.retain_on_delete = bool(request.retainOnDelete)
                    resource.ignore_changes = tuple(request.ignoreChanges)
                    harness.local.resource = resource
                with harness.lock:
                    harness.resources.append(resource)
                return rid, outputs

            def call(self, args):
                if args.token not in INVOKES:
                    raise NotImplementedError(f"the harness does not answer invoke {args.token}")
                return INVOKES[args.token](harness.region, args.args)

        return _Mocks()

    def monitor(self, mocks):
        from pulumi.runtime.mocks import MockMonitor

        harness = self

        class _Monitor(MockMonitor):
            def RegisterResource(self, request):
                harness.local.request, harness.local.resource = request, None
                try:
                    response = super().RegisterResource(request)
                finally:
                    harness.local.request = None
                if harness.local.resource is not None:
                    harness.local.resource.urn = response.urn
                return response

        return _Monitor(mocks)


def run(
    stack: str,
    *,
    overrides: dict[str, Any] | None = None,
    secrets: dict[str, str] | None = None,
    materializer: Materializer | None = None,
    program: Path | str | None = None,
) -> Graph:
    """Run `__main__.py` for `stack` under mocks; returns the declared graph and the exports.

    Runs in a thread of its own: a fresh event loop and fresh context variables, so nothing of
    one run (a pending output, the root stack resource) leaks into the next.
    """
    config, secret_keys = merged_config(stack, overrides, secrets)
    main_path = Path(program) if program else ROOT / "__main__.py"
    mocks = ProgramMocks(region_of(config), materializer)
    overridden = {key if ":" in key else f"{PROJECT}:{key}" for key in overrides or {}}
    graph = Graph(stack=stack, config=config, stand_ins={k: v for k, v in stood_in(stack).items() if k not in overridden})
    failure: list[BaseException] = []
    finished = threading.Event()

    def target() -> None:
        import asyncio

        import pulumi

        asyncio.set_event_loop(asyncio.new_event_loop())
        try:
            answers = mocks.mocks()
            pulumi.runtime.set_mocks(answers, project=PROJECT, stack=stack, preview=False, monitor=mocks.monitor(answers))
            pulumi.runtime.set_all_config(config, secret_keys)
            root = pulumi.runtime.get_root_resource()

            # `pulumi.runtime.test` is the SDK's public way to run a function under mocks to the end:
            # it waits for every registration and for the Output the function returns (here, the
            # exports), on this thread's event loop. No private SDK function is needed.
            @pulumi.runtime.test
            def run_program() -> pulumi.Output:
                try:
                    runpy.run_path(str(main_path), run_name="__main__")
                except BaseException as exc:
                    # Outputs the program never got to resolve (a site's deferred outputs) would keep
                    # the SDK waiting for ever: report the failure now and leave the thread behind.
                    failure.append(exc)
                    finished.set()
                    raise
                return pulumi.Output.from_input(root.outputs).apply(lambda exports: graph.outputs.update(exports or {}))

            run_program()
        except BaseException as exc:  # re-raised in the caller's thread
            if not failure:
                failure.append(exc)
        finally:
            finished.set()

    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    thread = threading.Thread(target=target, name=f"pulumi-{stack}", daemon=True)
    thread.start()
    finished.wait()
    if failure:
        raise failure[0]
    graph.resources = mocks.resources
    graph.secret_values = sorted(set(mocks.secret_values + secret_values(config, secret_keys)))
    return graph


def secret_values(config: dict[str, str], secret_keys: list[str]) -> list[str]:
    return [config[key] for key in secret_keys if key in config]
