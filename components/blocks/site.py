"""A site: private bucket, origin access control, CloudFront with HTTPS only, security headers,
edge functions, ordered behaviours, pages synced from `site/<name>/`, optional custom domain.

Systems add routes (`site.route("/ref/*", click_fn, ...)`) and `__main__` calls `finish()` once
every system has declared its routes; the distribution is created there.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import pulumi
import pulumi_aws as aws

from components.blocks.bucket import Bucket, BucketArgs
from components.stack.cdn_policies import CACHE_POLICIES
from components.stack.context import Context
from components.blocks.function import Function
from components.blocks.links import Link, Statement, env_name
from components.blocks.secret import Secret

ROOT = Path(__file__).resolve().parents[2]
PAGES = ROOT / "site"
EDGE = ROOT / "edge"
SHARED_PAGES = "_shared"  # site/_shared/ is published at /shared/ on every site
ORIGIN_VERIFY_HEADER = "X-Origin-Verify"
# edge/api.js copies the viewer's Host here: a Function URL origin cannot receive Host itself,
# and handlers need the public host to write links back to their own site.
FORWARDED_HOST_HEADER = "X-Forwarded-Host"
FUNCTION_EDGE = "api"
DEPLOY_PREFIX = "_deploy/"  # ops deploy's own records; CloudFront may not serve them
TEXT_TYPES = {".html", ".css", ".js", ".json", ".txt", ".svg", ".xml", ".webmanifest"}
EXTRA_TYPES = {".js": "text/javascript", ".webmanifest": "application/manifest+json", ".json": "application/json"}


@dataclass(frozen=True)
class Forward:
    """What an origin request policy passes to a function: nothing else reaches it."""

    headers: tuple[str, ...] = ()
    cookies: tuple[str, ...] = ()
    query_strings: bool = True


@dataclass
class Route:
    path: str
    function: Optional[Function] = None  # None: the site's bucket
    edge: Optional[str] = None  # edge/<edge>.js, run at viewer request
    forward: Forward = field(default_factory=Forward)
    serves: Optional[str] = None  # the object an edge rewrite maps this path to (for invalidation)


def content_type(path: str) -> str:
    suffix = Path(path).suffix
    kind = EXTRA_TYPES.get(suffix) or mimetypes.guess_type(path)[0] or "application/octet-stream"
    return f"{kind}; charset=utf-8" if suffix in TEXT_TYPES else kind


def cache_control(path: str) -> str:
    # Browsers re-check within a minute; CloudFront keeps a day and `ops deploy` invalidates.
    return "public, max-age=60, s-maxage=86400"


def page_files(name: str) -> dict[str, Path]:
    """Object key → file for a site's pages, the shared assets included."""
    files = {}
    for root, prefix in ((PAGES / name, ""), (PAGES / SHARED_PAGES, "shared/")):
        if root.is_dir():
            for path in sorted(root.rglob("*")):
                if path.is_file() and "__pycache__" not in path.parts:
                    files[prefix + path.relative_to(root).as_posix()] = path
    return files


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass
class SiteArgs:
    origin_secret: Secret  # sent by CloudFront to function origins; handlers reject calls without it
    domain: str = ""
    zone_id: str = ""
    default_edge: str = "pages"


