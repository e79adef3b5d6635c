"""A site's CloudFront side: origin access, edge functions, one behaviour per route, security
headers, and the bucket policy that lets only this distribution read the pages."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TypedDict

import pulumi
import pulumi_aws as aws

from components.blocks.site.routes import ORIGIN_VERIFY_HEADER, PAGES_GROUP, PAGES_ORIGIN, Forward, Route
from components.stack.cdn_policies import CACHE_POLICIES
from components.stack.context import Context

EDGE = Path(__file__).resolve().parents[3] / "edge"
DEPLOY_PREFIX = "_deploy/"  # ops deploy's own records; CloudFront may not serve them
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; frame-ancestors 'self'; form-action 'self'; base-uri 'self'"
)


def origin_access(site: str, ctx: Context, parent) -> aws.cloudfront.OriginAccessControl:
    return aws.cloudfront.OriginAccessControl(
        site,
        name=ctx.naming(site, "cf-policy"),
        origin_access_control_origin_type="s3",
        signing_behavior="always",
        signing_protocol="sigv4",
        opts=pulumi.ResourceOptions(parent=parent),
    )


def edge_function(site: str, edge: str, ctx: Context, parent) -> pulumi.Output[str]:
    """A CloudFront Function running edge/<edge>.js; Pulumi is the one owner of its code.

    Pulumi declares the file's current content and publishes it (publish=True puts each created
    or changed version on the LIVE stage). Nothing else writes the code: `ops deploy` only reads
    LIVE to check it matches the file, and `ops deploy --test-edge`, run before `pulumi up`,
    tests the code on a scratch function of its own, never on this one.

    Why not the reverse (Pulumi creates, `ops deploy` publishes later code)? A distribution can
    only be associated with a published function, so Pulumi must publish at creation; and with
    `ignore_changes=["code"]` the provider keeps the creation-time code in its inputs, so any later
    change to the comment or runtime re-sends and publishes that old code over what ops deploy
    published. One owner, and it is the program: edge code changes show in `pulumi preview`.
    """
    function = aws.cloudfront.Function(
        f"{site}-{edge}",
        name=ctx.naming(f"{site}-{edge}", "edge"),
        runtime="cloudfront-js-2.0",
        comment=f"edge/{edge}.js",
        code=(EDGE / f"{edge}.js").read_text(),
        publish=True,
        opts=pulumi.ResourceOptions(parent=parent),
    )
    return function.arn


def function_origin(route: Route, origin_secret: pulumi.Input[str]) -> aws.cloudfront.DistributionOriginArgs:
    fn = route.function
    assert fn is not None and fn.url is not None
    return aws.cloudfront.DistributionOriginArgs(
        origin_id=route.origin_id,
        domain_name=fn.url.apply(lambda u: u.removeprefix("https://").rstrip("/")),
        custom_origin_config=aws.cloudfront.DistributionOriginCustomOriginConfigArgs(
            http_port=80,
            https_port=443,
            origin_protocol_policy="https-only",
            origin_ssl_protocols=["TLSv1.2"],
        ),
        custom_headers=[aws.cloudfront.DistributionOriginCustomHeaderArgs(name=ORIGIN_VERIFY_HEADER, value=origin_secret)],
    )


# S3 answers a missing key with 403 (CloudFront has s3:GetObject only, no s3:ListBucket), and with
# 404 should it ever be allowed to list. The _deploy/ records it is denied are 403s too.
NOT_FOUND_FAILOVER = (403, 404)


def pages_group(not_found_origin_id: str) -> aws.cloudfront.DistributionOriginGroupArgs:
    """The bucket first; on a missing page, the same request to the not-found origin, which
    answers the site's 404 page with status 404.

    Not `custom_error_responses`: those apply to every origin of the distribution, so a function's
    own 403 (a staff API's `cross_site`) or JSON 404 would reach the browser as the HTML 404 page.
    Nor a CloudFront Function: viewer-response does not run for an origin status of 400 or more.
    Failover only happens for GET, HEAD and OPTIONS, the only methods a pages behaviour allows.
    """
    return aws.cloudfront.DistributionOriginGroupArgs(
        origin_id=PAGES_GROUP,
        failover_criteria=aws.cloudfront.DistributionOriginGroupFailoverCriteriaArgs(status_codes=list(NOT_FOUND_FAILOVER)),
        members=[
            aws.cloudfront.DistributionOriginGroupMemberArgs(origin_id=PAGES_ORIGIN),
            aws.cloudfront.DistributionOriginGroupMemberArgs(origin_id=not_found_origin_id),
        ],
    )


# Custom origin request policies are an account-wide quota (20, shared by every stack in the
# account), so a stack makes one per distinct forwarding, shared by every site and route that
# forwards exactly that; no managed policy fits one exactly without widening what a function gets.
_request_policies: dict[int, tuple[Context, dict[tuple, pulumi.Output[str]]]] = {}


def forwarding_key(forward: Forward) -> tuple:
    """What a policy forwards, as CloudFront compares it: header names are case-insensitive."""
    headers = tuple(sorted({h.lower() for h in forward.all_headers}))
    return headers, tuple(sorted(set(forward.cookies))), "all" if forward.query_strings else "none"


def request_policy_name(forward: Forward) -> str:
    """The same forwarding gets the same name in every run and stack (the stack prefix aside)."""
    digest = hashlib.sha256(json.dumps(forwarding_key(forward)).encode()).hexdigest()[:10]
    return f"forward-{digest}"


def request_policy(forward: Forward, ctx: Context) -> pulumi.Output[str]:
    """The stack's origin request policy for `forward`, made the first time a route asks for it."""
    # Keyed by the context object (one per program run): each run of the program gets its own.
    _, policies = _request_policies.setdefault(id(ctx), (ctx, {}))
    key = forwarding_key(forward)
    if key in policies:
        return policies[key]
    headers = forward.all_headers
    name = request_policy_name(forward)
    cookies = f"; cookies {', '.join(key[1])}" if forward.cookies else ""
    policy = aws.cloudfront.OriginRequestPolicy(
        name,
        name=ctx.naming(name, "cf-policy"),
        comment=f"forwards {', '.join(headers)}{cookies}",
        headers_config=aws.cloudfront.OriginRequestPolicyHeadersConfigArgs(
            header_behavior="whitelist",
            headers=aws.cloudfront.OriginRequestPolicyHeadersConfigHeadersArgs(items=headers),
        ),
        cookies_config=aws.cloudfront.OriginRequestPolicyCookiesConfigArgs(
            cookie_behavior="whitelist" if forward.cookies else "none",
            cookies=aws.cloudfront.OriginRequestPolicyCookiesConfigCookiesArgs(items=list(key[1]))
            if forward.cookies
            else None,
        ),
        query_strings_config=aws.cloudfront.OriginRequestPolicyQueryStringsConfigArgs(
            query_string_behavior=key[2]
        ),
    )
    policies[key] = policy.id
    return policy.id


def security_headers(site: str, ctx: Context, parent) -> aws.cloudfront.ResponseHeadersPolicy:
    config = aws.cloudfront
    return config.ResponseHeadersPolicy(
        site,
        name=ctx.naming(site, "cf-policy"),
        security_headers_config=config.ResponseHeadersPolicySecurityHeadersConfigArgs(
            strict_transport_security=config.ResponseHeadersPolicySecurityHeadersConfigStrictTransportSecurityArgs(
                access_control_max_age_sec=31536000, include_subdomains=True, override=True
            ),
            content_type_options=config.ResponseHeadersPolicySecurityHeadersConfigContentTypeOptionsArgs(override=True),
            frame_options=config.ResponseHeadersPolicySecurityHeadersConfigFrameOptionsArgs(
                frame_option="SAMEORIGIN", override=True
            ),
            referrer_policy=config.ResponseHeadersPolicySecurityHeadersConfigReferrerPolicyArgs(
                referrer_policy="strict-origin-when-cross-origin", override=True
            ),
            content_security_policy=config.ResponseHeadersPolicySecurityHeadersConfigContentSecurityPolicyArgs(
                content_security_policy=CONTENT_SECURITY_POLICY, override=True
            ),
        ),
        opts=pulumi.ResourceOptions(parent=parent),
    )


class BehaviourFields(TypedDict):
    """What the default and the ordered behaviours share, typed so pyright checks the spread."""

    target_origin_id: str
    viewer_protocol_policy: str
    allowed_methods: list[str]
    cached_methods: list[str]
    compress: bool
    cache_policy_id: str
    origin_request_policy_id: pulumi.Input[str] | None
    response_headers_policy_id: pulumi.Input[str]


def behaviour_fields(route: Route, *, request_policy_id: pulumi.Input[str] | None,
                     headers_policy_id: pulumi.Input[str]) -> BehaviourFields:
    """Everything but the path pattern and the edge function, whose argument classes differ."""
    kind = route.behaviour
    return BehaviourFields(
        target_origin_id=route.origin_id,
        viewer_protocol_policy=kind.viewer_protocol_policy,
        allowed_methods=list(kind.allowed_methods),
        cached_methods=["GET", "HEAD"],
        compress=True,
        cache_policy_id=CACHE_POLICIES[kind.cache_policy],
        origin_request_policy_id=request_policy_id,
        response_headers_policy_id=headers_policy_id,
    )


def bucket_policy(site: str, bucket, distribution: aws.cloudfront.Distribution, parent) -> None:
    def document(args) -> str:
        bucket_arn, distribution_arn = args
        service = {"Service": "cloudfront.amazonaws.com"}
        condition = {"StringEquals": {"AWS:SourceArn": distribution_arn}}
        return json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Sid": "CloudFrontReadsPages", "Effect": "Allow", "Principal": service,
                     "Action": "s3:GetObject", "Resource": f"{bucket_arn}/*", "Condition": condition},
                    {"Sid": "DeployRecordsStayPrivate", "Effect": "Deny", "Principal": service,
                     "Action": "s3:GetObject", "Resource": f"{bucket_arn}/{DEPLOY_PREFIX}*"},
                ],
            }
        )

    aws.s3.BucketPolicy(
        site,
        bucket=bucket.bucket.id,
        policy=pulumi.Output.all(bucket.arn, distribution.arn).apply(document),
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[bucket.public_access]),
    )
