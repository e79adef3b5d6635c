"""Every mail SES (or Cognito, for staff accounts: ops/local/cognito_mail.py) and every text SNS
would have sent in local mode, kept for reading: an HTML page with the mails rendered (links go
to the local sites) and texts as bubbles, and the same list as JSON. Each entry has an `id`, by
which the page's buttons (bounce, complain, reply STOP) name it, and `replies`: what was played
back for it.
"""

from __future__ import annotations

import json
import os
import re
import threading
from pathlib import Path
from typing import Optional

import jinja2

TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"), autoescape=True, trim_blocks=True, lstrip_blocks=True
)
URL = re.compile(r"https?://[^\s<>\"')]+")


def linkify(text: str) -> str:
    """Plain text with its URLs as links (escaped, so the page stays safe)."""
    out, last = [], 0
    for match in URL.finditer(text):
        out.append(str(jinja2.utils.markupsafe.escape(text[last:match.start()])))
        url = jinja2.utils.markupsafe.escape(match.group(0))
        out.append(f'<a href="{url}">{url}</a>')
        last = match.end()
    out.append(str(jinja2.utils.markupsafe.escape(text[last:])))
    return "".join(out)


class Outbox:
    def __init__(self, path: Optional[Path] = None):
        self.path = path
        self.mails: list[dict] = json.loads(path.read_text()) if path and path.exists() else []
        self.lock = threading.Lock()

    def add(self, mails: list[dict]) -> None:
        if not mails:
            return
        with self.lock:
            for mail in mails:
                mail = {"channel": "email", "attachments": [], **mail, "id": str(len(self.mails) + 1), "replies": []}
                mail["to"] = ", ".join(mail["to"]) if isinstance(mail["to"], list) else mail["to"]
                self.mails.append(mail)
            self._save()

    def _save(self) -> None:
        if self.path:  # written whole, then renamed: a crash mid-write leaves the previous file
            partial = self.path.with_name(self.path.name + ".partial")
            partial.write_text(json.dumps(self.mails, indent=1))
            os.replace(partial, self.path)

    def find(self, entry_id: str) -> Optional[dict]:
        with self.lock:
            return next((dict(m) for m in self.mails if m.get("id") == entry_id), None)

    def note(self, entry_id: str, reply: dict) -> None:
        """Record what was played back for an entry (a bounce, a STOP) and what came of it."""
        with self.lock:
            for mail in self.mails:
                if mail.get("id") == entry_id:
                    mail["replies"] = [*mail.get("replies", []), reply]
            self._save()

    def as_json(self) -> list[dict]:
        with self.lock:
            return [dict(m) for m in self.mails]

    def page(self, actions: Optional[dict[str, list[tuple[str, str]]]] = None) -> str:
        """`actions`: entry id → its buttons, (path segment, label)."""
        mails = list(reversed(self.as_json()))
        return TEMPLATES.get_template("outbox.html.j2").render(mails=mails, linkify=linkify, actions=actions or {})
