"""The front door: plays CloudFront for every site at http://<site>.localhost:<port>/.

Built from the distributions the program declares: behaviours matched by path pattern in
CloudFront's order, viewer-request edge functions run under njs, the bucket origin read from
the emulated S3, function origins invoked in their worker environments, and only what each
behaviour's origin request policy forwards reaches a function, as on AWS. An origin group fails
over to its second origin on its failover statuses (GET, HEAD and OPTIONS only), and custom error
responses, if a distribution declared any, replace any origin's error, a function's too, as on AWS.
"""

from __future__ import annotations

import fnmatch
import re
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Optional
from urllib.parse import parse_qsl, quote, unquote, urlencode

from components.stack.cdn_policies import ORIGIN_REQUEST_POLICIES
from ops import edge
from ops.harness import Graph
from ops.local.events import function_url_event, response_parts

VIEWER_IP = "127.0.0.1"
# Headers CloudFront always sets on the way to a custom origin, whatever the policy says.
ALWAYS_TO_ORIGIN = ("x-forwarded-for", "via", "x-amz-cf-id")
# CloudFront's general quotas (Developer Guide, "Quotas"): a URL of at most 8,192 bytes, and a
# request of at most 20,480 bytes counting request line, headers and query string, not the body.
# Beyond them CloudFront answers an error itself and neither runs a function nor asks an origin.
MAX_URL_BYTES = 8192
MAX_REQUEST_BYTES = 20480


@dataclass
class Forwarding:
    """What an origin request policy passes on: header/cookie names (lower-case) or all/none."""

    headers: str | set[str] = "none"  # "none" | "all" | "allExceptHost" | {names}
    cookies: str | set[str] = "none"
    query: str | set[str] = "all"

    def header_allowed(self, name: str) -> bool:
        if self.headers == "all":
            return True
        if self.headers == "allExceptHost":
            return name != "host"
        return isinstance(self.headers, set) and name in self.headers

    def cookie_allowed(self, name: str) -> bool:
        return self.cookies == "all" or (isinstance(self.cookies, set) and name in self.cookies)


@dataclass
class Behaviour:
    pattern: str
    origin: str
    methods: list[str]
    edge_code: Optional[str]
    edge_name: Optional[str]
    forwarding: Forwarding

    def matches(self, path: str) -> bool:
        # CloudFront: `*` matches any run of characters (slashes too), `?` exactly one.
        return fnmatch.fnmatchcase(path, self.pattern) if self.pattern != "*" else True


@dataclass
class Origin:
    kind: str  # "bucket" | "function"
    target: str  # bucket name or the function's logical name
    custom_headers: dict[str, str] = field(default_factory=dict)


@dataclass
class OriginGroup:
    members: tuple[str, str]  # origin ids: the primary, then the one failed over to
    failover: frozenset[int]  # the primary's statuses that send the request to the second


# CloudFront fails over only for these methods; any other gets the primary's answer.
FAILOVER_METHODS = ("GET", "HEAD", "OPTIONS")


@dataclass
class SiteFront:
    name: str
    behaviours: list[Behaviour]  # ordered, the default last
    origins: dict[str, Origin]
    response_headers: dict[str, str]
    error_pages: dict[int, tuple[int, str]]  # status from any origin → (status, page path)
    groups: dict[str, OriginGroup] = field(default_factory=dict)

    def behaviour_for(self, path: str) -> Behaviour:
        return next(b for b in self.behaviours if b.matches(path))

    def describe(self, origin_id: str) -> str:
        if origin_id in self.groups:
            return f"group:{origin_id}"
        origin = self.origins[origin_id]
        return f"{origin.kind}:{origin.target}"


def _forwarding(graph: Graph, policy_id: Optional[str]) -> Forwarding:
    if not policy_id:
        return Forwarding(headers="none", cookies="none", query="none")
    for name, managed in ORIGIN_REQUEST_POLICIES.items():
        if managed["id"] == policy_id:
            return Forwarding(headers="all" if name == "AllViewer" else "allExceptHost", cookies="all", query="all")
    policy = next(r for r in graph.of_type("aws:cloudfront/originRequestPolicy:OriginRequestPolicy") if r.id == policy_id).inputs

    def pick(config: dict, behaviour_key: str, items_key: str) -> str | set[str]:
        behaviour = config[behaviour_key]
        if behaviour == "whitelist":
            return {item.lower() if items_key == "headers" else item for item in config[items_key]["items"]}
        return {"none": "none", "all": "all", "allViewer": "all", "allViewerAndWhitelistCloudFront": "allExceptHost"}.get(behaviour, "none")

    return Forwarding(
        headers=pick(policy["headersConfig"], "headerBehavior", "headers"),
        cookies=pick(policy["cookiesConfig"], "cookieBehavior", "cookies"),
        query=pick(policy["queryStringsConfig"], "queryStringBehavior", "queryStrings"),
    )


