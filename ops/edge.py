"""Run CloudFront Functions from edge/ under Debian's njs, the engine closest to CloudFront's
(it rejects `class` and the other syntax cloudfront-js-2.0 rejects).

Used by the edge tests, by local mode's front door on every request, and by `ops deploy` to
build TestFunction events from the same fixture tables.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EDGE = ROOT / "edge"
FIXTURES = EDGE / "fixtures"
MAX_BYTES = 10 * 1024  # CloudFront Functions' limit on code size

# Events go in and results come out through files: njs cuts console.log output at about 2 KB,
# which silently broke any request with a long URI or headers (and any long fixture table).
_RUNNER = """
var __fs = require('fs');
var __events = JSON.parse(__fs.readFileSync(%s, 'utf8'));
var __out = [];
for (var __i = 0; __i < __events.length; __i++) {
  try { __out.push({ ok: handler(__events[__i]) }); }
  catch (e) { __out.push({ error: String(e) }); }
}
__fs.writeFileSync(%s, JSON.stringify(__out));
"""


class EdgeError(RuntimeError):
    pass


def source(name: str) -> str:
    return (EDGE / f"{name}.js").read_text()


def names() -> list[str]:
    return sorted(p.stem for p in EDGE.glob("*.js"))


def fixtures(name: str) -> list[dict]:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def viewer_request(request: dict, ip: str = "203.0.113.10") -> dict:
    """A viewer-request event as CloudFront builds it, from a short request description."""
    return {
        "version": "1.0",
        "context": {"eventType": "viewer-request", "distributionId": "ELOCAL"},
        "viewer": {"ip": ip},
        "request": {
            "method": request.get("method", "GET"),
            "uri": request["uri"],
            "querystring": request.get("querystring", {}),
            "headers": request.get("headers", {}),
            "cookies": request.get("cookies", {}),
        },
    }


def run(code: str, events: list[dict]) -> list[dict]:
    """Each event's result: {"ok": request-or-response} or {"error": message}."""
    njs = shutil.which("njs")
    if njs is None:
        raise EdgeError("njs is not installed: run `make tools`")
    with tempfile.TemporaryDirectory(prefix="edge-") as folder:
        script, given, results = (Path(folder) / name for name in ("run.js", "events.json", "results.json"))
        given.write_text(json.dumps(events))
        script.write_text(code + "\n" + _RUNNER % (json.dumps(str(given)), json.dumps(str(results))))
        done = subprocess.run([njs, str(script)], capture_output=True, text=True, timeout=20)
        if done.returncode != 0 or not results.exists():
            raise EdgeError((done.stderr or done.stdout).strip() or f"njs exited {done.returncode} without results")
        return json.loads(results.read_text(encoding="utf-8"))


def check(expect: dict, result: dict) -> list[str]:
    """Differences between a fixture's expectation and what the function returned."""
    if "error" in result:
        return [f"threw {result['error']}"]
    out = result["ok"]
    problems = []
    if "status" in expect:
        if out.get("statusCode") != expect["status"]:
            problems.append(f"status {out.get('statusCode')} != {expect['status']}")
        location = (out.get("headers") or {}).get("location", {}).get("value")
        if "location" in expect and location != expect["location"]:
            problems.append(f"location {location!r} != {expect['location']!r}")
    else:
        if "statusCode" in out:
            problems.append(f"answered {out['statusCode']} instead of passing the request on")
        elif "uri" in expect and out.get("uri") != expect["uri"]:
            problems.append(f"uri {out.get('uri')!r} != {expect['uri']!r}")
        for header, value in (expect.get("headers") or {}).items():
            got = (out.get("headers") or {}).get(header, {}).get("value")
            if got != value:
                problems.append(f"header {header} {got!r} != {value!r}")
        for header in expect.get("absent_headers") or []:
            if header in (out.get("headers") or {}):
                problems.append(f"header {header} should be gone")
    return problems
