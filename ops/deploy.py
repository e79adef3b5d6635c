"""`python -m ops deploy --stack S [--dry-run]`: after `pulumi up`, put live what Pulumi does not.
`python -m ops deploy --stack S --test-edge`: before `pulumi up`, test the edge code it will publish.

Edge code has one owner, the program: `pulumi up` publishes edge/<name>.js as it is (see
components/blocks/site/cdn.edge_function). This module never writes a function the stack declares.

- `--test-edge` (before `pulumi up`): each edge/<name>.js goes to a scratch function of its own
  (created on CloudFront's DEVELOPMENT stage, never published, deleted after), TestFunction runs
  it against edge/fixtures/<name>.json, and any failure stops the run, so CI never reaches
  `pulumi up`. The stack's own functions are not touched: writing their DEVELOPMENT stage would
  also change the ETag Pulumi holds, and its next update would fail its IfMatch.
- after `pulumi up`:
  1. Edge functions: the LIVE code must be the file's; if not (`pulumi up` not run on this
     checkout), nothing is deployed and the run says so.
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
EDGE_RUNTIME = "cloudfront-js-2.0"  # what cdn.edge_function declares


class DeployError(RuntimeError):
    pass


@dataclass
class SitePlan:
    site: str
    edge_stale: list[str] = field(default_factory=list)  # edge names whose LIVE code is not the file's
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


def scratch_name(stack: str, edge_name: str) -> str:
    """The throwaway function --test-edge tests edge/<edge_name>.js on (64 characters at most)."""
    return f"mainstreet-{stack}-edge-test-{edge_name}"[:64]


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
        self.edge = edge_client  # CloudFront Functions: reads LIVE code; tests on scratch functions only
        self.say = say

    # -- planning (reads only) -------------------------------------------------------------------
    def plan(self) -> list[SitePlan]:
        return [self._plan_site(name, site) for name, site in self.outputs["sites"].items()]

    def _plan_site(self, name: str, site: dict) -> SitePlan:
        plan = SitePlan(name)
        for edge_name, function_name in site.get("edge_functions", {}).items():
            if _live_code(self.edge, function_name) != edge.source(edge_name).encode():
                plan.edge_stale.append(edge_name)
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

    # -- before `pulumi up` -------------------------------------------------------------------------
    def test_edge_code(self, stack: str, names: list[str] | None = None) -> list[str]:
        """Run each edge/<name>.js through TestFunction on a scratch function; raise on any failure.

        Returns the names tested. The scratch function is deleted whatever the outcome.
        """
        failures, tested = [], []
        for edge_name in names if names is not None else edge.names():
            scratch = scratch_name(stack, edge_name)
            etag = self._put_scratch(scratch, edge.source(edge_name).encode())
            try:
                cases = edge.fixtures(edge_name)
                for case in cases:
                    event = json.dumps(edge.viewer_request(case["request"])).encode()
                    result = self.edge.test_function(Name=scratch, IfMatch=etag, Stage="DEVELOPMENT", EventObject=event)
                    problems = edge.check(case["expect"], _output_of(result["TestResult"]))
                    failures += [f"edge/{edge_name}.js: {case['name']}: {p}" for p in problems]
            finally:
                self.edge.delete_function(Name=scratch, IfMatch=etag)
            self.say(f"  tested edge/{edge_name}.js with TestFunction against {len(cases)} fixtures")
            tested.append(edge_name)
        if failures:
            raise DeployError("edge code failed TestFunction; do not run `pulumi up`:\n  " + "\n  ".join(failures))
        return tested

    def _put_scratch(self, name: str, code: bytes) -> str:
        config = {"Comment": "ops deploy --test-edge: deleted after the test", "Runtime": EDGE_RUNTIME}
        try:
            return self.edge.create_function(Name=name, FunctionConfig=config, FunctionCode=code)["ETag"]
        except self.edge.exceptions.FunctionAlreadyExists:  # left by an interrupted run: reuse it
            etag = self.edge.describe_function(Name=name, Stage="DEVELOPMENT")["ETag"]
            return self.edge.update_function(Name=name, IfMatch=etag, FunctionConfig=config, FunctionCode=code)["ETag"]

    # -- applying ----------------------------------------------------------------------------------
    def apply(self, plans: list[SitePlan]) -> None:
        stale = [f"{self.outputs['sites'][p.site]['edge_functions'][e]} (edge/{e}.js)" for p in plans for e in p.edge_stale]
        if stale:
            raise DeployError("LIVE edge code differs from edge/ for " + ", ".join(stale) + ": `pulumi up` publishes "
                              "edge code (test it first with `ops deploy --test-edge`); run it, then `ops deploy`. "
                              "Nothing was deployed.")
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
        lines.append(f"  edge functions whose LIVE code is not edge/'s (run `pulumi up`): {', '.join(plan.edge_stale) or 'none'}")
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
    if getattr(args, "test_edge", False):
        # Before `pulumi up`: needs no stack outputs (a new stack has none yet). CloudFront is global.
        tester = Deployer({}, s3=None, cloudfront=None, edge_client=boto3.client("cloudfront", region_name="us-east-1"),
                          say=console.print)
        try:
            tester.test_edge_code(args.stack)
        except DeployError as exc:
            console.print(f"[red]{exc}[/]")
            return 1
        console.print("[green]edge code passed TestFunction[/]")
        return 0
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
