"""`python -m ops deploy --stack S [--dry-run]`: after `pulumi up`, put live what Pulumi does not.

1. Edge functions: where edge/<name>.js differs from the LIVE code, the new code goes to the
   DEVELOPMENT stage, CloudFront's TestFunction runs it against edge/fixtures/<name>.json, and
   only when every fixture passes for every function is anything published.
2. Generated pages (ops/generated.py) are uploaded where their content changed.
3. Exactly the changed paths are invalidated, collapsed to wildcards past a threshold; the
   manifest deployed is kept in the bucket (_deploy/, private) for the next comparison.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from ops import edge, generated

MANIFEST_KEY = "_deploy/manifest.json"
COLLAPSE_PAST = 15  # more changed paths than this become wildcards (each wildcard is one path)


class DeployError(RuntimeError):
    pass


@dataclass
class SitePlan:
    site: str
    edge_updates: list[str] = field(default_factory=list)  # edge names whose LIVE code differs
    uploads: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    invalidations: list[str] = field(default_factory=list)
    manifest: dict[str, str] = field(default_factory=dict)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def viewer_paths(key: str, aliases: dict[str, list[str]]) -> list[str]:
    """The URLs an object is served under: itself, its directory for an index, edge aliases."""
    paths = [f"/{key}"]
    if key == "index.html" or key.endswith("/index.html"):
        paths.insert(0, "/" + key.removesuffix("index.html"))
    return paths + list(aliases.get(key, []))


def collapse(paths: list[str], limit: int = COLLAPSE_PAST) -> list[str]:
    """Up to `limit` exact paths; past that, one wildcard per top-level directory, then `/*`."""
    unique = sorted(set(paths))
    if len(unique) <= limit:
        return unique
    grouped = sorted({p if p.count("/") == 1 else "/" + p.split("/")[1] + "/*" for p in unique})
    return grouped if len(grouped) <= limit else ["/*"]


def _live_code(edge_client, name: str) -> bytes | None:
    try:
        return edge_client.get_function(Name=name, Stage="LIVE")["FunctionCode"].read()
    except edge_client.exceptions.NoSuchFunctionExists:
        return None


def _output_of(result: dict) -> dict:
    """TestFunction's FunctionOutput, as the {"ok": ...} shape ops.edge.check reads."""
    if result.get("FunctionErrorMessage"):
        return {"error": result["FunctionErrorMessage"]}
    output = json.loads(result.get("FunctionOutput") or "{}")
    return {"ok": output.get("response") or output.get("request") or output}


