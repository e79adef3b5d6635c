"""Sending mail through SES v2 with the stack's configuration set (bounces and complaints are
published from it), and rendering the Jinja2 templates of a handler package."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from handlers.shared.aws import client


@lru_cache(maxsize=None)
def templates(package: str):
    """The Jinja2 environment for `handlers/<package>/templates/`, autoescaping HTML."""
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader(f"handlers.{package}", "templates"),
        autoescape=jinja2.select_autoescape(("html", "html.j2")),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(package: str, template: str, /, **context: Any) -> str:
    return templates(package).get_template(template).render(**context)


def one_line(value: str, limit: int) -> str:
    """A header value that cannot start another header: control characters (CR, LF, NUL, ...) and
    other line separators become spaces, whatever a model upstream let through."""
    cleaned = "".join(" " if (ord(c) < 32 or ord(c) == 127 or c in "\u0085\u2028\u2029") else c for c in value)
    return " ".join(cleaned.split())[:limit]


def send(
    *,
    sender: str,
    configuration_set: str,
    to: str,
    subject: str,
    html: str,
    text: str,
    headers: dict[str, str] | None = None,
) -> str:
    """Send one message; returns SES's message id. Header values are folded to one line first."""
    subject = one_line(subject, 200)
    headers = {name: one_line(value, 2000) for name, value in (headers or {}).items()}
    if "\n" in to or "\r" in to or "," in to:
        raise ValueError("one recipient per message, on one line")
    content: dict[str, Any] = {
        "Simple": {
            "Subject": {"Data": subject, "Charset": "UTF-8"},
            "Body": {"Html": {"Data": html, "Charset": "UTF-8"}, "Text": {"Data": text, "Charset": "UTF-8"}},
        }
    }
    if headers:
        content["Simple"]["Headers"] = [{"Name": k, "Value": v} for k, v in headers.items()]
    response = client("sesv2").send_email(
        FromEmailAddress=sender,
        Destination={"ToAddresses": [to]},
        Content=content,
        ConfigurationSetName=configuration_set,
    )
    return response["MessageId"]
