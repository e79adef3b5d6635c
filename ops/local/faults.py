"""Fault injection for tests of local mode: a worker that dies mid-request, at a chosen AWS call,
and a claims clock tests can move past a lease.

Inert unless `python -m ops local` runs with `MAINSTREET_LOCAL_FAULTS=<directory>` in its
environment (only tests set it); then each worker watches that directory:

- a file `<function>.<before|after>.<service>.<Operation>` (`charter-intake.after.s3.PutObject`,
  `charter-intake.before.sesv2.SendEmail`), holding a number N (1 when empty), kills the
  function's worker (SIGKILL, as the OOM killer or a host failure would) at the N-th such call of
  an invocation: before the request is sent, or after its answer reached the worker but before
  the handler sees it. The file is removed as the fault fires, so it fires once.
- a file `claims-clock-offset` holding seconds is added to the clock of `handlers.shared.claims`,
  so a test can lapse the lease of a step a killed worker held without waiting for it.

Write these files whole (a temporary name, then a rename): a worker may read them at any time.
This is local mode's worker only (ops/local/worker.py); no Lambda code path loads it.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

ENV = "MAINSTREET_LOCAL_FAULTS"
CLOCK_FILE = "claims-clock-offset"


class Faults:
    def __init__(self, directory: Path, function: str):
        self.directory, self.function = Path(directory), function
        self.seen: dict[str, int] = {}

    def install(self, events) -> None:
        # Last, after local mode's own hooks (the outbox's mail, the objects kept on disk): an
        # "after" fault strikes once the call's effects are what they would be on AWS.
        events.register_last("before-call", self._before)
        events.register_last("after-call", self._after)
        self._move_claims_clock()

    def new_invocation(self) -> None:
        self.seen.clear()

    def _before(self, event_name: str, **_) -> None:
        self._strike("before", event_name)

    def _after(self, event_name: str, **_) -> None:
        self._strike("after", event_name)

    def _strike(self, when: str, event_name: str) -> None:
        _, service, operation = event_name.split(".", 2)
        name = f"{self.function}.{when}.{service}.{operation}"
        path = self.directory / name
        if not path.exists():
            return
        self.seen[name] = self.seen.get(name, 0) + 1
        try:
            nth = int(path.read_text().strip() or 1)
        except (OSError, ValueError):
            nth = 1
        if self.seen[name] < nth:
            return
        try:
            path.unlink()  # only one worker fires a fault
        except FileNotFoundError:
            return
        os.kill(os.getpid(), signal.SIGKILL)

    def _move_claims_clock(self) -> None:
        from handlers.shared import claims

        real, offset_file = claims.now, self.directory / CLOCK_FILE

        def now() -> float:
            try:
                return real() + float(offset_file.read_text())
            except (OSError, ValueError):
                return real()

        claims.now = now
