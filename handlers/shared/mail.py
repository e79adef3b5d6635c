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
    """Send one message; returns SES's message id."""
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
