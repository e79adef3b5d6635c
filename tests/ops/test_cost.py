"""`ops cost`: the bill a stack's graph implies, from a dated price table and the measured calls."""

from __future__ import annotations

import argparse
import copy
import json
import os
import re
from datetime import date

import pytest

from ops import cost, harness

LAST_LINE = re.compile(r"^fixed \$(\d+\.\d\d)/month; at SMB volume \$(\d+\.\d\d)/month$")


def line(lines: list[cost.Line], item: str) -> cost.Line:
    return next(entry for entry in lines if entry.item.startswith(item))


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_fixed_part_counts_exactly_the_graphs_billable_resources(stack, request):
    graph = request.getfixturevalue(f"{stack}_graph")
    bill = cost.estimate(stack, graph=graph)
    prices = cost.load_prices("us-west-2")["prices"]
    # The stack's secrets are standard SecureString parameters (free): no Secrets Manager line.
    assert not graph.of_type("aws:secretsmanager/secret:Secret")
    assert not [entry for entry in bill.fixed if "Secrets Manager" in entry.item]
    alarms = len(graph.of_type("aws:cloudwatch/metricAlarm:MetricAlarm"))
    filters = len(graph.of_type("aws:cloudwatch/logMetricFilter:LogMetricFilter"))
    budgets = len(graph.of_type("aws:budgets/budget:Budget"))
    assert line(bill.fixed, "CloudWatch alarms (standard)").quantity == alarms
    expected = (max(alarms - 10, 0) * prices["cloudwatch.alarm.standard"]["usd"]
                + max(filters - 10, 0) * prices["cloudwatch.metric.custom"]["usd"]
                + max(budgets - 2, 0) * prices["budgets.budget"]["usd"] * cost.DAYS_PER_MONTH)
    assert bill.fixed_total == pytest.approx(expected)


def test_one_more_secret_costs_one_secret_more_and_an_unknown_type_is_listed(prod_graph):
    graph = copy.copy(prod_graph)
    secret = harness.Resource(type="aws:secretsmanager/secret:Secret", name="extra", inputs={"name": "/mainstreet/prod/extra"},
                              outputs={"arn": "arn:aws:secretsmanager:us-west-2:123456789012:secret:/mainstreet/prod/extra-AbCdEf"},
                              custom=True)
    graph.resources = [*prod_graph.resources, secret,
                       harness.Resource(type="aws:ec2/natGateway:NatGateway", name="nat", inputs={}, outputs={}, custom=True)]
    before = cost.estimate("prod", graph=prod_graph)
    after = cost.estimate("prod", graph=graph)
    assert after.fixed_total - before.fixed_total == pytest.approx(0.40)
    assert after.unpriced == {"aws:ec2/natGateway:NatGateway": 1}
    assert "NOT PRICED" in cost.render(after)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_resource_type_of_the_stacks_is_priced_or_known_free(stack, request):
    assert cost.unpriced_types(request.getfixturevalue(f"{stack}_graph")) == {}


def test_the_per_use_part_scales_with_the_volume_file(prod_graph, tmp_path):
    doubled = tmp_path / "double.yaml"
    doubled.write_text("".join(f"{key}: {value * 2}\n" for key, value in cost.SMB_VOLUME.items()) + "page_views: 40000\n")
    tenfold = tmp_path / "tenfold.json"
    tenfold.write_text(json.dumps({**{key: value * 10 for key, value in cost.SMB_VOLUME.items()}, "page_views": 200_000}))
    smb = cost.estimate("prod", graph=prod_graph)
    double = cost.estimate("prod", doubled, graph=prod_graph)
    ten = cost.estimate("prod", tenfold, graph=prod_graph)
    for item in ("DynamoDB writes", "DynamoDB reads", "SES messages", "CloudFront requests"):
        assert line(double.per_use, item).quantity == pytest.approx(2 * line(smb.per_use, item).quantity)
        assert line(ten.per_use, item).quantity == pytest.approx(10 * line(smb.per_use, item).quantity)
    # invocations scale too, on top of the schedules' fixed count
    scheduled = sum(cost.schedule_fires_per_month(s.inputs["scheduleExpression"])
                    for s in prod_graph.of_type("aws:scheduler/schedule:Schedule"))
    assert line(ten.per_use, "Lambda requests").quantity - scheduled == pytest.approx(
        10 * (line(smb.per_use, "Lambda requests").quantity - scheduled))
    assert smb.per_use_total < double.per_use_total < ten.per_use_total
    assert ten.fixed_total == smb.fixed_total  # traffic never changes the fixed part
    assert line(smb.per_use, "SES messages").billed == pytest.approx(5_000 * 0.10 / 1000)


def test_a_volume_file_with_an_unknown_key_is_refused(tmp_path):
    wrong = tmp_path / "v.yaml"
    wrong.write_text("referal_clicks: 5\n")
    with pytest.raises(SystemExit, match="referal_clicks"):
        cost.load_volume(wrong)


def test_schedules_fire_as_their_cron_says():
    assert cost.schedule_fires_per_month("cron(0 19 * * ? *)") == pytest.approx(30.44)
    assert cost.schedule_fires_per_month("cron(0 8 ? * MON *)") == pytest.approx(30.44 / 7)
    assert cost.schedule_fires_per_month("cron(0 9 ? * 2#1 *)") == 1
    assert cost.schedule_fires_per_month("rate(1 hour)") == pytest.approx(30.44 * 24)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_last_line_states_both_figures(stack, capsys):
    assert cost.main(argparse.Namespace(stack=stack, volume=None, measure=False)) == 0
    last = capsys.readouterr().out.rstrip("\n").splitlines()[-1]
    match = LAST_LINE.match(last)
    assert match, last
    bill = cost.estimate(stack)
    assert (float(match[1]), float(match[2])) == (round(bill.fixed_total, 2), round(bill.all_in, 2))
    assert bill.all_in >= bill.fixed_total


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_bill_is_under_budget_and_two_stacks_share_the_free_alarms(stack, request):
    """Issue 11: prod's fixed part at most $3 a month and all-in at SMB volume at most $5. The
    account's 10 free alarm metrics cover dev and prod together (the stacks have the same alarms)."""
    graph = request.getfixturevalue(f"{stack}_graph")
    bill = cost.estimate(stack, graph=graph)
    assert bill.fixed_total <= 3.00 and bill.all_in <= 5.00, (bill.fixed_total, bill.all_in)
    assert len(graph.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")) * 2 <= 10


def test_the_price_table_is_dated_and_every_price_has_a_source():
    table = cost.load_prices("us-west-2")
    assert date.fromisoformat(table["checked"]) <= date.today()
    assert table["region"] == "us-west-2" and table["currency"] == "USD"
    for key, price in table["prices"].items():
        assert re.match(r"https://(aws\.amazon\.com|docs\.aws\.amazon\.com)/", price["source"]), key
        assert isinstance(price["checked"], bool), key
        assert price["checked"] or price.get("note"), f"{key}: say why it could not be checked"
        assert price["usd"] >= 0 and price["per"] > 0 and price["unit"], key


def test_the_calls_per_request_table_is_what_bench_measures():
    """ops/request_calls.json must be a fresh measurement of `make bench`'s request paths."""
    saved = dict(os.environ)
    try:
        measured = cost.measure_request_calls(harness.run("prod"))
    finally:
        os.environ.clear()
        os.environ.update(saved)
    assert measured == cost.load_request_calls(), "re-measure: python -m ops cost --stack prod --measure"
    referral = measured["referral click, known vendor"]
    assert referral["calls"] == ["dynamodb:TransactWriteItems"] and referral["rru"] == 0
