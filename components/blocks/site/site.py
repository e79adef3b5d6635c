"""A site: a private bucket for its pages and one CloudFront distribution in front of it, its
routes to functions and edge rewrites, and an optional custom domain.

Systems add routes (`site.route("/ref/*", click_fn, ...)`) and may link the site before it is
built (`site.invalidate`, `site.address`): what those links need from the distribution is a
deferred output, filled in when the platform finishes every site, once, after all systems.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_aws as aws

from components.blocks.bucket import Bucket, BucketArgs
from components.blocks.function import Function
from components.blocks.links import Link, env_name, grant
from components.blocks.secret import Secret
from components.blocks.site import cdn, domain, pages
from components.blocks.site.routes import DEFAULT_EDGE, PAGES_ORIGIN, Forward, Route, Routes
from components.stack.context import Context


@dataclass
class SiteArgs:
    origin_secret: Secret  # sent by CloudFront to function origins; handlers reject calls without it
    # Answers the site's 404 page (status 404) for a GET or HEAD of any path: the bucket behaviours
    # fail over to it when S3 has no such page (cdn.pages_group). A function with a URL.
    not_found: Function
    domain: str = ""
    zone_id: str = ""
    default_edge: str = DEFAULT_EDGE


class Site(pulumi.ComponentResource):
    def __init__(self, name: str, args: SiteArgs, ctx: Context, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mainstreet:web:Site", name, None, opts)
        self.logical_name = name
        self.args = args
        self.ctx = ctx
        self.routes = Routes(name)
        self.url_parameter = ctx.naming.path("sites", name, "url")
        self.bucket = Bucket(f"{name}-site", BucketArgs(), ctx, pulumi.ResourceOptions(parent=self))
        self.distribution_id, self._resolve_id = pulumi.deferred_output()
        self.distribution_arn, self._resolve_arn = pulumi.deferred_output()
        self._default_domain, self._resolve_domain = pulumi.deferred_output()
        self._invalidated_by: list[Link] = []
        self.finished = False

    def route(self, path: str, function: Optional[Function] = None, *, edge: Optional[str] = None,
              forward: Forward = Forward(), serves: Optional[str] = None) -> None:
        if self.finished:
            raise RuntimeError(f"site {self.logical_name} is finished; declare routes before Platform.finish()")
        self.routes.add(Route(path, function, edge, forward, serves))

    # -- what others link ----------------------------------------------------------------------
    @property
    def invalidate(self) -> Link:
        link = grant("distribution", f"{self.logical_name} site", ["invalidate"], [self.distribution_arn], resource=self,
                     env={env_name(f"{self.logical_name} site", "distribution"): self.distribution_id})
        self._invalidated_by.append(link)
        return link

    @property
    def address(self) -> Link:
        """The site's public base URL, for handlers that write links to it outside a request.

        It is read from Parameter Store, where finish() puts it: the parameter's name is known
        before the distribution exists, so a system can link it while still adding routes.
        """
        arn = self.ctx.arn("ssm", f"parameter{self.url_parameter}")
        return grant("parameter", f"{self.logical_name} site url", ["read"], [arn], resource=self,
                     env={env_name(f"{self.logical_name} site url", "parameter"): self.url_parameter})

    @property
    def domain(self) -> pulumi.Output[str]:
        if self.args.domain:
            return pulumi.Output.from_input(self.args.domain)
        return self._default_domain

    @property
    def url(self) -> pulumi.Output[str]:
        return self.domain.apply(lambda d: f"https://{d}")

    @property
    def aliases(self) -> dict[str, list[str]]:
        return self.routes.aliases()

    # -- building ------------------------------------------------------------------------------
    def finish(self) -> None:
        """Build the distribution from the routes declared so far (the platform calls this)."""
        ctx, name = self.ctx, self.logical_name
        self._refuse_cycles()
        oac = cdn.origin_access(name, ctx, self)
        headers_policy = cdn.security_headers(name, ctx, self)
        edge_arns = {edge: cdn.edge_function(name, edge, ctx, self) for edge in self.routes.edges(self.args.default_edge)}
        origins = [
            aws.cloudfront.DistributionOriginArgs(
                origin_id=PAGES_ORIGIN,
                domain_name=self.bucket.bucket.bucket_regional_domain_name,
                origin_access_control_id=oac.id,
            )
        ]
        not_found = Route("*", self.args.not_found)
        for route in [*self.routes.items, not_found]:
            if route.function is not None and not any(o.origin_id == route.origin_id for o in origins):
                origins.append(cdn.function_origin(route, self.args.origin_secret.value))

        def behaviour(route: Route) -> cdn.BehaviourFields:
            # Policies are the stack's, shared by every site: see cdn.request_policy.
            return cdn.behaviour_fields(route, headers_policy_id=headers_policy.id,
                                        request_policy_id=cdn.request_policy(route.forward, ctx) if route.function else None)

        default_route = Route("*", edge=self.args.default_edge)
        default_behaviour = aws.cloudfront.DistributionDefaultCacheBehaviorArgs(
            **behaviour(default_route),
            function_associations=[aws.cloudfront.DistributionDefaultCacheBehaviorFunctionAssociationArgs(
                event_type="viewer-request", function_arn=edge_arns[default_route.edge])] if default_route.edge else None,
        )
        ordered_behaviours = [
            aws.cloudfront.DistributionOrderedCacheBehaviorArgs(
                path_pattern=route.path,
                **behaviour(route),
                function_associations=[aws.cloudfront.DistributionOrderedCacheBehaviorFunctionAssociationArgs(
                    event_type="viewer-request", function_arn=edge_arns[route.edge])] if route.edge else None,
            )
            for route in self.routes.items
        ]

        certificate = domain.certificate(name, self.args.domain, self.args.zone_id, self) if self.args.domain else None
        distribution = aws.cloudfront.Distribution(
            name,
            enabled=True,
            comment=ctx.naming(name),
            is_ipv6_enabled=True,
            http_version="http2and3",
            price_class="PriceClass_100",
            aliases=[self.args.domain] if self.args.domain else None,
            origins=origins,
            origin_groups=[cdn.pages_group(not_found.origin_id)],
            default_cache_behavior=default_behaviour,
            ordered_cache_behaviors=ordered_behaviours,
            restrictions=aws.cloudfront.DistributionRestrictionsArgs(
                geo_restriction=aws.cloudfront.DistributionRestrictionsGeoRestrictionArgs(restriction_type="none")
            ),
            viewer_certificate=aws.cloudfront.DistributionViewerCertificateArgs(
                acm_certificate_arn=certificate, ssl_support_method="sni-only", minimum_protocol_version="TLSv1.2_2021"
            )
            if certificate
            else aws.cloudfront.DistributionViewerCertificateArgs(cloudfront_default_certificate=True),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self._resolve_id(distribution.id)
        self._resolve_arn(distribution.arn)
        self._resolve_domain(distribution.domain_name)
        self.finished = True
        cdn.bucket_policy(name, self.bucket, distribution, self)
        self.manifest = pages.publish(name, self.bucket.bucket.id, self)
        if self.args.domain:
            domain.alias_records(name, self.args.domain, self.args.zone_id, distribution, self)
        aws.ssm.Parameter(
            f"{name}-url",
            name=self.url_parameter,
            type="String",
            value=self.url,
            description=f"Public address of the {name} site",
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.edge_functions = {edge: ctx.naming(f"{name}-{edge}", "edge") for edge in edge_arns}
        self.register_outputs({"bucket": self.bucket.name, "distribution_id": self.distribution_id, "domain": self.domain})

    def _refuse_cycles(self) -> None:
        """A function behind this site cannot also invalidate it: its environment would need the
        distribution, which needs the function's URL first."""
        for route in self.routes.items:
            fn = route.function
            if fn is not None and any(link is mine for link in fn.links for mine in self._invalidated_by):
                raise ValueError(f"{fn.logical_name} is routed on site {self.logical_name} and links its invalidation: "
                                 "a function cannot invalidate the distribution in front of it")
