"""The owner's rules.txt, parsed into Rules. A file with mistakes raises RulesError listing
every mistake with its line; callers then keep the last good rules (see earn.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

REWARD = re.compile(r"^reward\s+([a-z0-9][a-z0-9-]{0,39})\s*:\s*(.+?)\s*=\s*(\d+)\s*$", re.I)
BONUS = re.compile(r"^bonus item\s+(\S+)\s*:\s*(\d+)\s*$", re.I)
SETTING = re.compile(r"^([a-z ]+?)\s*:\s*(\S.*)$", re.I)
SETTINGS = {"points per dollar", "minimum spend", "hold if total over", "hold if points over"}


class RulesError(ValueError):
    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Reward:
    id: str
    name: str
    cost: int


@dataclass(frozen=True)
class Rules:
    points_per_dollar: Decimal
    minimum_spend: Decimal
    hold_total_over: Decimal
    hold_points_over: int
    bonus_items: dict[str, int] = field(default_factory=dict)
    rewards: tuple[Reward, ...] = ()

    def reward(self, reward_id: str) -> Reward | None:
        return next((r for r in self.rewards if r.id == reward_id), None)

    def next_reward(self, balance: int) -> Reward | None:
        return next((r for r in self.rewards if r.cost > balance), None)

    def rewards_crossed(self, before: int, after: int) -> list[Reward]:
        """Rewards that became affordable with this change of balance."""
        return [r for r in self.rewards if before < r.cost <= after]


def _decimal(value: str, line: int, name: str, problems: list[str]) -> Decimal | None:
    try:
        number = Decimal(value.replace("$", "").strip())
    except InvalidOperation:
        problems.append(f"line {line}: {name} must be a number, not {value!r}")
        return None
    if number < 0:
        problems.append(f"line {line}: {name} cannot be negative")
        return None
    return number


def parse(text: str) -> Rules:
    problems: list[str] = []
    values: dict[str, Decimal] = {}
    bonus: dict[str, int] = {}
    rewards: list[Reward] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if match := REWARD.match(line):
            reward_id, name, cost = match.group(1).lower(), match.group(2), int(match.group(3))
            if any(r.id == reward_id for r in rewards):
                problems.append(f"line {number}: reward {reward_id} appears twice")
            elif cost <= 0:
                problems.append(f"line {number}: reward {reward_id} must cost at least 1 point")
            else:
                rewards.append(Reward(reward_id, name, cost))
        elif match := BONUS.match(line):
            bonus[match.group(1)] = int(match.group(2))
        elif (match := SETTING.match(line)) and match.group(1).lower() in SETTINGS:
            name = match.group(1).lower()
            if name in values:
                problems.append(f"line {number}: {name} appears twice")
            parsed = _decimal(match.group(2), number, name, problems)
            if parsed is not None:
                values[name] = parsed
        else:
            problems.append(f"line {number}: not a rule I know: {line!r}")
    for name in sorted(SETTINGS - set(values)):
        problems.append(f"{name}: missing")
    if not rewards:
        problems.append("no rewards: add at least one line like 'reward free-drink: Free drink = 100'")
    if problems:
        raise RulesError(problems)
    return Rules(
        points_per_dollar=values["points per dollar"],
        minimum_spend=values["minimum spend"],
        hold_total_over=values["hold if total over"],
        hold_points_over=int(values["hold if points over"]),
        bonus_items=bonus,
        rewards=tuple(sorted(rewards, key=lambda r: r.cost)),
    )
