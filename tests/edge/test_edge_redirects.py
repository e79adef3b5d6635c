"""No edge function answers a redirect that leaves the site, whatever path an attacker sends.

Beyond the fixture tables: hostile paths run through every function in edge/, and any Location
is read as a browser reads it (tabs and newlines dropped, backslash taken for a slash)."""

from __future__ import annotations

import re

import pytest

from ops import edge

HOSTILE = [
    "//evil.example/x", "/\\evil.example/x", "///evil", "////evil.example/x", "/\\\\evil", "/\\/evil",
    "/\t/evil.example/x", "/\n/evil", "/\r\n/evil", "/ /evil", "/\x00/evil", "/%2F%2Fevil", "/%5Cevil",
    "//evil.example", "/\\evil.example/", "/g//evil", "/ref//evil", "/track//evil", "/api//evil",
    "/https://evil.example", "/javascript:alert(1)",
]


def as_a_browser_reads(location: str) -> str:
    # WHATWG URL parsing: strip leading/trailing C0 controls and spaces, drop tab/CR/LF anywhere.
    return re.sub(r"[\t\r\n]", "", location.strip("".join(map(chr, range(0x21)))))


@pytest.mark.parametrize("name", edge.names())
def test_no_redirect_leaves_the_site(name):
    events = [edge.viewer_request({"uri": uri, "querystring": {"next": {"value": "\r\nSet-Cookie: x=1"}}}) for uri in HOSTILE]
    results = edge.run(edge.source(name), events)
    for uri, result in zip(HOSTILE, results):
        assert "error" not in result, (uri, result)
        out = result["ok"]
        location = ((out.get("headers") or {}).get("location") or {}).get("value")
        if location is None:
            continue
        read = as_a_browser_reads(location)
        assert read.startswith("/") and read[1:2] not in ("/", "\\"), (uri, location)
        assert not re.search(r"[\x00-\x1f\x7f\\]", location), (uri, location)


def test_a_long_table_comes_back_whole():
    """njs truncates console.log at about 2 KB; results come back through a file instead."""
    uri = "/" + "a" * 20_000
    [result] = edge.run(edge.source("pages"), [edge.viewer_request({"uri": uri})])
    assert result["ok"]["headers"]["location"]["value"] == uri + "/"
