"""ops deploy against moto (S3, invalidations), with botocore's Stubber playing CloudFront
Functions (TestFunction is beyond moto). A Stubber fails any call it was not told to expect, so
these tests also show ops deploy never updates or publishes a function the stack declares."""

from __future__ import annotations

import copy
import io
import json
from datetime import datetime, timezone

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import ANY, Stubber
from moto import mock_aws

from ops import deploy, edge
from ops.local.materialize import replay


def body(data: bytes) -> StreamingBody:
    return StreamingBody(io.BytesIO(data), len(data))


@pytest.fixture
def world(dev_graph):
    """The dev stack's buckets and pages in moto, real distributions to invalidate, stubbed edge."""
    with mock_aws():
        replay(dev_graph)
        s3, cloudfront = boto3.client("s3", region_name="us-west-2"), boto3.client("cloudfront", region_name="us-west-2")
        outputs = copy.deepcopy(dev_graph.outputs)
        for name, site in outputs["sites"].items():
            site["distribution_id"] = cloudfront.create_distribution(DistributionConfig={
                "CallerReference": name, "Comment": name, "Enabled": True,
                "Origins": {"Quantity": 1, "Items": [{"Id": "pages", "DomainName": f"{site['bucket']}.s3.amazonaws.com",
                                                      "S3OriginConfig": {"OriginAccessIdentity": ""}}]},
                "DefaultCacheBehavior": {"TargetOriginId": "pages", "ViewerProtocolPolicy": "https-only",
                                         "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6"},
            })["Distribution"]["Id"]
        edge_client = boto3.client("cloudfront", region_name="us-west-2")
        stub = Stubber(edge_client)
        said: list[str] = []
        yield outputs, s3, cloudfront, edge_client, stub, said


def deployer(world) -> deploy.Deployer:
    outputs, s3, cloudfront, edge_client, _, said = world
    return deploy.Deployer(outputs, s3, cloudfront, edge_client, say=said.append)


def live_code_is(stub, outputs, code_for=lambda site, name: edge.source(name).encode()):
    for site_name, site in outputs["sites"].items():
        for edge_name, function_name in site["edge_functions"].items():
            stub.add_response("get_function", {"FunctionCode": body(code_for(site_name, edge_name)), "ETag": "ELIVE", "ContentType": "application/octet-stream"},
                              {"Name": function_name, "Stage": "LIVE"})


def covered(path: str, patterns: list[str]) -> bool:
    """CloudFront invalidation semantics: a trailing * matches any rest of the path."""
    return any(path == p or (p.endswith("*") and path.startswith(p[:-1])) for p in patterns)


def invalidations(world) -> dict[str, list[list[str]]]:
    outputs, _, cloudfront, *_ = world
    found = {}
    for name, site in outputs["sites"].items():
        listed = cloudfront.list_invalidations(DistributionId=site["distribution_id"])["InvalidationList"].get("Items", [])
        found[name] = [cloudfront.get_invalidation(DistributionId=site["distribution_id"], Id=i["Id"])["Invalidation"]["InvalidationBatch"]["Paths"].get("Items", []) for i in listed]
    return found


def test_a_dry_run_shows_the_plan_and_changes_nothing(world):
    outputs, s3, _, _, stub, _ = world
    live_code_is(stub, outputs)
    with stub:
        plans = deployer(world).plan()
    text = deploy.describe(plans)
    assert "generated pages to upload: site.json" in text
    ops_plan = next(p for p in plans if p.site == "ops")
    assert ops_plan.edge_stale == []
    for key in [*outputs["sites"]["ops"]["manifest"], "site.json"]:  # a first deploy: everything is new
        assert all(covered(path, ops_plan.invalidations) for path in deploy.viewer_paths(key, {})), key
    assert len(ops_plan.invalidations) <= deploy.COLLAPSE_PAST
    assert all(paths == [] for paths in invalidations(world).values())
    assert "Contents" not in s3.list_objects_v2(Bucket=outputs["sites"]["ops"]["bucket"], Prefix="_deploy/")
    with pytest.raises(s3.exceptions.ClientError):
        s3.head_object(Bucket=outputs["sites"]["ops"]["bucket"], Key="site.json")


