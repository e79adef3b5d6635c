"""The owner's voice.txt: a section per kind of mail, with {placeholders} filled from the member
and their balance. A placeholder the file names but we do not know is left as written."""

from __future__ import annotations

import re
import string
from dataclasses import dataclass

SECTION = re.compile(r"^\[([a-z_]+)\]\s*$")


@dataclass(frozen=True)
class Template:
    subject: str
    body: str


class _Keep(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def parse(text: str) -> dict[str, Template]:
    sections: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        if line.startswith("#") and current is None:
            continue
        if match := SECTION.match(line.strip()):
            current = match.group(1)
            sections[current] = []
        elif current is not None:
            sections[current].append(line)
    templates = {}
    for kind, lines in sections.items():
        while lines and not lines[0].strip():
            lines.pop(0)
        if not lines or not lines[0].lower().startswith("subject:"):
            continue
        subject = lines[0].split(":", 1)[1].strip()
        templates[kind] = Template(subject, "\n".join(lines[1:]).strip() + "\n")
    return templates


def fill(text: str, values: dict) -> str:
    return string.Formatter().vformat(text, (), _Keep({k: v for k, v in values.items() if v is not None}))