class Site(pulumi.ComponentResource):
    def __init__(self, name: str, args: SiteArgs, ctx: Context, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mainstreet:web:Site", name, None, opts)
        self.logical_name = name
        self.args = args
        self.ctx = ctx
        self.routes: list[Route] = []
        self.url_parameter = ctx.naming.path("sites", name, "url")
        self.bucket = Bucket(f"{name}-site", BucketArgs(), ctx, pulumi.ResourceOptions(parent=self))
        self._distribution: Optional[aws.cloudfront.Distribution] = None

    # -- declaring ---------------------------------------------------------------------------
    def route(
        self,
        path: str,
        function: Optional[Function] = None,
        *,
        edge: Optional[str] = None,
        forward: Forward = Forward(),
        serves: Optional[str] = None,
    ) -> None:
        if self._distribution is not None:
            raise RuntimeError(f"site {self.logical_name} is finished; declare routes before finish()")
        if function is not None and function.url is None:
            raise ValueError(f"route {path}: function {function.logical_name} has no URL (url=True)")
        if function is not None and edge is None:
            edge = FUNCTION_EDGE
        if any(r.path == path for r in self.routes):
            raise ValueError(f"site {self.logical_name} already routes {path}")
        self.routes.append(Route(path, function, edge, forward, serves))

    @property
    def finished(self) -> bool:
        return self._distribution is not None

    # -- what others link ----------------------------------------------------------------------
    def _require_finished(self) -> aws.cloudfront.Distribution:
        if self._distribution is None:
            raise RuntimeError(f"finish site {self.logical_name} before linking its distribution")
        return self._distribution

    @property
    def invalidate(self) -> Link:
        distribution = self._require_finished()
        return Link(
            target=f"distribution {self.logical_name} (invalidate)",
            env={env_name(f"{self.logical_name}_site", "distribution"): distribution.id},
            statements=(Statement(("cloudfront:CreateInvalidation",), (distribution.arn,)),),
        )

    @property
    def domain(self) -> pulumi.Output[str]:
        if self.args.domain:
            return pulumi.Output.from_input(self.args.domain)
        return self._require_finished().domain_name

    @property
    def url(self) -> pulumi.Output[str]:
        # Local mode serves sites on plain HTTP at <site>.localhost; everywhere else is HTTPS.
        return self.domain.apply(lambda d: f"{'http' if d.split(':')[0].endswith('localhost') else 'https'}://{d}")

    @property
    def address(self) -> Link:
        """The site's public base URL, for handlers that write links to it outside a request.

        It is read from Parameter Store, where finish() puts it: the parameter's name is known
        before the distribution exists, so a system can link it while still adding routes.
        """
        arn = self.ctx.arn("ssm", f"parameter{self.url_parameter}")
        return Link(
            target=f"url of site {self.logical_name}",
            env={env_name(f"{self.logical_name}_site_url", "parameter"): self.url_parameter},
            statements=(Statement(("ssm:GetParameter",), (arn,)),),
        )

    # -- building ------------------------------------------------------------------------------
    def finish(self) -> None:
        ctx, name = self.ctx, self.logical_name
        child = pulumi.ResourceOptions(parent=self)
        oac = aws.cloudfront.OriginAccessControl(
            name,
            name=ctx.naming(name, "cf-policy"),
            origin_access_control_origin_type="s3",
            signing_behavior="always",
            signing_protocol="sigv4",
            opts=child,
        )
        headers_policy = self._security_headers(child)
        edge_arns = {edge: self._edge_function(edge, child) for edge in self._edges()}
        origins = [
            aws.cloudfront.DistributionOriginArgs(
                origin_id="pages",
                domain_name=self.bucket.bucket.bucket_regional_domain_name,
                origin_access_control_id=oac.id,
            )
        ]
        request_policies: dict[Forward, pulumi.Output[str]] = {}
        for route in self.routes:
            fn = route.function
            if fn is not None and not any(o.origin_id == f"fn-{fn.logical_name}" for o in origins):
                origins.append(self._function_origin(fn))
            if fn is not None and route.forward not in request_policies:
                request_policies[route.forward] = self._request_policy(route.forward, len(request_policies), child)

        def behaviour(route: Route, cls):
            fn = route.function
            kwargs = dict(
                target_origin_id=f"fn-{fn.logical_name}" if fn else "pages",
                viewer_protocol_policy="https-only" if fn else "redirect-to-https",
                allowed_methods=["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"]
                if fn
                else ["GET", "HEAD"],
                cached_methods=["GET", "HEAD"],
                compress=True,
                cache_policy_id=CACHE_POLICIES["CachingDisabled" if fn else "CachingOptimized"],
                origin_request_policy_id=request_policies[route.forward] if fn else None,
                response_headers_policy_id=headers_policy.id,
                function_associations=[
                    {"event_type": "viewer-request", "function_arn": edge_arns[route.edge]}
                ]
                if route.edge
                else None,
            )
            if cls is aws.cloudfront.DistributionOrderedCacheBehaviorArgs:
                kwargs["path_pattern"] = route.path
            return cls(**kwargs)

        default = Route("*", edge=self.args.default_edge)
        certificate = self._certificate(child) if self.args.domain else None
        self._distribution = aws.cloudfront.Distribution(
            name,
            enabled=True,
            comment=ctx.naming(name),
            is_ipv6_enabled=True,
            http_version="http2and3",
            price_class="PriceClass_100",
            aliases=[self.args.domain] if self.args.domain else None,
            origins=origins,
            default_cache_behavior=behaviour(default, aws.cloudfront.DistributionDefaultCacheBehaviorArgs),
            ordered_cache_behaviors=[
                behaviour(r, aws.cloudfront.DistributionOrderedCacheBehaviorArgs) for r in self.routes
            ],
            custom_error_responses=[
                aws.cloudfront.DistributionCustomErrorResponseArgs(
                    error_code=403, response_code=404, response_page_path="/shared/404.html", error_caching_min_ttl=10
                )
            ],
            restrictions=aws.cloudfront.DistributionRestrictionsArgs(
                geo_restriction=aws.cloudfront.DistributionRestrictionsGeoRestrictionArgs(restriction_type="none")
            ),
            viewer_certificate=aws.cloudfront.DistributionViewerCertificateArgs(
                acm_certificate_arn=certificate,
                ssl_support_method="sni-only",
                minimum_protocol_version="TLSv1.2_2021",
            )
            if certificate
            else aws.cloudfront.DistributionViewerCertificateArgs(cloudfront_default_certificate=True),
            opts=child,
        )
        self._bucket_policy(child)
        self.manifest = self._publish_pages(child)
        if self.args.domain:
            self._dns_records(child)
        self.distribution_id = self._distribution.id
        aws.ssm.Parameter(
            f"{name}-url",
            name=self.url_parameter,
            type="String",
            value=self.url,
            description=f"Public address of the {name} site",
            opts=child,
        )
        self.edge_functions = {edge: ctx.naming(f"{name}-{edge}", "edge") for edge in edge_arns}
        self.register_outputs(
            {"bucket": self.bucket.name, "distribution_id": self.distribution_id, "domain": self.domain}
        )

    def _edges(self) -> list[str]:
        edges = [self.args.default_edge, *(r.edge for r in self.routes if r.edge)]
        return list(dict.fromkeys(edges))

    def _edge_function(self, edge: str, child: pulumi.ResourceOptions) -> pulumi.Output[str]:
        source = EDGE / f"{edge}.js"
        function = aws.cloudfront.Function(
            f"{self.logical_name}-{edge}",
            name=self.ctx.naming(f"{self.logical_name}-{edge}", "edge"),
            runtime="cloudfront-js-2.0",
            comment=f"edge/{edge}.js",
            code=source.read_text(),
            publish=True,
            # `ops deploy` owns later code changes: it runs TestFunction on the new code and
            # publishes only what passed. Pulumi publishes the first version so the
            # distribution can be created.
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["code"]),
        )
        return function.arn

    def _function_origin(self, fn: Function) -> aws.cloudfront.DistributionOriginArgs:
        assert fn.url is not None
        return aws.cloudfront.DistributionOriginArgs(
            origin_id=f"fn-{fn.logical_name}",
            domain_name=fn.url.apply(lambda u: u.removeprefix("https://").rstrip("/")),
            custom_origin_config=aws.cloudfront.DistributionOriginCustomOriginConfigArgs(
                http_port=80,
                https_port=443,
                origin_protocol_policy="https-only",
                origin_ssl_protocols=["TLSv1.2"],
            ),
            custom_headers=[
                aws.cloudfront.DistributionOriginCustomHeaderArgs(
                    name=ORIGIN_VERIFY_HEADER, value=self.args.origin_secret.value
                )
            ],
        )

    def _request_policy(self, forward: Forward, i: int, child) -> pulumi.Output[str]:
        headers = sorted({*forward.headers, FORWARDED_HOST_HEADER})
        policy = aws.cloudfront.OriginRequestPolicy(
            f"{self.logical_name}-forward-{i}",
            name=self.ctx.naming(f"{self.logical_name}-forward-{i}", "cf-policy"),
            comment=f"forwards {', '.join(headers)}",
            headers_config=aws.cloudfront.OriginRequestPolicyHeadersConfigArgs(
                header_behavior="whitelist",
                headers=aws.cloudfront.OriginRequestPolicyHeadersConfigHeadersArgs(items=headers),
            ),
            cookies_config=aws.cloudfront.OriginRequestPolicyCookiesConfigArgs(
                cookie_behavior="whitelist" if forward.cookies else "none",
                cookies=aws.cloudfront.OriginRequestPolicyCookiesConfigCookiesArgs(items=sorted(forward.cookies))
                if forward.cookies
                else None,
            ),
            query_strings_config=aws.cloudfront.OriginRequestPolicyQueryStringsConfigArgs(
                query_string_behavior="all" if forward.query_strings else "none"
            ),
            opts=child,
        )
        return policy.id

    def _security_headers(self, child) -> aws.cloudfront.ResponseHeadersPolicy:
        return aws.cloudfront.ResponseHeadersPolicy(
            self.logical_name,
            name=self.ctx.naming(self.logical_name, "cf-policy"),
            security_headers_config=aws.cloudfront.ResponseHeadersPolicySecurityHeadersConfigArgs(
                strict_transport_security=aws.cloudfront.ResponseHeadersPolicySecurityHeadersConfigStrictTransportSecurityArgs(
                    access_control_max_age_sec=31536000, include_subdomains=True, override=True
                ),
                content_type_options=aws.cloudfront.ResponseHeadersPolicySecurityHeadersConfigContentTypeOptionsArgs(
                    override=True
                ),
                frame_options=aws.cloudfront.ResponseHeadersPolicySecurityHeadersConfigFrameOptionsArgs(
                    frame_option="SAMEORIGIN", override=True
                ),
                referrer_policy=aws.cloudfront.ResponseHeadersPolicySecurityHeadersConfigReferrerPolicyArgs(
                    referrer_policy="strict-origin-when-cross-origin", override=True
                ),
                content_security_policy=aws.cloudfront.ResponseHeadersPolicySecurityHeadersConfigContentSecurityPolicyArgs(
                    content_security_policy=(
                        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                        "script-src 'self'; frame-ancestors 'self'; form-action 'self'; base-uri 'self'"
                    ),
                    override=True,
                ),
            ),
            opts=child,
        )

    def _bucket_policy(self, child) -> None:
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

        assert self._distribution is not None
        aws.s3.BucketPolicy(
            self.logical_name,
            bucket=self.bucket.bucket.id,
            policy=pulumi.Output.all(self.bucket.arn, self._distribution.arn).apply(document),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.bucket.public_access]),
        )

    def _publish_pages(self, child) -> dict[str, str]:
        manifest = {}
        for key, path in page_files(self.logical_name).items():
            digest = sha256(path)
            manifest[key] = digest
            aws.s3.BucketObjectv2(
                f"{self.logical_name}/{key}",
                bucket=self.bucket.bucket.id,
                key=key,
                source=pulumi.FileAsset(str(path)),
                content_type=content_type(key),
                cache_control=cache_control(key),
                metadata={"sha256": digest},
                opts=child,
            )
        return manifest

    @property
    def aliases(self) -> dict[str, list[str]]:
        """Object key → viewer paths that an edge rewrite serves it under."""
        out: dict[str, list[str]] = {}
        for route in self.routes:
            if route.serves:
                out.setdefault(route.serves, []).append(route.path)
        return out

    def _certificate(self, child) -> pulumi.Output[str]:
        # CloudFront only takes certificates from us-east-1.
        us_east_1 = aws.Provider(f"{self.logical_name}-us-east-1", region="us-east-1", opts=child)
        cert = aws.acm.Certificate(
            self.logical_name,
            domain_name=self.args.domain,
            validation_method="DNS",
            opts=pulumi.ResourceOptions(parent=self, provider=us_east_1),
        )
        option = cert.domain_validation_options[0]
        record = aws.route53.Record(
            f"{self.logical_name}-validation",
            zone_id=self.args.zone_id,
            name=option.resource_record_name,
            type=option.resource_record_type,
            records=[option.resource_record_value],
            ttl=300,
            allow_overwrite=True,
            opts=child,
        )
        validation = aws.acm.CertificateValidation(
            self.logical_name,
            certificate_arn=cert.arn,
            validation_record_fqdns=[record.fqdn],
            opts=pulumi.ResourceOptions(parent=self, provider=us_east_1),
        )
        return validation.certificate_arn

    def _dns_records(self, child) -> None:
        assert self._distribution is not None
        for record_type in ("A", "AAAA"):
            aws.route53.Record(
                f"{self.logical_name}-{record_type.lower()}",
                zone_id=self.args.zone_id,
                name=self.args.domain,
                type=record_type,
                aliases=[
                    aws.route53.RecordAliasArgs(
                        name=self._distribution.domain_name,
                        zone_id=self._distribution.hosted_zone_id,
                        evaluate_target_health=False,
                    )
                ],
                opts=child,
            )
