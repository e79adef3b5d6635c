"""One text message, one segment: GSM-7 up to 160 characters, or UCS-2 up to 70 when any character
is outside GSM-7 (an emoji, a curly quote): a carrier splits anything longer into parts billed
apiece and may deliver them out of order.

`fit` keeps the prefix (the sender's name) and the link whole and shortens the words between.
"""

from __future__ import annotations

from urllib.parse import urlsplit

# GSM 03.38 basic character set, and the extension table (each of those costs two septets).
GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENDED = frozenset("^{}\\[~]|€\f")
GSM_LIMIT, UCS2_LIMIT = 160, 70


def is_gsm(text: str) -> bool:
    return all(c in GSM_BASIC or c in GSM_EXTENDED for c in text)


def length(text: str) -> tuple[int, int]:
    """(units used, units allowed in one segment) for `text` in the encoding it needs."""
    if is_gsm(text):
        return sum(2 if c in GSM_EXTENDED else 1 for c in text), GSM_LIMIT
    return len(text.encode("utf-16-le")) // 2, UCS2_LIMIT  # UTF-16 code units: an emoji takes two


def fits(text: str) -> bool:
    used, allowed = length(text)
    return used <= allowed


def short_link(url: str) -> str:
    """The site's own address without what a phone does not need to open it: no scheme, no
    `www.`, no query. A fragment stays (some pages carry their token there)."""
    parts = urlsplit(url)
    host = parts.netloc.removeprefix("www.")
    fragment = f"#{parts.fragment}" if parts.fragment else ""
    if parts.scheme == "http":  # local mode's sites: a phone (and the outbox) needs the scheme to open them
        return f"http://{host}{parts.path}{fragment}"
    return f"{host}{parts.path}{fragment}"


def fit(prefix: str, body: str, link: str = "", tail: str = "") -> str:
    """`prefix: body link tail` in one segment, the body cut at a word with an ellipsis when needed.
    Raises ValueError when even the prefix, link and tail alone do not fit (a template's fault)."""
    body = " ".join(body.split())

    def compose(words: str) -> str:
        return " ".join(part for part in (f"{prefix}:" if prefix else "", words, short_link(link) if link else "", tail) if part)

    text = compose(body)
    if fits(text):
        return text
    ellipsis = "..." if is_gsm(text) else "…"
    words = body.split(" ")
    while words:
        words.pop()
        candidate = compose(" ".join(words).rstrip(",.;:") + ellipsis if words else "")
        if fits(candidate):
            return candidate
    raise ValueError(f"an SMS cannot hold {compose('')!r} in one segment")
