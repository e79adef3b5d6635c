"""Schedules fire in their own time zone; bus events reach the rules they match."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from ops.local import bus, scheduler


@pytest.mark.parametrize("aws, cron", [
    ("cron(0 19 * * ? *)", "0 19 * * *"),
    ("cron(0 9 ? * MON *)", "0 9 * * MON"),
    ("cron(0 9 ? * 2#1 *)", "0 9 * * MON#1"),
    ("cron(30 7 ? * 2-6 *)", "30 7 * * MON-FRI"),
    ("cron(0 8 1 * ? *)", "0 8 1 * *"),
])
def test_aws_cron_becomes_croniter_cron(aws, cron):
    assert scheduler.cron_to_croniter(aws) == cron


def test_a_schedule_fires_at_its_local_hour_across_a_dst_change():
    """19:00 in Los Angeles is 03:00 UTC in winter and 02:00 UTC in summer."""
    winter = scheduler.next_fire("cron(0 19 * * ? *)", "America/Los_Angeles", datetime(2026, 11, 2, 12, tzinfo=timezone.utc))
    summer = scheduler.next_fire("cron(0 19 * * ? *)", "America/Los_Angeles", datetime(2026, 10, 30, 12, tzinfo=timezone.utc))
    assert (winter.hour, summer.hour) == (3, 2)
    utc = scheduler.next_fire("cron(0 19 * * ? *)", "UTC", datetime(2026, 11, 2, 12, tzinfo=timezone.utc))
    assert utc.hour == 19


def test_rate_and_one_off_expressions():
    now = datetime(2026, 11, 22, 10, 0, tzinfo=timezone.utc)
    assert scheduler.next_fire("rate(15 minutes)", "UTC", now) == datetime(2026, 11, 22, 10, 15, tzinfo=timezone.utc)
    at = scheduler.next_fire("at(2026-11-22T09:30:00)", "Asia/Singapore", datetime(2026, 11, 22, 1, 0, tzinfo=timezone.utc))
    assert at == datetime(2026, 11, 22, 1, 30, tzinfo=timezone.utc)
    assert scheduler.next_fire("at(2026-11-22T09:30:00)", "Asia/Singapore", now) is None  # passed


def test_running_a_schedule_invokes_its_target_and_a_one_off_deletes_itself():
    calls = []
    runner = scheduler.Scheduler(lambda fn, event: calls.append((fn, event)), log=lambda line: None)
    runner.add(scheduler.LocalSchedule("ms-dev-digest", "digest", "cron(0 8 ? * MON *)", "America/Los_Angeles", "digest-fn", {"k": 1}))
    runner.add(scheduler.LocalSchedule("once", "once", "at(2099-01-01T00:00:00)", "UTC", "mailer", {}, delete_after=True))
    runner.run("digest")
    runner.run("once")
    assert calls == [("digest-fn", {"k": 1}), ("mailer", {})]
    assert list(runner.schedules) == ["ms-dev-digest"]


@pytest.mark.parametrize("pattern, matched", [
    ({"source": ["loyalty"]}, True),
    ({"source": ["other"]}, False),
    ({"detail-type": ["reward_earned", "held_for_review"]}, True),
    ({"detail": {"points": [{"numeric": [">", 10]}]}}, True),
    ({"detail": {"points": [{"numeric": [">", 100]}]}}, False),
    ({"detail": {"phone": [{"prefix": "+65"}]}}, True),
    ({"detail": {"tier": [{"anything-but": "gold"}]}}, True),
    ({"detail": {"email": [{"exists": False}]}}, True),
    ({"detail": {"email": [{"exists": True}]}}, False),
])
def test_event_patterns(pattern, matched):
    event = {"source": "loyalty", "detail-type": "reward_earned", "detail": {"points": 20, "phone": "+6591234567", "tier": "silver"}}
    assert bus.matches(pattern, event) is matched
