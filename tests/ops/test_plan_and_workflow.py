"""`ops plan` lists both stacks offline; the users' workflow previews on PRs and deploys on main
with OIDC credentials only."""

from __future__ import annotations

import argparse
import json
import re

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


def load_workflow() -> dict:
    return yaml.safe_load((harness.ROOT / ".github/workflows/stacks.yml").read_text())


def test_the_workflow_previews_pull_requests_and_deploys_main_with_oidc():
    workflow = load_workflow()
    triggers = workflow[True] if True in workflow else workflow["on"]  # YAML reads `on:` as True
    assert "pull_request" in triggers and triggers["push"]["branches"] == ["main"]
    jobs = workflow["jobs"]
    assert any(step.get("run") == "make test" for step in jobs["test"]["steps"])
    for job, command in (("preview", "preview"), ("deploy", "up")):
        assert jobs[job]["strategy"]["matrix"]["stack"] == ["dev", "prod"]
        steps = jobs[job]["steps"]
        pulumi_step = next(s for s in steps if s.get("uses", "").startswith("pulumi/actions"))
        assert pulumi_step["with"]["command"] == command
        credentials = next(s for s in steps if s.get("uses", "").startswith("aws-actions/configure-aws-credentials"))
        assert "role-to-assume" in credentials["with"] and "aws-access-key-id" not in credentials["with"]
        # Pulumi.yaml names .venv as the program's virtualenv: it is installed, pinned, before Pulumi runs.
        install = next(i for i, s in enumerate(steps) if ".venv/bin/pip install" in s.get("run", ""))
        assert "-c constraints.txt" in steps[install]["run"] and install < steps.index(pulumi_step)
    assert "ops deploy" in jobs["deploy"]["steps"][-1]["run"]
    assert "github.event_name == 'pull_request'" in jobs["preview"]["if"]
    assert jobs["deploy"]["if"] == "github.event_name == 'push'"


def role_of(job: dict) -> str:
    step = next(s for s in job["steps"] if s.get("uses", "").startswith("aws-actions/configure-aws-credentials"))
    return step["with"]["role-to-assume"]


def test_each_job_gets_only_the_permissions_it_needs():
    workflow = load_workflow()
    jobs = workflow["jobs"]
    # Nothing at workflow level: a job that does not ask gets no token scope and no OIDC token.
    assert workflow["permissions"] == {}
    assert jobs["test"]["permissions"] == {"contents": "read"}
    # pulumi/actions comments the preview on the pull request: without this it fails with
    # "Resource not accessible by integration".
    assert jobs["preview"]["permissions"] == {"contents": "read", "pull-requests": "write", "id-token": "write"}
    assert jobs["deploy"]["permissions"] == {"contents": "read", "id-token": "write"}
    # Only the two jobs that assume a role can mint an OIDC token, and the one that runs
    # pull-request code assumes the read-only preview role, never the deploy role.
    assert {name for name, job in jobs.items() if job["permissions"].get("id-token") == "write"} == {"preview", "deploy"}
    assert role_of(jobs["preview"]) == "${{ vars.AWS_PREVIEW_ROLE_ARN }}"
    assert role_of(jobs["deploy"]) == "${{ vars.AWS_ROLE_ARN }}"
    assert "environment" not in jobs["preview"]
    # The deploy role's trust policy names these environments (repo:OWNER/REPO:environment:<stack>).
    assert jobs["deploy"]["environment"] == "${{ matrix.stack }}"
    # Pulumi's secrets reach only the jobs that run Pulumi, not `make test` and its packages.
    assert "secrets." not in yaml.safe_dump(workflow.get("env", {})) + yaml.safe_dump(jobs["test"])


def test_the_workflow_installs_the_pulumi_cli_of_the_pinned_sdk():
    sdk = re.search(r"^pulumi==(\S+)$", (harness.ROOT / "requirements.txt").read_text(), re.M).group(1)
    for job in ("preview", "deploy"):
        step = next(s for s in load_workflow()["jobs"][job]["steps"] if s.get("uses", "").startswith("pulumi/actions"))
        assert step["with"]["pulumi-version"] == sdk
