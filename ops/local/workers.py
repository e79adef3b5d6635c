"""Worker processes per function, spawned on demand like Lambda environments: a request goes to
an idle environment of its function, or a new one (up to a few), never to a busy one."""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Callable, Optional

from ops.harness import ROOT

MAX_ENVIRONMENTS = 4


@dataclass
class FunctionSpec:
    name: str  # logical
    physical: str
    handler: str
    env: dict[str, str]  # exactly what the program declared
    timeout_s: int = 15


@dataclass
class Reply:
    result: Optional[dict] = None
    error: Optional[str] = None
    mail: list[dict] = field(default_factory=list)  # mail and texts, each with its `channel`
    bus_events: list[dict] = field(default_factory=list)


class Environment:
    def __init__(self, spec: FunctionSpec, runtime_env: dict[str, str], log: Callable[[str, str], None],
                 options: tuple[str, ...] = ()):
        self.spec = spec
        env = {**runtime_env, **spec.env, "AWS_LAMBDA_FUNCTION_NAME": spec.physical}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "ops.local.worker", spec.handler, *options],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        threading.Thread(target=self._relay_logs, args=(log,), daemon=True).start()

    def _relay_logs(self, log: Callable[[str, str], None]) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            log(self.spec.name, line.rstrip("\n"))

    def invoke(self, event: dict) -> Reply:
        """The handler's reply, with the mail, texts and bus events it sent; those sent before a
        timeout or the worker's death too (they were sent: SES, SNS and EventBridge do not take
        them back)."""
        assert self.process.stdin is not None and self.process.stdout is not None
        request = {"event": event, "request_id": str(uuid.uuid4()), "timeout_s": self.spec.timeout_s}
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        lines: queue.Queue = queue.Queue()
        threading.Thread(target=self._read_reply, args=(lines,), daemon=True).start()
        reply, deadline = Reply(), time.monotonic() + self.spec.timeout_s + 5
        while True:
            try:
                data = lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                self.stop()
                reply.error = f"Task timed out after {self.spec.timeout_s} seconds"
                return reply
            if data is None:
                self.stop()
                reply.error = "the environment exited"
                return reply
            reply.mail += [data["mail"]] if "mail" in data else []
            reply.bus_events += data.get("bus_events", [])
            if "result" in data or "error" in data:
                reply.result, reply.error = data.get("result"), data.get("error")
                return reply

    def _read_reply(self, lines: queue.Queue) -> None:
        """The worker's lines up to its reply (None when it exits first)."""
        assert self.process.stdout is not None
        while True:
            line = self.process.stdout.readline()
            if not line:
                lines.put(None)
                return
            data = json.loads(line)
            lines.put(data)
            if "result" in data or "error" in data:
                return

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        if self.alive:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()


class Pool:
    def __init__(self, specs: dict[str, FunctionSpec], runtime_env: dict[str, str], log: Callable[[str, str], None],
                 options: Callable[[FunctionSpec], tuple[str, ...]] = lambda spec: ()):
        self.specs = specs
        self.options = options  # the worker's options for a function (see ops/local/worker.py)
        self.runtime_env = runtime_env
        self.log = log
        self.idle: dict[str, list[Environment]] = {name: [] for name in specs}
        self.count: dict[str, int] = {name: 0 for name in specs}
        self.lock = threading.Condition()

    def _take(self, name: str) -> Environment:
        with self.lock:
            while True:
                while self.idle[name]:
                    environment = self.idle[name].pop()
                    if environment.alive:
                        return environment
                    self.count[name] -= 1
                if self.count[name] < MAX_ENVIRONMENTS:
                    self.count[name] += 1
                    break
                self.lock.wait()
        return self._new(name)

    def _new(self, name: str) -> Environment:
        return Environment(self.specs[name], self.runtime_env, self.log, self.options(self.specs[name]))

    def _give_back(self, name: str, environment: Environment) -> None:
        with self.lock:
            if environment.alive:
                self.idle[name].append(environment)
            else:
                self.count[name] -= 1
            self.lock.notify()

    def invoke(self, name: str, event: dict) -> Reply:
        environment = self._take(name)
        try:
            return environment.invoke(event)
        finally:
            self._give_back(name, environment)

    def warm(self, names: list[str]) -> None:
        """Start one environment per function ahead of the first request."""
        for name in names:
            with self.lock:
                self.count[name] += 1
            environment = self._new(name)
            self._give_back(name, environment)

    def stop(self) -> None:
        with self.lock:
            for environments in self.idle.values():
                for environment in environments:
                    environment.stop()