def _security_headers(graph: Graph, policy_id: str) -> dict[str, str]:
    policy = next(r for r in graph.of_type("aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy") if r.id == policy_id).inputs
    config = policy.get("securityHeadersConfig", {})
    headers = {}
    if "strictTransportSecurity" in config:
        sts = config["strictTransportSecurity"]
        headers["Strict-Transport-Security"] = f"max-age={int(sts['accessControlMaxAgeSec'])}" + ("; includeSubDomains" if sts.get("includeSubdomains") else "")
    if "contentTypeOptions" in config:
        headers["X-Content-Type-Options"] = "nosniff"
    if "frameOptions" in config:
        headers["X-Frame-Options"] = config["frameOptions"]["frameOption"]
    if "referrerPolicy" in config:
        headers["Referrer-Policy"] = config["referrerPolicy"]["referrerPolicy"]
    if "contentSecurityPolicy" in config:
        headers["Content-Security-Policy"] = config["contentSecurityPolicy"]["contentSecurityPolicy"]
    return headers


def load_sites(graph: Graph) -> dict[str, SiteFront]:
    """Every distribution of the program, by site name, ready to answer requests."""
    edge_code = {f.outputs["arn"]: (f.inputs["code"], f.inputs["comment"]) for f in graph.of_type("aws:cloudfront/function:Function")}
    function_by_host = {u.outputs["functionUrl"].removeprefix("https://").rstrip("/"): u.inputs["functionName"]
                        for u in graph.of_type("aws:lambda/functionUrl:FunctionUrl")}
    logical_by_physical = {f.inputs["name"]: f.name for f in graph.of_type("aws:lambda/function:Function")}
    sites = {}
    for distribution in graph.of_type("aws:cloudfront/distribution:Distribution"):
        inputs = distribution.inputs
        origins = {}
        for origin in inputs["origins"]:
            if origin.get("originAccessControlId") or origin.get("s3OriginConfig"):
                bucket = origin["domainName"].split(".s3.")[0]
                origins[origin["originId"]] = Origin("bucket", bucket)
            else:
                physical = function_by_host[origin["domainName"]]
                headers = {h["name"]: h["value"] for h in origin.get("customHeaders", [])}
                origins[origin["originId"]] = Origin("function", logical_by_physical[physical], headers)
        behaviours = []
        for raw in [*inputs.get("orderedCacheBehaviors", []), {**inputs["defaultCacheBehavior"], "pathPattern": "*"}]:
            association = next((a for a in raw.get("functionAssociations") or [] if a["eventType"] == "viewer-request"), None)
            code, comment = edge_code[association["functionArn"]] if association else (None, None)
            behaviours.append(Behaviour(raw["pathPattern"], raw["targetOriginId"], raw["allowedMethods"], code, comment,
                                        _forwarding(graph, raw.get("originRequestPolicyId"))))
        groups = {}
        for group in inputs.get("originGroups", []):
            primary, secondary = (member["originId"] for member in group["members"])  # CloudFront takes exactly two
            groups[group["originId"]] = OriginGroup((primary, secondary), frozenset(int(c) for c in group["failoverCriteria"]["statusCodes"]))
        policy_id = inputs["defaultCacheBehavior"]["responseHeadersPolicyId"]
        errors = {int(e["errorCode"]): (int(e["responseCode"]), e["responsePagePath"]) for e in inputs.get("customErrorResponses", [])}
        sites[distribution.name] = SiteFront(distribution.name, behaviours, origins, _security_headers(graph, policy_id), errors, groups)
    return sites


@dataclass
class Request:
    method: str
    path: str
    query: str
    headers: dict[str, str]  # lower-case names
    body: bytes


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    behaviour: str = ""
    origin: str = ""


