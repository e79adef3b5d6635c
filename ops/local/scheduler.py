"""Schedules fire locally as EventBridge Scheduler would fire them on AWS: on their cron or
rate expression in their own time zone, one-off `at()` schedules (the program's, and those
handlers create at run time) once, deleting themselves when asked to. Any can be run by hand.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Optional
from zoneinfo import ZoneInfo

from croniter import croniter

DAY_NAMES = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]


def _aws_weekday(token: str) -> str:
    """AWS numbers weekdays 1-7 from Sunday; cron numbers them 0-6."""
    def one(part: str) -> str:
        return part if not part.isdigit() else DAY_NAMES[int(part) - 1]
    if "#" in token:
        day, nth = token.split("#")
        return f"{one(day)}#{nth}"
    return "-".join(one(p) for p in token.split("-"))


def cron_to_croniter(expression: str) -> str:
    """`cron(0 9 ? * 2#1 *)` → `0 9 * * MON#1` (year dropped, `?` as `*`)."""
    fields = expression.strip()[len("cron("):-1].split()
    if len(fields) != 6:
        raise ValueError(f"{expression!r}: AWS cron takes six fields")
    minute, hour, dom, month, dow, _year = fields
    dow = "*" if dow == "?" else ",".join(_aws_weekday(t) for t in dow.split(","))
    dom = "*" if dom == "?" else dom
    return " ".join((minute, hour, dom, month, dow))


RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")


def next_fire(expression: str, zone: str, after: datetime) -> Optional[datetime]:
    """The next time (UTC) `expression`, read in `zone`, fires after `after` (UTC)."""
    tz = ZoneInfo(zone or "UTC")
    if expression.startswith("cron("):
        local_after = after.astimezone(tz)
        return croniter(cron_to_croniter(expression), local_after).get_next(datetime).astimezone(timezone.utc)
    if expression.startswith("rate("):
        match = RATE.match(expression)
        if not match:
            raise ValueError(f"{expression!r} is not a rate expression")
        amount, unit = int(match.group(1)), match.group(2).rstrip("s")
        return after + timedelta(**{f"{unit}s": amount})
    if expression.startswith("at("):
        when = datetime.fromisoformat(expression[3:-1]).replace(tzinfo=tz).astimezone(timezone.utc)
        return when if when > after else None
    raise ValueError(f"{expression!r}: not cron(), rate() or at()")


@dataclass
class LocalSchedule:
    name: str  # physical name
    logical: str
    expression: str
    zone: str
    target: str  # function logical name
    input: dict
    delete_after: bool = False
    from_program: bool = True
    due: Optional[datetime] = None


class Scheduler:
    def __init__(self, invoke: Callable[[str, dict], Any], log: Callable[[str], None], scheduler_client=None,
                 function_by_arn: Optional[dict[str, str]] = None):
        self.invoke = invoke
        self.log = log
        self.client = scheduler_client  # the emulated Scheduler API, where handlers create one-offs
        self.function_by_arn = function_by_arn or {}
        self.schedules: dict[str, LocalSchedule] = {}
        self._stop = threading.Event()
        self._lock = threading.Lock()

    def add(self, schedule: LocalSchedule) -> None:
        schedule.due = next_fire(schedule.expression, schedule.zone, datetime.now(timezone.utc))
        with self._lock:
            self.schedules[schedule.name] = schedule

    def find(self, name: str) -> LocalSchedule:
        with self._lock:
            for schedule in self.schedules.values():
                if name in (schedule.name, schedule.logical):
                    return schedule
        raise KeyError(name)

    def run(self, name: str) -> Any:
        schedule = self.find(name)
        self.log(f"schedule {schedule.logical} → {schedule.target}")
        reply = self.invoke(schedule.target, schedule.input)
        if schedule.delete_after and schedule.expression.startswith("at("):
            self._delete(schedule)
        return reply

    def _delete(self, schedule: LocalSchedule) -> None:
        with self._lock:
            self.schedules.pop(schedule.name, None)
        if not schedule.from_program and self.client is not None:
            try:
                self.client.delete_schedule(Name=schedule.name)
            except Exception:  # already gone
                pass

    def _sync_runtime_schedules(self) -> None:
        """Pick up one-off schedules handlers created through the Scheduler API."""
        if self.client is None:
            return
        try:
            listed = self.client.list_schedules()["Schedules"]
        except Exception:
            return
        for item in listed:
            if item["Name"] in self.schedules:
                continue
            detail = self.client.get_schedule(Name=item["Name"], GroupName=item.get("GroupName", "default"))
            target = self.function_by_arn.get(detail["Target"]["Arn"])
            if target is None:
                continue
            self.add(LocalSchedule(
                name=detail["Name"], logical=detail["Name"], expression=detail["ScheduleExpression"],
                zone=detail.get("ScheduleExpressionTimezone", "UTC"), target=target,
                input=json.loads(detail["Target"].get("Input") or "{}"),
                delete_after=detail.get("ActionAfterCompletion") == "DELETE", from_program=False,
            ))

    def loop(self) -> None:
        while not self._stop.wait(1.0):
            self._sync_runtime_schedules()
            now = datetime.now(timezone.utc)
            with self._lock:
                due = [s for s in self.schedules.values() if s.due is not None and s.due <= now]
            for schedule in due:
                schedule.due = next_fire(schedule.expression, schedule.zone, now)
                threading.Thread(target=self.run, args=(schedule.name,), daemon=True).start()

    def start(self) -> None:
        threading.Thread(target=self.loop, name="scheduler", daemon=True).start()

    def stop(self) -> None:
        self._stop.set()


def from_graph(graph) -> list[LocalSchedule]:
    functions = {f.outputs["arn"]: f.name for f in graph.of_type("aws:lambda/function:Function")}
    found = []
    for resource in graph.of_type("aws:scheduler/schedule:Schedule"):
        inputs = resource.inputs
        found.append(LocalSchedule(
            name=inputs["name"], logical=resource.name, expression=inputs["scheduleExpression"],
            zone=inputs.get("scheduleExpressionTimezone", "UTC"), target=functions[inputs["target"]["arn"]],
            input=json.loads(inputs["target"].get("input") or "{}"),
            delete_after=inputs.get("actionAfterCompletion") == "DELETE",
        ))
    return found