def test_deploy_uploads_generated_pages_with_their_type_and_invalidates_what_changed(world):
    outputs, s3, _, _, stub, said = world
    live_code_is(stub, outputs)
    with stub:
        d = deployer(world)
        d.apply(d.plan())
    bucket = outputs["sites"]["ops"]["bucket"]
    head = s3.head_object(Bucket=bucket, Key="site.json")
    assert head["ContentType"] == "application/json; charset=utf-8"
    site_json = json.loads(s3.get_object(Bucket=bucket, Key="site.json")["Body"].read())
    assert site_json["business_name"] == "Queen of San Diego Charters" and site_json["vendors"]["solare"] == "Solare"
    assert site_json["names"] == {"charters": "Queen of San Diego Charters", "dispatch": "QuickDumpNow", "loyalty": "Harbor Bean Café",
                                  "referrals": "JADA Partners", "staff": "Queen of San Diego Charters"}
    assert set(site_json["sites"]) == set(outputs["sites"])
    [first] = invalidations(world)["ops"]
    assert all(covered(path, first) for path in ("/", "/site.json", "/referrals/outreach/", "/crew/index.html"))

    # Nothing changed since: nothing to upload, nothing to invalidate.
    live_code_is(stub, outputs)
    with stub:
        again = deployer(world).plan()
    assert all(not p.uploads and not p.invalidations and not p.edge_stale for p in again)


def test_only_the_changed_page_is_invalidated(world):
    outputs, _, _, _, stub, _ = world
    live_code_is(stub, outputs)
    with stub:
        d = deployer(world)
        d.apply(d.plan())
    outputs["sites"]["ops"]["manifest"]["referrals/index.html"] = "0" * 64
    outputs["sites"]["ops"]["aliases"] = {"referrals/index.html": ["/r/*"]}
    live_code_is(stub, outputs)
    with stub:
        plans = deployer(world).plan()
    by_site = {p.site: p.invalidations for p in plans}
    assert by_site.pop("ops") == ["/r/*", "/referrals/", "/referrals/index.html"]
    assert all(paths == [] for paths in by_site.values())


def summary(name: str) -> dict:
    return {"Name": name, "FunctionConfig": {"Comment": "", "Runtime": "cloudfront-js-2.0"},
            "FunctionMetadata": {"FunctionARN": f"arn:aws:cloudfront::123456789012:function/{name}",
                                 "LastModifiedTime": datetime.now(timezone.utc)}}


def cloudfront_answers(stub, scratch: str, edge_name: str, etag: str, code: str | None = None) -> None:
    """TestFunction's answers for each fixture, computed by running the code under njs."""
    cases = edge.fixtures(edge_name)
    for result in edge.run(code or edge.source(edge_name), [edge.viewer_request(c["request"]) for c in cases]):
        if "error" in result:
            stub.add_response("test_function", {"TestResult": {"FunctionErrorMessage": result["error"]}})
            continue
        key = "response" if "statusCode" in result["ok"] else "request"
        stub.add_response("test_function", {"TestResult": {"FunctionOutput": json.dumps({key: result["ok"]}), "ComputeUtilization": "12"}},
                          {"Name": scratch, "IfMatch": etag, "Stage": "DEVELOPMENT", "EventObject": ANY})


def test_edge_code_is_tested_before_pulumi_up_on_scratch_functions_only(world, dev_graph):
    """Issue 11: Pulumi alone writes the stack's edge functions. --test-edge runs each file through
    TestFunction on a function of its own, created unpublished and deleted after."""
    _, _, _, edge_client, stub, said = world
    declared = {f.inputs["name"] for f in dev_graph.of_type("aws:cloudfront/function:Function")}
    for edge_name in edge.names():
        scratch = deploy.scratch_name("dev", edge_name)
        assert scratch not in declared and len(scratch) <= 64
        stub.add_response("create_function", {"FunctionSummary": summary(scratch), "ETag": "ESCRATCH1"},
                          {"Name": scratch, "FunctionConfig": {"Comment": ANY, "Runtime": "cloudfront-js-2.0"},
                           "FunctionCode": edge.source(edge_name).encode()})
        cloudfront_answers(stub, scratch, edge_name, "ESCRATCH1")
        stub.add_response("delete_function", {}, {"Name": scratch, "IfMatch": "ESCRATCH1"})
    with stub:
        assert deployer(world).test_edge_code("dev") == edge.names()
        stub.assert_no_pending_responses()
    assert sum("tested edge/" in line for line in said) == len(edge.names())
    runtimes = {f.inputs["runtime"] for f in dev_graph.of_type("aws:cloudfront/function:Function")}
    assert runtimes == {deploy.EDGE_RUNTIME}  # tested on the runtime Pulumi declares


