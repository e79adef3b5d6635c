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
    "staff_passcode": "harness-passcode",
    "service_key": "harness-service-key-0123456789abcdef",
    "pos_hmac_secret": "harness-pos-secret-0123456789abcdef",
}
TEST_PASSCODE = TEST_CREDENTIALS["staff_passcode"]
TEST_SERVICE_KEY = TEST_CREDENTIALS["service_key"]
TEST_POS_SECRET = TEST_CREDENTIALS["pos_hmac_secret"]
TEST_SALT = b"harness-salt-000"  # a fixed salt: the same stored hash, so the same graph, every run

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

    return stored(TEST_CREDENTIALS, salt=TEST_SALT)


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


def merged_config(stack: str, overrides: dict[str, Any] | None = None, secrets: dict[str, str] | None = None) -> tuple[dict[str, str], list[str]]:
    """`project:key` → string, as `pulumi up` would pass it, plus the secret keys."""
    config: dict[str, str] = {f"{PROJECT}:{k}": _encode(v) for k, v in project_defaults().items()}
    for key, value in stack_values(stack).items():
        if isinstance(value, dict) and "secure" in value:
            continue  # ciphertext: the harness supplies its own secrets
        config[key if ":" in key else f"{PROJECT}:{key}"] = _encode(value)
    for key, value in (overrides or {}).items():
        full = key if ":" in key else f"{PROJECT}:{key}"
        if value is None:
            config.pop(full, None)
        else:
            config[full] = _encode(value)
    secret_keys = []
    for key, value in (test_secrets() if secrets is None else secrets).items():
        config[f"{PROJECT}:{key}"] = value
        secret_keys.append(f"{PROJECT}:{key}")
    return config, secret_keys


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

    def arn(self, service: str, resource: str, region: bool = True, account: bool = True) -> str:
        return f"arn:aws:{service}:{self.region if region else ''}:{ACCOUNT_ID if account else ''}:{resource}"

    def computed(self, typ: str, name: str, inputs: dict) -> tuple[str, dict]:
        """The outputs AWS would fill in, for the types the program uses."""
        out = dict(inputs)
        rid = inputs.get("name") or f"{name}-{_short(typ, name, n=8)}"
        if typ == "aws:dynamodb/table:Table":
            out["arn"] = self.arn("dynamodb", f"table/{rid}")
            out["streamArn"] = f"{out['arn']}/stream/2026-01-01T00:00:00.000"
        elif typ == "aws:s3/bucket:Bucket":
            rid = inputs["bucket"]
            out["arn"] = f"arn:aws:s3:::{rid}"
            out["bucketRegionalDomainName"] = f"{rid}.s3.{self.region}.amazonaws.com"
        elif typ == "aws:lambda/function:Function":
            out["arn"] = self.arn("lambda", f"function:{rid}")
            out["invokeArn"] = f"arn:aws:apigateway:{self.region}:lambda:path/2015-03-31/functions/{out['arn']}/invocations"
        elif typ == "aws:lambda/functionUrl:FunctionUrl":
            # Real URL ids are random; the function's name keeps local mode's mapping readable.
            out["functionUrl"] = f"https://{inputs['functionName']}.lambda-url.{self.region}.on.aws/"
            out["urlId"] = inputs["functionName"]
        elif typ == "aws:iam/role:Role":
            out["arn"] = self.arn("iam", f"role/{rid}", region=False)
        elif typ == "aws:cloudwatch/logGroup:LogGroup":
            out["arn"] = self.arn("logs", f"log-group:{rid}")
        elif typ == "aws:secretsmanager/secret:Secret":
            out["arn"] = self.arn("secretsmanager", f"secret:{rid}-{_short(rid, n=6)}")
            rid = out["arn"]
        elif typ == "random:index/randomPassword:RandomPassword":
            out["result"] = _short("random", name, n=48)
        elif typ == "aws:cloudfront/distribution:Distribution":
            rid = "E" + _short(typ, name).upper()
            out["arn"] = self.arn("cloudfront", f"distribution/{rid}", region=False)
            out["domainName"] = f"d{_short(name, n=12)}.cloudfront.net"
            out["hostedZoneId"] = "Z2FDTNDATAQYW2"
            out["etag"] = "E" + _short("etag", name).upper()
        elif typ == "aws:cloudfront/function:Function":
            out["arn"] = self.arn("cloudfront", f"function/{rid}", region=False)
            out["etag"] = "E" + _short("etag", name).upper()
        elif typ.startswith("aws:cloudfront/"):
            rid = _short(typ, name, n=8) + "-" + _short(name, typ, n=4) + "-4" + _short(name, n=3) + "-8" + _short(typ, n=3) + "-" + _short(name, name, n=12)
        elif typ == "aws:sesv2/emailIdentity:EmailIdentity":
            rid = inputs["emailIdentity"]
            out["arn"] = self.arn("ses", f"identity/{rid}")
            out["dkimSigningAttributes"] = {"tokens": [_short("dkim", rid, str(i), n=32) for i in range(3)]}
        elif typ == "aws:sesv2/configurationSet:ConfigurationSet":
            rid = inputs["configurationSetName"]
            out["arn"] = self.arn("ses", f"configuration-set/{rid}")
        elif typ == "aws:sns/topic:Topic":
            out["arn"] = self.arn("sns", rid)
            rid = out["arn"]
        elif typ == "aws:acm/certificate:Certificate":
            out["arn"] = self.arn("acm", f"certificate/{_short(name, n=36)}", region=False).replace(":::", ":us-east-1:")
            out["domainValidationOptions"] = [
                {"domainName": inputs["domainName"], "resourceRecordName": f"_x.{inputs['domainName']}.",
                 "resourceRecordType": "CNAME", "resourceRecordValue": "_y.acm-validations.aws."}
            ]
            rid = out["arn"]
        elif typ == "aws:acm/certificateValidation:CertificateValidation":
            out["certificateArn"] = inputs["certificateArn"]
        elif typ == "aws:route53/record:Record":
            out["fqdn"] = inputs["name"]
        elif typ == "aws:scheduler/schedule:Schedule":
            out["arn"] = self.arn("scheduler", f"schedule/default/{rid}")
        elif typ == "aws:ssm/parameter:Parameter":
            out["arn"] = self.arn("ssm", f"parameter{rid}")
        elif "arn" not in out and inputs.get("name"):
            out["arn"] = self.arn(typ.split(":")[1].split("/")[0], f"{typ.split(':')[-1].lower()}/{rid}")
        return str(rid), out

    def mocks(self):
        harness = self

        class _Mocks(self._base):
            def new_resource(self, args):
                inputs = unwrap_secrets(args.inputs)
                rid, outputs = harness.computed(args.typ, args.name, inputs)
                if harness.materializer is not None and args.custom:
                    made = dict(harness.materializer(args.typ, args.name, inputs, outputs) or {})
                    rid = made.pop("__id__", rid)  # the id the emulated service gave it
                    outputs.update(made)
                # The values the program keeps secret: generated keys and what goes into Secrets Manager.
                if args.typ == "random:index/randomPassword:RandomPassword":
                    harness.secret_values.append(outputs["result"])
                if args.typ == "aws:secretsmanager/secretVersion:SecretVersion":
                    harness.secret_values.append(inputs["secretString"])
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
                token = args.token
                if token == "aws:index/getRegion:getRegion":
                    return {"region": harness.region, "name": harness.region, "id": harness.region}
                if token == "aws:index/getCallerIdentity:getCallerIdentity":
                    return {"accountId": ACCOUNT_ID, "arn": f"arn:aws:iam::{ACCOUNT_ID}:user/harness", "userId": "HARNESS", "id": ACCOUNT_ID}
                if token == "aws:ssm/getParameter:getParameter":
                    version = args.args["name"].rsplit("/", 1)[-1]
                    value = f"arn:aws:lambda:{harness.region}:017000801446:layer:AWSLambdaPowertoolsPythonV3-python313-arm64:{version}"
                    return {"name": args.args["name"], "value": value, "type": "String", "id": args.args["name"], "arn": "", "insecureValue": value, "version": 1, "withDecryption": True}
                raise NotImplementedError(f"the harness does not answer invoke {token}")

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
    graph = Graph(stack=stack, config=config)
    failure: list[BaseException] = []

    def target() -> None:
        import asyncio

        import pulumi
        from pulumi.runtime import settings as runtime_settings
        from pulumi.runtime.stack import run_pulumi_func
        from pulumi.runtime.sync_await import _sync_await  # private, used here and nowhere else

        asyncio.set_event_loop(asyncio.new_event_loop())
        try:
            answers = mocks.mocks()
            pulumi.runtime.set_mocks(answers, project=PROJECT, stack=stack, preview=False, monitor=mocks.monitor(answers))
            pulumi.runtime.set_all_config(config, secret_keys)
            root = runtime_settings.get_root_resource()

            def run_program() -> None:
                runpy.run_path(str(main_path), run_name="__main__")
                graph.outputs.update(_sync_await(pulumi.Output.from_input(root.outputs).future()) or {})

            _sync_await(run_pulumi_func(run_program))
        except BaseException as exc:  # re-raised in the caller's thread
            failure.append(exc)

    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    thread = threading.Thread(target=target, name=f"pulumi-{stack}")
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
    graph.resources = mocks.resources
    graph.secret_values = sorted(set(mocks.secret_values + secret_values(config, secret_keys)))
    return graph


def secret_values(config: dict[str, str], secret_keys: list[str]) -> list[str]:
    return [config[key] for key in secret_keys if key in config]
