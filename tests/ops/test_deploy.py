"""ops deploy against moto (S3, invalidations), with botocore's Stubber playing CloudFront
Functions (TestFunction and PublishFunction are beyond moto)."""

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
    assert ops_plan.edge_updates == []
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
    assert set(site_json["sites"]) == set(outputs["sites"])
    [first] = invalidations(world)["ops"]
    assert all(covered(path, first) for path in ("/", "/site.json", "/referrals/outreach/", "/crew/index.html"))

    # Nothing changed since: nothing to upload, nothing to invalidate.
    live_code_is(stub, outputs)
    with stub:
        again = deployer(world).plan()
    assert all(not p.uploads and not p.invalidations and not p.edge_updates for p in again)


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


def test_changed_edge_code_is_tested_on_development_then_published(world):
    outputs, _, _, _, stub, said = world
    old = b"function handler(e) { return e.request; }"
    live_code_is(stub, outputs, code_for=lambda site, name: old if name == "pages" else edge.source(name).encode())
    function_names = [s["edge_functions"]["pages"] for s in outputs["sites"].values()]
    for function_name in function_names:
        stub.add_response("describe_function", {"ETag": "EDEV1", "FunctionSummary": {
            "Name": function_name, "Status": "DEPLOYED",
            "FunctionConfig": {"Comment": "edge/pages.js", "Runtime": "cloudfront-js-2.0"},
            "FunctionMetadata": {"FunctionARN": f"arn:aws:cloudfront::123456789012:function/{function_name}",
                                 "LastModifiedTime": datetime.now(timezone.utc)}}},
            {"Name": function_name, "Stage": "DEVELOPMENT"})
        stub.add_response("update_function", {"ETag": "EDEV2", "FunctionSummary": {
            "Name": function_name, "FunctionConfig": {"Comment": "edge/pages.js", "Runtime": "cloudfront-js-2.0"},
            "FunctionMetadata": {"FunctionARN": "arn:x", "LastModifiedTime": datetime.now(timezone.utc)}}},
            {"Name": function_name, "IfMatch": "EDEV1", "FunctionConfig": {"Comment": "edge/pages.js", "Runtime": "cloudfront-js-2.0"},
             "FunctionCode": edge.source("pages").encode()})
        # CloudFront's answers, computed by running the same code under njs.
        cases = edge.fixtures("pages")
        results = edge.run(edge.source("pages"), [edge.viewer_request(c["request"]) for c in cases])
        for result in results:
            key = "response" if "statusCode" in result["ok"] else "request"
            stub.add_response("test_function", {"TestResult": {"FunctionOutput": json.dumps({key: result["ok"]}), "ComputeUtilization": "12"}},
                              {"Name": function_name, "IfMatch": "EDEV2", "Stage": "DEVELOPMENT", "EventObject": ANY})
    for function_name in function_names:
        stub.add_response("publish_function", {"FunctionSummary": {
            "Name": function_name, "FunctionConfig": {"Comment": "edge/pages.js", "Runtime": "cloudfront-js-2.0"},
            "FunctionMetadata": {"FunctionARN": "arn:x", "LastModifiedTime": datetime.now(timezone.utc)}}},
            {"Name": function_name, "IfMatch": "EDEV2"})
    with stub:
        d = deployer(world)
        plans = d.plan()
        assert [p.edge_updates for p in plans] == [["pages"]] * len(outputs["sites"])
        d.apply(plans)
        stub.assert_no_pending_responses()
    assert any("published mainstreet-dev-ops-pages" in line for line in said)


def test_a_failing_edge_test_publishes_and_uploads_nothing(world):
    outputs, s3, _, _, stub, _ = world
    live_code_is(stub, outputs, code_for=lambda site, name: b"old" if (site, name) == ("brand", "api") else edge.source(name).encode())
    function_name = outputs["sites"]["brand"]["edge_functions"]["api"]
    stub.add_response("describe_function", {"ETag": "EDEV1", "FunctionSummary": {
        "Name": function_name, "FunctionConfig": {"Comment": "", "Runtime": "cloudfront-js-2.0"},
        "FunctionMetadata": {"FunctionARN": "arn:x", "LastModifiedTime": datetime.now(timezone.utc)}}})
    stub.add_response("update_function", {"ETag": "EDEV2", "FunctionSummary": {
        "Name": function_name, "FunctionConfig": {"Comment": "", "Runtime": "cloudfront-js-2.0"},
        "FunctionMetadata": {"FunctionARN": "arn:x", "LastModifiedTime": datetime.now(timezone.utc)}}})
    for _ in edge.fixtures("api"):
        stub.add_response("test_function", {"TestResult": {"FunctionErrorMessage": "TypeError: cannot read property 'value' of undefined"}})
    with stub:
        d = deployer(world)
        plans = d.plan()
        with pytest.raises(deploy.DeployError, match="nothing was published"):
            d.apply(plans)
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
