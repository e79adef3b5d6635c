"""A site, in four parts read in order: `routes` (which path goes where, as data), `pages` (the
files published to its bucket), `cdn` (CloudFront: behaviours, edge functions, policies) and
`domain` (certificate and DNS); `site.Site` composes them."""

from components.blocks.site.pages import content_type
from components.blocks.site.routes import Forward, Route
from components.blocks.site.site import Site, SiteArgs

__all__ = ["Forward", "Route", "Site", "SiteArgs", "content_type"]
