"""Charter wiring over the whole graph: SPEC incidents 1 to 4 made impossible by declaration."""

from __future__ import annotations


from components.stack.cdn_policies import CACHE_POLICIES
from handlers.charters.events import guest_object_key, new_guest_code
from ops import edge
from tests.components.graphs import LAMBDA, PARAMETER, behaviour_for, policy_of, request_policy


def test_the_booking_api_behaviour_forwards_the_service_key_and_is_never_cached(graph):
    """Incident 1: CloudFront stripped X-Api-Key from the marketplace's calls."""
    behaviour = behaviour_for(graph, "ops", "/api/bookings")
    assert behaviour["targetOriginId"] == "fn-charter-intake"
    assert behaviour["cachePolicyId"] == CACHE_POLICIES["CachingDisabled"]
    assert "POST" in behaviour["allowedMethods"]
    headers = request_policy(graph, behaviour["originRequestPolicyId"])["headersConfig"]["headers"]["items"]
    assert "X-Api-Key" in headers


def test_the_intake_starts_with_the_service_key_hash_it_checks_against(graph):
    """Incident 2: the function lacked SERVICE_KEY_HASH. Its env comes from its links, and the
    secret it links holds a hash, never the key."""
    env = graph.named(LAMBDA, "charter-intake").inputs["environment"]["variables"]
    secret = graph.named(PARAMETER, "service-key")
    assert env["SERVICE_KEY_SECRET"] == secret.inputs["name"] and secret.inputs["type"] == "SecureString"
    stored = secret.inputs["value"]
    assert stored.startswith("sha256$") and len(stored) == len("sha256$") + 64


def test_guest_pages_go_to_the_brand_sites_bucket_and_nowhere_else(graph):
    """Incident 3: the guest page went to the operations bucket and domain."""
    env = graph.named(LAMBDA, "charter-intake").inputs["environment"]["variables"]
    brand = graph.outputs["sites"]["brand"]
    brand_bucket = graph.named("aws:s3/bucket:Bucket", "brand-site")
    assert env["BRAND_SITE_BUCKET"] == brand["bucket"]
    assert env["BRAND_SITE_DISTRIBUTION"] == brand["distribution_id"]
    assert env["BRAND_SITE_URL_PARAMETER"] == f"/mainstreet/{graph.stack}/sites/brand/url"
    statements = policy_of(graph, "charter-intake")["Statement"]
    s3 = [s for s in statements if any(a.startswith("s3:") for a in s["Action"])]
    assert s3 == [{"Effect": "Allow", "Action": ["s3:PutObject"], "Resource": [f"{brand_bucket.outputs['arn']}/g/*"]}]
    invalidate = [s for s in statements if "cloudfront:CreateInvalidation" in s["Action"]]
    brand_distribution = graph.named("aws:cloudfront/distribution:Distribution", "brand")
    assert invalidate[0]["Resource"] == [brand_distribution.outputs["arn"]]


def test_the_brand_site_rewrites_guest_codes_to_the_flat_objects_the_intake_writes(graph):
    """Incident 4: the rewrite expected a flat .html, a folder was uploaded."""
    behaviour = behaviour_for(graph, "brand", "/g/*")
    association = behaviour["functionAssociations"][0]
    function = next(f for f in graph.of_type("aws:cloudfront/function:Function") if f.outputs["arn"] == association["functionArn"])
    codes = [new_guest_code() for _ in range(20)]
    results = edge.run(function.inputs["code"], [edge.viewer_request({"uri": f"/g/{code}"}) for code in codes])
    assert [r["ok"]["uri"] for r in results] == [f"/{guest_object_key(code)}" for code in codes]


def test_crew_routes_take_the_crew_token_and_never_the_staff_cookie(graph):
    """That crew links reach only EVENT# items, never the calendar, is in test_permissions.py's table."""
    assert behaviour_for(graph, "ops", "/api/crew/*")["targetOriginId"] == "fn-charter-crew"
    headers = request_policy(graph, behaviour_for(graph, "ops", "/api/crew/*")["originRequestPolicyId"])["headersConfig"]["headers"]["items"]
    assert "X-Crew-Token" in headers and "Cookie" not in headers
