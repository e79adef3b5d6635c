"""Link-preview fetchers and crawlers: redirected like anyone, counted apart from people."""

from __future__ import annotations

import re

# Substrings of user agents that announce a machine. Matched case-insensitively.
BOT_MARKERS = (
    "bot",  # Googlebot, bingbot, Slackbot, Twitterbot, LinkedInBot, TelegramBot, Discordbot, ...
    "crawler",
    "spider",
    "slurp",  # Yahoo
    "facebookexternalhit",
    "facebot",
    "meta-externalagent",
    "whatsapp",
    "skypeuripreview",
    "embedly",
    "pinterest",
    "vkshare",
    "bitlypreview",
    "outbrain",
    "iframely",
    "preview",  # Slack-LinkExpanding's siblings, Microsoft Office link previews, ...
    "slack-imgproxy",
    "headlesschrome",
    "python-requests",
    "curl/",
    "wget/",
    "go-http-client",
)
_BOT = re.compile("|".join(re.escape(marker) for marker in BOT_MARKERS), re.IGNORECASE)


def is_bot(user_agent: str) -> bool:
    """A missing user agent is a script, not a person clicking a link."""
    return not user_agent.strip() or bool(_BOT.search(user_agent))