def _cf_request(request: Request) -> dict:
    querystring: dict[str, Any] = {}
    for key, value in parse_qsl(request.query, keep_blank_values=True):
        if key in querystring:
            entry = querystring[key]
            entry.setdefault("multiValue", [{"value": entry["value"]}]).append({"value": value})
        else:
            querystring[key] = {"value": value}
    cookies = {}
    for part in request.headers.get("cookie", "").split(";"):
        name, _, value = part.strip().partition("=")
        if name:
            cookies[name] = {"value": value}
    headers = {k: {"value": v} for k, v in request.headers.items() if k != "cookie"}
    return {"method": request.method, "uri": request.path, "querystring": querystring, "headers": headers, "cookies": cookies}


def _query_string(querystring: dict) -> str:
    pairs = []
    for key, entry in querystring.items():
        for item in entry.get("multiValue") or [entry]:
            pairs.append((key, item["value"]))
    return urlencode(pairs)


def _over_cloudfronts_limits(request: Request) -> Optional[Response]:
    url = request.path + (f"?{request.query}" if request.query else "")
    if len(url.encode()) > MAX_URL_BYTES:
        return Response(414, [("Content-Type", "text/plain")], b"URI Too Long")
    size = len(f"{request.method} {url} HTTP/1.1\r\n".encode())
    size += sum(len(f"{name}: {value}\r\n".encode()) for name, value in request.headers.items())
    if size > MAX_REQUEST_BYTES:
        # What CloudFront answers (and logs) for headers over its limit; no function runs.
        return Response(494, [("Content-Type", "text/plain")], b"Request Header Or Cookie Too Large")
    return None


