"""Guest pages on the brand site: `/g/{CODE}` is served from the flat object `g/{code}.html`,
which the charter intake publishes (edge/guest.js does the rewrite). Declared by the platform
before the brand site is finished, since the intake needs the brand distribution to invalidate."""

from __future__ import annotations

from components.blocks.site import Site

GUEST_PREFIX = "g/"


def serve_guest_pages(brand: Site) -> None:
    brand.route("/g/*", edge="guest")
