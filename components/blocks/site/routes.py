"""A site's routes as data: which paths go to which function or edge rewrite, and what each
function origin is sent. The CDN turns each route into one CloudFront behaviour."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Optional

if TYPE_CHECKING:
    from components.blocks.function import Function

ORIGIN_VERIFY_HEADER = "X-Origin-Verify"
# edge/api.js copies the viewer's Host here: a Function URL origin cannot receive Host itself,
# and handlers need the public host to write links back to their own site.
FORWARDED_HOST_HEADER = "X-Forwarded-Host"
# CloudFront's own header naming the viewer's scheme: handlers build links and set Secure
# cookies from it rather than guessing.
FORWARDED_PROTO_HEADER = "CloudFront-Forwarded-Proto"
FUNCTION_EDGE = "api"  # edge/api.js runs in front of every function route
DEFAULT_EDGE = "pages"
PAGES_ORIGIN = "pages"  # the site's bucket
# What the bucket behaviours target: an origin group of the bucket and, when S3 has no such page,
# the site's not-found origin (see cdn.pages_group). Function behaviours target their function.
PAGES_GROUP = "pages-or-not-found"


@dataclass(frozen=True)
class Forward:
    """What an origin request policy passes to a function: nothing else reaches it."""

    headers: tuple[str, ...] = ()
    cookies: tuple[str, ...] = ()
    query_strings: bool = True

    @property
    def all_headers(self) -> list[str]:
        return sorted({*self.headers, FORWARDED_HOST_HEADER, FORWARDED_PROTO_HEADER})


@dataclass(frozen=True)
class Behaviour:
    """How CloudFront treats a kind of origin."""

    viewer_protocol_policy: str
    allowed_methods: tuple[str, ...]
    cache_policy: str  # a managed cache policy's name (components/stack/cdn_policies.py)


BEHAVIOURS = {
    # Functions answer per request (clicks must be counted, tracking must be fresh: incidents 7, 8).
    "function": Behaviour("https-only", ("GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"), "CachingDisabled"),
    "pages": Behaviour("redirect-to-https", ("GET", "HEAD"), "CachingOptimized"),
}


@dataclass
class Route:
    path: str
    function: Optional["Function"] = None  # None: the site's bucket
    edge: Optional[str] = None  # edge/<edge>.js, run at viewer request
    forward: Forward = field(default_factory=Forward)
    serves: Optional[str] = None  # the object an edge rewrite maps this path to (for invalidation)

    @property
    def origin_id(self) -> str:
        return f"fn-{self.function.logical_name}" if self.function else PAGES_GROUP

    @property
    def behaviour(self) -> Behaviour:
        return BEHAVIOURS["function" if self.function else "pages"]


class Routes:
    """The ordered routes of one site; CloudFront matches behaviours in this order."""

    def __init__(self, site: str):
        self.site = site
        self.items: list[Route] = []

    def add(self, route: Route) -> None:
        fn = route.function
        if fn is not None and fn.url is None:
            raise ValueError(f"route {route.path}: function {fn.logical_name} has no URL (url=True)")
        if fn is not None and route.edge is None:
            route.edge = FUNCTION_EDGE
        if any(r.path == route.path for r in self.items):
            raise ValueError(f"site {self.site} already routes {route.path}")
        self.items.append(route)

    def functions(self) -> list["Function"]:
        return list({id(r.function): r.function for r in self.items if r.function}.values())

    def edges(self, default: str) -> list[str]:
        return list(dict.fromkeys([default, *(r.edge for r in self.items if r.edge)]))

    def aliases(self) -> dict[str, list[str]]:
        """Object key → viewer paths that an edge rewrite serves it under."""
        out: dict[str, list[str]] = {}
        for route in self.items:
            if route.serves:
                out.setdefault(route.serves, []).append(route.path)
        return out