class FrontDoor:
    def __init__(self, sites: dict[str, SiteFront], s3, invoke: Callable[[str, dict], Any], log: Callable[[str], None]):
        self.sites = sites
        self.s3 = s3
        self.invoke = invoke  # (function logical name, event) → workers.Reply
        self.log = log

    def handle(self, site_name: str, request: Request) -> Response:
        started = time.perf_counter()
        site = self.sites[site_name]
        behaviour = site.behaviour_for(request.path)
        too_large = _over_cloudfronts_limits(request)
        if too_large:
            response = too_large
        elif request.method not in behaviour.methods:
            response = Response(403, [("Content-Type", "text/plain")], b"This distribution does not allow this method here.")
        else:
            response = self._through_edge(site, behaviour, request)
        response.behaviour = behaviour.pattern
        response.origin = response.origin or site.describe(behaviour.origin)
        response.headers += [(k, v) for k, v in site.response_headers.items() if k.lower() not in {h.lower() for h, _ in response.headers}]
        elapsed = (time.perf_counter() - started) * 1000
        self.log(f"{site_name:8} {request.method:6} {request.path[:200]:40} {behaviour.pattern:18} {response.origin:28} {response.status} {elapsed:5.0f}ms")
        return response

    def _through_edge(self, site: SiteFront, behaviour: Behaviour, request: Request, error_page: bool = False) -> Response:
        cf_request = _cf_request(request)
        if behaviour.edge_code:
            try:
                [outcome] = edge.run(behaviour.edge_code, [{**edge.viewer_request({"uri": request.path}), "request": cf_request}])
            except (edge.EdgeError, subprocess.TimeoutExpired) as exc:  # njs itself failed: answer, never drop
                outcome = {"error": str(exc)}
            if "error" in outcome:
                return Response(503, [("Content-Type", "text/plain")], f"The edge function failed: {outcome['error']}".encode())
            result = outcome["ok"]
            if "statusCode" in result:
                headers = [(k, v["value"]) for k, v in (result.get("headers") or {}).items()]
                return Response(int(result["statusCode"]), headers, (result.get("body") or {}).get("data", "").encode() if isinstance(result.get("body"), dict) else b"")
            cf_request = result
        response = self._from_target(site, behaviour, behaviour.origin, cf_request, request)
        if response.status in site.error_pages and not error_page:
            return self._error_page(site, response, request)
        return response

    def _from_target(self, site: SiteFront, behaviour: Behaviour, origin_id: str, cf_request: dict, request: Request) -> Response:
        """The behaviour's origin, or its origin group: the same request to the second origin when
        the first answers a failover status."""
        group = site.groups.get(origin_id)
        if group is None:
            return self._from_origin(site, behaviour, origin_id, cf_request, request)
        primary, secondary = group.members
        response = self._from_origin(site, behaviour, primary, cf_request, request)
        if response.status in group.failover and request.method in FAILOVER_METHODS:
            response = self._from_origin(site, behaviour, secondary, cf_request, request)
        return response

    def _from_origin(self, site: SiteFront, behaviour: Behaviour, origin_id: str, cf_request: dict, request: Request) -> Response:
        origin = site.origins[origin_id]
        if origin.kind == "bucket":
            response = self._from_bucket(origin, cf_request, request.method)
        else:
            response = self._from_function(behaviour, origin, cf_request, request)
        response.origin = site.describe(origin_id)
        return response

    def _error_page(self, site: SiteFront, failed: Response, request: Request) -> Response:
        """A custom error response: CloudFront asks for the page path through the behaviour that
        matches it, and answers it with the configured status, whichever origin failed."""
        status, page = site.error_pages[failed.status]
        behaviour = site.behaviour_for(page)
        found = self._through_edge(site, behaviour, Request("GET", page, "", request.headers, b""), error_page=True)
        if found.status != 200:  # CloudFront then answers what it got asking for the page
            status = found.status
        return Response(status, found.headers, b"" if request.method == "HEAD" else found.body, origin=found.origin)

    def _from_bucket(self, origin: Origin, cf_request: dict, method: str) -> Response:
        key = unquote(cf_request["uri"]).lstrip("/")
        try:
            found = self.s3.get_object(Bucket=origin.target, Key=key)
        except self.s3.exceptions.NoSuchKey:
            # With origin access control and no ListBucket, S3 answers a missing key with 403.
            return Response(403, [("Content-Type", "application/xml")], b"<Error><Code>AccessDenied</Code></Error>")
        headers = [("Content-Type", found.get("ContentType", "application/octet-stream")), ("ETag", found["ETag"])]
        if found.get("CacheControl"):
            headers.append(("Cache-Control", found["CacheControl"]))
        return Response(200, headers, b"" if method == "HEAD" else found["Body"].read())

    def _from_function(self, behaviour: Behaviour, origin: Origin, cf_request: dict, request: Request) -> Response:
        forwarding = behaviour.forwarding
        headers = {k: v["value"] for k, v in cf_request["headers"].items() if forwarding.header_allowed(k)}
        if "user-agent" not in headers:
            headers["user-agent"] = "Amazon CloudFront"
        if forwarding.header_allowed("cloudfront-forwarded-proto"):
            headers["cloudfront-forwarded-proto"] = "http"  # the front door serves plain HTTP
        if forwarding.header_allowed("cloudfront-viewer-address"):
            headers["cloudfront-viewer-address"] = f"{VIEWER_IP}:{40000 + (uuid.uuid4().int % 20000)}"
        headers["x-forwarded-for"] = VIEWER_IP
        headers["via"] = "2.0 local.cloudfront.net (CloudFront)"
        headers["x-amz-cf-id"] = uuid.uuid4().hex
        headers.update({k.lower(): v for k, v in origin.custom_headers.items()})
        cookies = [f"{name}={c['value']}" for name, c in cf_request.get("cookies", {}).items() if forwarding.cookie_allowed(name)]
        if cookies:
            headers["cookie"] = "; ".join(cookies)
        query = _query_string(cf_request["querystring"]) if forwarding.query == "all" else ""
        event = function_url_event(request.method, quote(cf_request["uri"], safe="/%:@!$&'()*+,;="), query=query,
                                   headers=headers, body=request.body or None, source_ip=VIEWER_IP, function_name=origin.target)
        reply = self.invoke(origin.target, event)
        if reply.error:
            # Lambda's URL answers a failed invocation with 502, which CloudFront passes on.
            return Response(502, [("Content-Type", "application/json")], b'{"message": "Internal Server Error"}')
        status, out_headers, set_cookies, body = response_parts(reply.result or {})
        pairs = [(k, v) for k, v in out_headers.items()] + [("Set-Cookie", c) for c in set_cookies]
        return Response(status, pairs, b"" if request.method == "HEAD" else body)


HOST = re.compile(r"^(?P<site>[a-z0-9-]+)\.localhost(:\d+)?$")


def site_of(host: str) -> Optional[str]:
    match = HOST.match(host.lower())
    return match.group("site") if match else None
