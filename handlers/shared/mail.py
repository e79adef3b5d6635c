"""Sending mail through SES v2 with the stack's configuration set (bounces and complaints are
published from it), and rendering the Jinja2 templates of a handler package."""

from __future__ import annotations

from functools import lru_cache
from typing import Any, NamedTuple, Sequence

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


ORIGINAL_RECIPIENT = "X-Mainstreet-Original-To"


def sandbox_recipient(to: str, redirect: str, allowed: str) -> str | None:
    """Where sandbox mode sends mail for `to`: None (as addressed) when `to` or its domain is in the
    comma-separated allow-list, else the redirect address. Domain mode (no redirect): always None."""
    if not redirect:
        return None
    address = to.strip().lower()
    entries = {entry.strip().lower() for entry in allowed.split(",") if entry.strip()}
    if address in entries or address.rpartition("@")[2] in entries:
        return None
    return redirect


def send(
    *,
    sender: str,
    configuration_set: str,
    to: str,
    subject: str,
    html: str,
    text: str,
    headers: dict[str, str] | None = None,
    from_name: str = "",
    tags: dict[str, str] | None = None,
    attachments: Sequence[Attachment] = (),
) -> str:
    """Send one message; returns SES's message id. Header values are folded to one line first.
    `from_name` is the display name beside the sender's address; `tags` go to SES's events (the
    notifier finds its message row by them); attachments make it a raw MIME message.

    In sandbox mode (the mailer's link sets a redirect), a recipient outside the allow-list gets
    nothing: the redirect address gets the mail, its subject and a header naming who it was for."""
    if one_line(to, 320) != to or "," in to:
        raise ValueError("one recipient per message, on one line")
    headers = dict(headers or {})
    from handlers.shared.settings import MailSandboxSettings

    sandbox = MailSandboxSettings.load()
    redirect = sandbox_recipient(to, sandbox.mail_sandbox_redirect, sandbox.mail_sandbox_recipients)
    if redirect:
        # First in the subject, so the 200-character cut never hides who the mail was for.
        subject = f"[for {to}] {subject}"
        headers[ORIGINAL_RECIPIENT] = to
        to = redirect
    subject = one_line(subject, 200)
    headers = {name: one_line(value, 2000) for name, value in headers.items()}
    if from_name:
        from email.utils import formataddr

        sender = formataddr((one_line(from_name, 100), sender), charset="utf-8")
    if attachments:
        content: dict[str, Any] = {"Raw": {"Data": _raw(sender, to, subject, html, text, headers, attachments)}}
    else:
        content = {"Simple": {
            "Subject": {"Data": subject, "Charset": "UTF-8"},
            "Body": {"Html": {"Data": html, "Charset": "UTF-8"}, "Text": {"Data": text, "Charset": "UTF-8"}},
        }}
        if headers:
            content["Simple"]["Headers"] = [{"Name": k, "Value": v} for k, v in headers.items()]
    extra: dict[str, Any] = {}
    if tags:  # SES allows letters, digits, _ and - in tag values
        extra["EmailTags"] = [{"Name": k, "Value": v} for k, v in tags.items()]
    response = client("sesv2").send_email(
        FromEmailAddress=sender,
        Destination={"ToAddresses": [to]},
        Content=content,
        ConfigurationSetName=configuration_set,
        **extra,
    )
    return response["MessageId"]


class Attachment(NamedTuple):
    filename: str
    content_type: str  # "text/calendar; method=REQUEST"
    data: bytes


def _raw(sender: str, to: str, subject: str, html: str, text: str, headers: dict[str, str],
         attachments: Sequence[Attachment]) -> bytes:
    """The whole message as MIME: text and HTML alternatives, then each attachment."""
    from email.message import EmailMessage

    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, to, subject
    for name, value in headers.items():
        message[name] = value
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    for attachment in attachments:
        maintype, _, rest = attachment.content_type.partition("/")
        subtype, _, params = rest.partition(";")
        extra = dict(p.strip().split("=", 1) for p in params.split(";") if "=" in p)
        message.add_attachment(attachment.data, maintype=maintype, subtype=subtype.strip(),
                               filename=attachment.filename, params=extra)
    return message.as_bytes()
