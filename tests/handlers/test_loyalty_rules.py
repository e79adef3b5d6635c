"""The owner's files (rules.txt, voice.txt), and quiet hours across a daylight-saving change (the
notifier's now, handlers.shared.quiet, in the loyalty window they were written for)."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from handlers.loyalty import rules, voice
from handlers.shared import quiet

DEFAULTS = Path("handlers/loyalty/defaults")


def test_the_shipped_rules_parse():
    parsed = rules.parse((DEFAULTS / "rules.txt").read_text())
    assert parsed.points_per_dollar == Decimal("1") and parsed.minimum_spend == Decimal("3")
    assert parsed.bonus_items == {"BEANS-1KG": 25, "MUG-LOGO": 10}
    assert [(r.id, r.cost) for r in parsed.rewards] == [("free-drink", 100), ("free-pastry-pair", 180), ("beans-bag", 300)]
    assert parsed.hold_total_over == Decimal("400") and parsed.hold_points_over == 500
    assert [r.id for r in parsed.rewards_crossed(90, 190)] == ["free-drink", "free-pastry-pair"]
    assert parsed.next_reward(100).id == "free-pastry-pair" and parsed.next_reward(400) is None


def test_edge_cases_parse():
    text = """
    # comments and blank lines are fine

       points per dollar : 1.5
    MINIMUM SPEND: $0
    hold if total over: 1000
    hold if points over: 2000
    reward b: Second = 20
    reward a: First, with = in the name? no = 10
    bonus item X: 0
    """
    parsed = rules.parse(text)
    assert parsed.points_per_dollar == Decimal("1.5") and parsed.minimum_spend == 0
    assert [r.id for r in parsed.rewards] == ["a", "b"]  # cheapest first, whatever the order in the file
    assert parsed.bonus_items == {"X": 0}


@pytest.mark.parametrize("text, problem", [
    ("", "no rewards"),
    ("points per dollar: lots", "line 1: points per dollar must be a number"),
    ("points per dollar: -1", "cannot be negative"),
    ("free coffee forever", "line 1: not a rule I know"),
    ("reward a: A = 10\nreward a: A again = 20", "line 2: reward a appears twice"),
    ("reward a: A = 0", "must cost at least 1 point"),
    ("points per dollar: 1\npoints per dollar: 2", "line 2: points per dollar appears twice"),
])
def test_broken_rules_name_each_mistake(text, problem):
    with pytest.raises(rules.RulesError) as caught:
        rules.parse(text)
    assert any(problem in p for p in caught.value.problems), caught.value.problems


def test_every_missing_setting_is_named():
    with pytest.raises(rules.RulesError) as caught:
        rules.parse("reward a: A = 10")
    assert {"minimum spend: missing", "points per dollar: missing", "hold if total over: missing", "hold if points over: missing"} <= set(caught.value.problems)


def test_voice_sections_and_placeholders():
    templates = voice.parse((DEFAULTS / "voice.txt").read_text())
    assert set(templates) == {"reward_earned", "nightly_balance", "winback"}
    reward = templates["reward_earned"]
    assert voice.fill(reward.subject, {"name": "Ana", "reward_name": "Free drink"}) == "Ana, your Free drink is ready"
    assert voice.fill("{name} has {unknown}", {"name": "Ana"}) == "Ana has {unknown}"


WINDOW, ZONE = "21:00-08:00", "America/Los_Angeles"


@pytest.mark.parametrize("utc, expected", [
    # Saturday 1 November 2026, 22:00 PDT (UTC-7): the window ends Sunday 08:00 PST (UTC-8), after the change.
    (datetime(2026, 11, 1, 5, 0, tzinfo=timezone.utc), datetime(2026, 11, 1, 16, 0, tzinfo=timezone.utc)),
    # Saturday 7 March 2026, 23:00 PST: ends Sunday 08:00 PDT (UTC-7), after the spring change.
    (datetime(2026, 3, 8, 7, 0, tzinfo=timezone.utc), datetime(2026, 3, 8, 15, 0, tzinfo=timezone.utc)),
    # 06:30 local, same morning
    (datetime(2026, 7, 1, 13, 30, tzinfo=timezone.utc), datetime(2026, 7, 1, 15, 0, tzinfo=timezone.utc)),
    # 12:00 local: mail may go now
    (datetime(2026, 7, 1, 19, 0, tzinfo=timezone.utc), None),
])
def test_quiet_hours_end_at_the_local_hour_across_daylight_saving(utc, expected):
    assert quiet.send_at(utc, WINDOW, ZONE) == expected


def test_a_window_within_a_day_and_an_empty_window():
    assert quiet.send_at(datetime(2026, 7, 1, 20, 0, tzinfo=timezone.utc), "12:00-14:00", "UTC") is None
    assert quiet.send_at(datetime(2026, 7, 1, 12, 30, tzinfo=timezone.utc), "12:00-14:00", "UTC") == datetime(2026, 7, 1, 14, 0, tzinfo=timezone.utc)
    assert quiet.send_at(datetime(2026, 7, 1, 12, 30, tzinfo=timezone.utc), "12:00-12:00", "UTC") is None