class Deployer:
    def __init__(self, outputs: dict[str, Any], s3, cloudfront, edge_client, say: Callable[[str], None] = print):
        self.outputs = outputs
        self.s3 = s3
        self.cloudfront = cloudfront  # invalidations
        self.edge = edge_client  # CloudFront Functions (TestFunction, PublishFunction, ...)
        self.say = say

    # -- planning (reads only) -------------------------------------------------------------------
    def plan(self) -> list[SitePlan]:
        return [self._plan_site(name, site) for name, site in self.outputs["sites"].items()]

    def _plan_site(self, name: str, site: dict) -> SitePlan:
        plan = SitePlan(name)
        for edge_name, function_name in site.get("edge_functions", {}).items():
            if _live_code(self.edge, function_name) != edge.source(edge_name).encode():
                plan.edge_updates.append(edge_name)
        manifest = dict(site.get("manifest", {}))
        for key, (body, content_type) in generated.pages(name, self.outputs).items():
            digest = sha256(body)
            manifest[key] = digest
            if self._object_digest(site["bucket"], key) != digest:
                plan.uploads[key] = (body, content_type)
        previous = self._previous_manifest(site["bucket"])
        changed = [key for key, digest in manifest.items() if previous.get(key) != digest]
        removed = [key for key in previous if key not in manifest]
        aliases = site.get("aliases", {})
        plan.invalidations = collapse([p for key in changed + removed for p in viewer_paths(key, aliases)])
        plan.manifest = manifest
        return plan

    def _object_digest(self, bucket: str, key: str) -> str | None:
        try:
            return self.s3.head_object(Bucket=bucket, Key=key).get("Metadata", {}).get("sha256")
        except self.s3.exceptions.ClientError:
            return None

    def _previous_manifest(self, bucket: str) -> dict[str, str]:
        try:
            return json.loads(self.s3.get_object(Bucket=bucket, Key=MANIFEST_KEY)["Body"].read())
        except self.s3.exceptions.NoSuchKey:
            return {}

    # -- applying ----------------------------------------------------------------------------------
    def test_edge(self, plans: list[SitePlan]) -> dict[str, str]:
        """Put each changed function's code on DEVELOPMENT and run its fixtures there.

        Returns function name → the DEVELOPMENT ETag that passed; raises on any failure, before
        anything has been published.
        """
        passed, failures = {}, []
        for plan in plans:
            names = self.outputs["sites"][plan.site]["edge_functions"]
            for edge_name in plan.edge_updates:
                function_name = names[edge_name]
                described = self.edge.describe_function(Name=function_name, Stage="DEVELOPMENT")
                config = described["FunctionSummary"]["FunctionConfig"]
                etag = self.edge.update_function(
                    Name=function_name,
                    IfMatch=described["ETag"],
                    FunctionConfig={"Comment": config.get("Comment", ""), "Runtime": config["Runtime"]},
                    FunctionCode=edge.source(edge_name).encode(),
                )["ETag"]
                for case in edge.fixtures(edge_name):
                    event = json.dumps(edge.viewer_request(case["request"])).encode()
                    result = self.edge.test_function(Name=function_name, IfMatch=etag, Stage="DEVELOPMENT", EventObject=event)
                    problems = edge.check(case["expect"], _output_of(result["TestResult"]))
                    failures += [f"{function_name}: {case['name']}: {p}" for p in problems]
                self.say(f"  tested {function_name} on DEVELOPMENT against {len(edge.fixtures(edge_name))} fixtures")
                passed[function_name] = etag
        if failures:
            raise DeployError("edge functions failed TestFunction; nothing was published:\n  " + "\n  ".join(failures))
        return passed

    def apply(self, plans: list[SitePlan]) -> None:
        tested = self.test_edge(plans)
        for function_name, etag in tested.items():
            self.edge.publish_function(Name=function_name, IfMatch=etag)
            self.say(f"  published {function_name}")
        for plan in plans:
            site = self.outputs["sites"][plan.site]
            for key, (body, content_type) in plan.uploads.items():
                self.s3.put_object(Bucket=site["bucket"], Key=key, Body=body, ContentType=content_type,
                                   CacheControl="public, max-age=60, s-maxage=86400", Metadata={"sha256": sha256(body)})
                self.say(f"  uploaded {plan.site}/{key}")
            if plan.invalidations:
                self.cloudfront.create_invalidation(
                    DistributionId=site["distribution_id"],
                    InvalidationBatch={
                        "Paths": {"Quantity": len(plan.invalidations), "Items": plan.invalidations},
                        "CallerReference": f"ops-deploy-{time.time_ns()}",
                    },
                )
                self.say(f"  invalidated {plan.site}: {' '.join(plan.invalidations)}")
            self.s3.put_object(Bucket=site["bucket"], Key=MANIFEST_KEY, Body=json.dumps(plan.manifest, sort_keys=True).encode(),
                               ContentType="application/json")


def describe(plans: list[SitePlan]) -> str:
    lines = []
    for plan in plans:
        lines.append(f"{plan.site}:")
        lines.append(f"  edge functions to test and publish: {', '.join(plan.edge_updates) or 'none'}")
        lines.append(f"  generated pages to upload: {', '.join(plan.uploads) or 'none'}")
        lines.append(f"  paths to invalidate: {' '.join(plan.invalidations) or 'none'}")
    return "\n".join(lines)


def stack_outputs(stack: str) -> dict[str, Any]:
    done = subprocess.run(["pulumi", "stack", "output", "--json", "--stack", stack], capture_output=True, text=True)
    if done.returncode != 0:
        raise DeployError(f"`pulumi stack output` failed: {done.stderr.strip()}")
    return json.loads(done.stdout)


def main(args) -> int:
    import boto3
    from rich.console import Console

    console = Console()
    outputs = json.loads(open(args.outputs).read()) if args.outputs else stack_outputs(args.stack)
    session = boto3.session.Session(region_name=outputs.get("region"))
    deployer = Deployer(
        outputs,
        s3=session.client("s3"),
        cloudfront=session.client("cloudfront"),
        edge_client=session.client("cloudfront"),
        say=console.print,
    )
    try:
        with console.status(f"comparing stack {args.stack} with what is live"):
            plans = deployer.plan()
        console.print(describe(plans))
        if args.dry_run:
            console.print("[yellow]dry run: nothing changed[/]")
            return 0
        deployer.apply(plans)
    except DeployError as exc:
        console.print(f"[red]{exc}[/]")
        return 1
    console.print("[green]deployed[/]")
    return 0
