"""Local mode, started once per test session exactly as `make run` starts it, and a real
browser (Playwright driving Debian's chromium) to use it."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable, Optional
from zoneinfo import ZoneInfo

import pytest

from ops import harness
from ops.local.dynamodb_local import free_port

CHROMIUM = "/usr/bin/chromium"
# How long a page, a request or a mail may take before a browser test gives up. Generous on
# purpose: on a busy machine (a parallel build, two test runs) a first page load or a handler's cold
# start takes seconds, and a wait that is only long enough on an idle machine makes a flaky test.
# Every wait uses it: Playwright actions and navigations, every expect(), and outbox polling.
SLOW_MS = 30_000
SLOW_S = SLOW_MS / 1000
BROWSER_UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0 Safari/537.36"


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body)


class Local:
    """A running `python -m ops local`."""

    def __init__(self, port: int, process: subprocess.Popen, log: Path):
        self.port, self.process, self.log = port, process, log
        self.index: dict = {}

    def url(self, site: str, path: str = "/") -> str:
        return f"http://{site}.localhost:{self.port}{path}"

    def request(self, site: Optional[str], method: str, path: str, *, headers=None, body=None) -> Answer:
        """Straight to the front door with the site's Host (Python cannot resolve *.localhost)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        sent = {"Host": f"{site}.localhost:{self.port}" if site else f"localhost:{self.port}", "User-Agent": BROWSER_UA}
        sent.update(headers or {})
        data = json.dumps(body).encode() if isinstance(body, (dict, list)) else body
        if isinstance(body, (dict, list)):
            sent["Content-Type"] = "application/json"
        connection.request(method, path, body=data, headers=sent)
        response = connection.getresponse()
        answer = Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
        answer.headers["set-cookie-all"] = [v for k, v in response.getheaders() if k.lower() == "set-cookie"]
        connection.close()
        return answer

    def staff_cookie(self, site: str = "ops", email: str | None = None, password: str | None = None) -> str:
        """A session cookie ("ms_staff=...") of the local owner, or of the account given."""
        credentials = self.index["credentials"]
        answer = self.request(site, "POST", "/api/session", body={"email": email or credentials["staff_email"],
                                                                  "password": password or credentials["staff_password"]})
        assert answer.status == 200, answer.body
        return answer.headers["set-cookie-all"][0].split(";")[0]

    def sign_in(self, page, email: str | None = None, password: str | None = None) -> None:
        """Sign in on the staff sign-in form `page` shows (site/_shared/app.js): the local owner, or
        the account given."""
        page.fill("#staff-email", email or self.index["credentials"]["staff_email"])
        page.fill("#staff-password", password or self.index["credentials"]["staff_password"])
        page.click(".sign-in button[type=submit]")

    def outbox(self) -> list[dict]:
        return self.request(None, "GET", "/_local/outbox.json").json()

    def mails(self, matching: Callable[[dict], bool], count: int = 1) -> list[dict]:
        """The outbox's mails `matching`, once there are at least `count` of them (mail may go out
        after the response: through the bus, a stream, a worker). Fails after SLOW_S without them."""
        deadline = time.monotonic() + SLOW_S
        while True:
            found = [m for m in self.outbox() if matching(m)]
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(found)} of {count} expected mails after {SLOW_S:.0f} s: {found}")
            time.sleep(0.2)  # the interval between looks, not a wait for anything

    def logs(self) -> str:
        return self.log.read_text()


def start_local(tmp_path: Path, *extra: str) -> Local:
    port = free_port()
    log = tmp_path / f"local-{port}.log"
    process = subprocess.Popen(
        # No quiet hours: local mode runs on the real clock, and marketing held from 21:00 to 08:00
        # would make what a browser test sees depend on when CI runs (the handler tests hold and
        # release it on a clock of their own).
        [sys.executable, "-m", "ops", "local", "--stack", "dev", "--port", str(port), "--config", "quietHours=00:00-00:00", *extra],
        cwd=harness.ROOT, stdout=log.open("w"), stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    local = Local(port, process, log)
    deadline = time.time() + 120
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"local mode exited:\n{log.read_text()}")
        try:
            answer = local.request(None, "GET", "/_local/")
            if answer.status == 200:
                local.index = answer.json()
                return local
        except OSError:
            pass
        time.sleep(0.3)
    process.kill()
    raise RuntimeError(f"local mode did not start:\n{log.read_text()}")


def stop_local(local: Local) -> int:
    local.process.send_signal(signal.SIGTERM)
    try:
        return local.process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        local.process.kill()
        raise


@pytest.fixture(scope="session")
def local(tmp_path_factory) -> Local:
    """The whole system, as `make run` starts it, for every test that needs it."""
    running = start_local(tmp_path_factory.mktemp("local"))
    yield running
    assert stop_local(running) == 0, running.logs()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=SLOW_MS)  # Playwright's own default is 5 s

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"],
        )
        yield launched
        launched.close()


@pytest.fixture
def new_page(browser):
    """new_page(**context_options) → a page in a context of its own (its own cookies: another
    person), with SLOW_MS for every action and navigation; closed after the test."""
    contexts = []

    def opened(**options):
        context = browser.new_context(**options)
        context.set_default_timeout(SLOW_MS)
        contexts.append(context)
        return context.new_page()

    yield opened
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    return new_page(viewport={"width": 1280, "height": 900})


@pytest.fixture
def phone(new_page):
    """A small touch screen, for pages staff and customers use on a phone."""
    return new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)


def pytest_collection_modifyitems(items):
    """Under xdist, every browser test runs in one worker, so local mode starts once."""
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.xdist_group(name="local-mode"))


# A marketplace booking, used by the charter pages and the --persist test.
DAY = (datetime.now(ZoneInfo("America/Los_Angeles")).date() + timedelta(days=12)).isoformat()


def booking(external_id: str) -> dict:
    return {"source": "boatsetter", "external_id": external_id, "date": DAY, "start_time": "17:30", "duration_hours": 3,
            "guest_name": "Dana Whitfield", "guest_email": "dana@example.com", "guest_count": 6, "gross_revenue": "840.75",
            "notes": "Paid $840.75", "crew": [{"name": "Sam Rivera", "email": f"sam+{external_id}@crew.example", "role": "captain"}]}


def post_booking(local, external_id: str, key: str | None = None):
    return local.request("ops", "POST", "/api/bookings", body=booking(external_id),
                         headers={"X-Api-Key": key or local.index["credentials"]["service_key"]})
