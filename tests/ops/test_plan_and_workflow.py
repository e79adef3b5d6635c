"""`ops plan` lists both stacks offline; the users' workflow previews on PRs and deploys on main
with OIDC credentials only."""

from __future__ import annotations

import argparse
import json

import pytest
import yaml

from ops import harness, plan


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_plan_lists_the_stacks_resources(stack, capsys):
    assert plan.main(argparse.Namespace(stack=stack, json=True)) == 0
    listed = json.loads(capsys.readouterr().out)
    types = {r["type"] for r in listed}
    assert {"aws:lambda/function:Function", "aws:dynamodb/table:Table", "aws:cloudfront/distribution:Distribution"} <= types
    ops = next(r for r in listed if r["type"] == "aws:cloudfront/distribution:Distribution" and r["name"] == "ops")
    assert "/ref/* → fn-referral-click" in ops["behaviours"]
    tables = [r for r in listed if r["type"] == "aws:dynamodb/table:Table"]
    assert all(r.get("protect") is (True if stack == "prod" else None) for r in tables)


def test_plan_prints_a_tree(capsys):
    assert plan.main(argparse.Namespace(stack="dev", json=False)) == 0
    out = capsys.readouterr().out
    assert "Referrals referrals" in out and "aws:lambda/function:Function referral-click" in out


def test_the_workflow_previews_pull_requests_and_deploys_main_with_oidc():
    workflow = yaml.safe_load((harness.ROOT / ".github/workflows/stacks.yml").read_text())
    triggers = workflow[True] if True in workflow else workflow["on"]  # YAML reads `on:` as True
    assert "pull_request" in triggers and triggers["push"]["branches"] == ["main"]
    assert workflow["permissions"]["id-token"] == "write"
    jobs = workflow["jobs"]
    assert any(step.get("run") == "make test" for step in jobs["test"]["steps"])
    for job, command in (("preview", "preview"), ("deploy", "up")):
        assert jobs[job]["strategy"]["matrix"]["stack"] == ["dev", "prod"]
        steps = jobs[job]["steps"]
        pulumi_step = next(s for s in steps if s.get("uses", "").startswith("pulumi/actions"))
        assert pulumi_step["with"]["command"] == command
        credentials = next(s for s in steps if s.get("uses", "").startswith("aws-actions/configure-aws-credentials"))
        assert "role-to-assume" in credentials["with"] and "aws-access-key-id" not in credentials["with"]
    assert "ops deploy" in jobs["deploy"]["steps"][-1]["run"]
    assert "github.event_name == 'pull_request'" in jobs["preview"]["if"]