def test_failing_edge_code_stops_the_run_and_the_scratch_function_is_deleted(world):
    _, _, _, _, stub, _ = world
    scratch = deploy.scratch_name("dev", "api")
    stub.add_response("create_function", {"FunctionSummary": summary(scratch), "ETag": "ESCRATCH1"})
    for _ in edge.fixtures("api"):
        stub.add_response("test_function", {"TestResult": {"FunctionErrorMessage": "TypeError: cannot read property 'value' of undefined"}})
    stub.add_response("delete_function", {}, {"Name": scratch, "IfMatch": "ESCRATCH1"})
    with stub:
        with pytest.raises(deploy.DeployError, match="do not run `pulumi up`"):
            deployer(world).test_edge_code("dev", ["api"])
        stub.assert_no_pending_responses()


def test_a_scratch_function_left_by_an_interrupted_run_is_reused(world):
    _, _, _, _, stub, _ = world
    scratch = deploy.scratch_name("dev", "track")
    stub.add_client_error("create_function", service_error_code="FunctionAlreadyExists", http_status_code=409)
    stub.add_response("describe_function", {"ETag": "EOLD", "FunctionSummary": summary(scratch)}, {"Name": scratch, "Stage": "DEVELOPMENT"})
    stub.add_response("update_function", {"ETag": "ESCRATCH2", "FunctionSummary": summary(scratch)},
                      {"Name": scratch, "IfMatch": "EOLD", "FunctionConfig": ANY, "FunctionCode": edge.source("track").encode()})
    cloudfront_answers(stub, scratch, "track", "ESCRATCH2")
    stub.add_response("delete_function", {}, {"Name": scratch, "IfMatch": "ESCRATCH2"})
    with stub:
        deployer(world).test_edge_code("dev", ["track"])
        stub.assert_no_pending_responses()


def test_ops_deploy_never_writes_edge_code_and_stops_when_live_is_not_the_file(world):
    """After `pulumi up` LIVE is the file; if not, ops deploy says so and deploys nothing (it used to
    publish its own copy, which the provider later overwrote with the creation-time code)."""
    outputs, s3, _, _, stub, _ = world
    old = b"function handler(e) { return e.request; }"
    live_code_is(stub, outputs, code_for=lambda site, name: old if name == "pages" else edge.source(name).encode())
    with stub:  # only the LIVE reads are stubbed: any update or publish would fail here
        d = deployer(world)
        plans = d.plan()
        assert [p.edge_stale for p in plans] == [["pages"]] * len(outputs["sites"])
        assert "edge functions whose LIVE code is not edge/'s (run `pulumi up`): pages" in deploy.describe(plans)
        with pytest.raises(deploy.DeployError, match=r"`pulumi up` publishes edge code.*Nothing was deployed"):
            d.apply(plans)
        stub.assert_no_pending_responses()
    assert all(paths == [] for paths in invalidations(world).values())
    with pytest.raises(s3.exceptions.ClientError):
        s3.head_object(Bucket=outputs["sites"]["ops"]["bucket"], Key="site.json")


def test_viewer_paths_and_collapsing():
    assert deploy.viewer_paths("index.html", {}) == ["/", "/index.html"]
    assert deploy.viewer_paths("track/index.html", {"track/index.html": ["/track/*"]}) == ["/track/", "/track/index.html", "/track/*"]
    assert deploy.viewer_paths("assets/site.css", {}) == ["/assets/site.css"]
    few = [f"/assets/{i}.css" for i in range(3)]
    assert deploy.collapse(few) == sorted(few)
    many = [f"/assets/{i}.css" for i in range(20)] + ["/index.html", "/referrals/a.html"]
    assert deploy.collapse(many) == ["/assets/*", "/index.html", "/referrals/*"]
    sprawling = [f"/d{i}/x.html" for i in range(30)]
    assert deploy.collapse(sprawling) == ["/*"]


def test_site_content_types():
    from components.blocks.site import content_type

    assert content_type("index.html") == "text/html; charset=utf-8"
    assert content_type("assets/app.js") == "text/javascript; charset=utf-8"
    assert content_type("assets/site.css") == "text/css; charset=utf-8"
    assert content_type("site.json") == "application/json; charset=utf-8"
    assert content_type("logo.png") == "image/png"
