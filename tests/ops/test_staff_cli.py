"""`python -m ops staff`: the stack's staff accounts from a terminal, on moto's Cognito and DynamoDB
holding the dev stack's user pool and sessions table, with a fake `pulumi stack output`."""

from __future__ import annotations

import json
import subprocess

import boto3
import pytest
from moto import mock_aws

from handlers.shared import auth
from ops import staff as staff_cli
from ops.__main__ import main as ops_main
from ops.local.materialize import replay

PASSWORD = "a password long enough"


class FakePulumi:
    def __init__(self, outputs: dict | None, code: int = 0, stderr: str = ""):
        self.outputs, self.code, self.stderr = outputs, code, stderr
        self.calls: list[list[str]] = []

    def __call__(self, command):
        self.calls.append(list(command))
        return subprocess.CompletedProcess(command, self.code, json.dumps(self.outputs), self.stderr)


@pytest.fixture
def stack(dev_graph, monkeypatch):
    """moto with the dev stack's resources; `stack.cli(...)` runs `python -m ops staff ...` on them."""
    with mock_aws():
        made = replay(dev_graph)
        pool = made.replaced_ids[dev_graph.named("aws:cognito/userPool:UserPool", "staff").id]
        table = dev_graph.named("aws:dynamodb/table:Table", "staff-sessions").inputs["name"]
        pulumi = FakePulumi({"staff": {"user_pool_id": pool, "sessions_table": table}, "region": "us-west-2"})
        # Every command goes through ops/__main__.py, with the fake pulumi in place of the real one.
        monkeypatch.setattr(staff_cli, "_run", pulumi)

        class Stack:
            pass

        s = Stack()
        s.pool, s.table, s.pulumi = pool, table, pulumi
        s.cognito, s.dynamodb = boto3.client("cognito-idp", region_name="us-west-2"), boto3.client("dynamodb", region_name="us-west-2")
        s.cli = lambda *argv: ops_main(["staff", *argv])
        yield s


def user(stack, email: str) -> dict | None:
    users = stack.cognito.list_users(UserPoolId=stack.pool, Filter=f'email = "{email}"')["Users"]
    return users[0] if users else None


def groups(stack, username: str) -> list[str]:
    return sorted(g["GroupName"] for g in stack.cognito.admin_list_groups_for_user(UserPoolId=stack.pool, Username=username)["Groups"])


def signed_in(stack, username: str, email: str) -> str:
    """A session row as the sign-in writes it (handlers.shared.auth.start_session)."""
    from handlers.shared import aws

    aws.client.cache_clear()  # made inside this test's moto
    auth.start_session(stack.table, "session key", auth.Staff(username, "Someone", email, ("dispatch",)), auth.now_ms(),
                       "203.0.113.9", "curl")
    return username


def sessions_of(stack, username: str) -> int:
    from handlers.shared.directory import sessions

    return len(sessions(stack.dynamodb, stack.table, username))


def test_add_creates_the_account_with_its_roles_and_says_cognito_mailed_the_password(stack, capsys):
    assert stack.cli("add", "--stack", "prod", "--email", "Olive@Example.com", "--name", "  Olive  Owner",
                     "--role", "owner", "--role", "dispatch") == 0
    assert stack.pulumi.calls == [["pulumi", "stack", "output", "--json", "--stack", "prod"]]
    made = user(stack, "olive@example.com")
    assert made["UserStatus"] == "FORCE_CHANGE_PASSWORD" and made["Enabled"]
    assert {a["Name"]: a["Value"] for a in made["Attributes"]}["name"] == "Olive Owner"
    assert groups(stack, made["Username"]) == ["dispatch", "owner"]
    out = capsys.readouterr().out
    assert "Added Olive Owner <olive@example.com> (dispatch, owner; invited)" in out
    assert "Cognito has mailed olive@example.com a temporary password" in out


def test_adding_an_address_twice_is_refused_and_changes_nothing(stack, capsys):
    assert stack.cli("add", "--stack", "dev", "--email", "nia@example.com", "--name", "Nia", "--role", "referrals") == 0
    assert stack.cli("add", "--stack", "dev", "--email", "NIA@example.com", "--name", "Other", "--role", "owner") == 1
    assert "already has a staff account" in capsys.readouterr().out
    [only] = [u for u in stack.cognito.list_users(UserPoolId=stack.pool)["Users"]]
    assert groups(stack, only["Username"]) == ["referrals"]


@pytest.mark.parametrize("argv, said", [
    (["--email", "not an address", "--name", "X", "--role", "dispatch"], "--email: please enter an e-mail address like name@example.com."),
    (["--email", "x@example.com", "--name", "   ", "--role", "dispatch"], "--name: please fill in the name."),
])
def test_bad_input_is_refused_in_the_pages_words_and_creates_nobody(stack, capsys, argv, said):
    assert stack.cli("add", "--stack", "dev", *argv) == 1
    assert said in capsys.readouterr().out.lower()
    assert stack.cognito.list_users(UserPoolId=stack.pool)["Users"] == []


def test_unknown_roles_and_missing_arguments_are_usage_errors(stack):
    for argv in (["add", "--stack", "dev", "--email", "x@example.com", "--name", "X", "--role", "janitor"],
                 ["add", "--stack", "dev", "--email", "x@example.com", "--name", "X"],
                 ["list"], ["disable", "--stack", "dev"]):
        with pytest.raises(SystemExit) as refused:
            stack.cli(*argv)
        assert refused.value.code == 2
    assert stack.cognito.list_users(UserPoolId=stack.pool)["Users"] == []


def test_list_shows_name_address_roles_state_and_sessions(stack, capsys):
    from handlers.shared.directory import Directory

    directory = Directory(stack.cognito, stack.pool)
    olive = directory.add("olive@example.com", "Olive", ["owner"], password=PASSWORD).id
    dee = directory.add("dee@example.com", "Dee", ["dispatch", "charters"], password=PASSWORD).id
    directory.add("nia@example.com", "Nia", ["referrals"])
    stack.cognito.admin_disable_user(UserPoolId=stack.pool, Username=dee)
    signed_in(stack, olive, "olive@example.com")
    signed_in(stack, olive, "olive@example.com")
    capsys.readouterr()
    assert stack.cli("list", "--stack", "dev") == 0
    rows = {line.split("│")[1].strip(): [c.strip() for c in line.split("│")[1:-1]]
            for line in capsys.readouterr().out.splitlines() if line.count("│") == 6}
    assert rows["Olive"] == ["Olive", "olive@example.com", "owner", "active", "2"]
    assert rows["Dee"] == ["Dee", "dee@example.com", "charters, dispatch", "disabled", "0"]
    assert rows["Nia"] == ["Nia", "nia@example.com", "referrals", "invited", "0"]


def test_disable_ends_every_session_and_enable_lets_them_back(stack, capsys):
    from handlers.shared.directory import Directory

    directory = Directory(stack.cognito, stack.pool)
    dee = directory.add("dee@example.com", "Dee", ["dispatch"], password=PASSWORD).id
    signed_in(stack, dee, "dee@example.com")
    signed_in(stack, dee, "dee@example.com")
    assert stack.cli("disable", "--stack", "dev", "--email", "DEE@example.com") == 0
    assert "Disabled Dee <dee@example.com> (dispatch; disabled); 2 session(s) ended." in capsys.readouterr().out
    assert user(stack, "dee@example.com")["Enabled"] is False and sessions_of(stack, dee) == 0
    assert stack.cli("enable", "--stack", "dev", "--email", "dee@example.com") == 0
    assert "Enabled Dee" in capsys.readouterr().out
    assert user(stack, "dee@example.com")["Enabled"] is True


def test_roles_sets_exactly_those_and_ends_the_persons_sessions(stack, capsys):
    from handlers.shared.directory import Directory

    directory = Directory(stack.cognito, stack.pool)
    dee = directory.add("dee@example.com", "Dee", ["dispatch"], password=PASSWORD).id
    signed_in(stack, dee, "dee@example.com")
    assert stack.cli("roles", "--stack", "dev", "--email", "dee@example.com", "--role", "charters", "--role", "loyalty-desk") == 0
    assert groups(stack, dee) == ["charters", "loyalty-desk"] and sessions_of(stack, dee) == 0
    assert "Their sessions ended" in capsys.readouterr().out
    signed_in(stack, dee, "dee@example.com")
    assert stack.cli("roles", "--stack", "dev", "--email", "dee@example.com", "--role", "loyalty-desk", "--role", "charters") == 0
    assert sessions_of(stack, dee) == 1 and "Their sessions ended" not in capsys.readouterr().out


def test_an_unknown_address_is_said_so(stack, capsys):
    for action in ("disable", "enable"):
        assert stack.cli(action, "--stack", "dev", "--email", "nobody@example.com") == 1
        assert "No staff account has the address nobody@example.com." in capsys.readouterr().out


def test_a_stack_without_the_pool_or_pulumi_failing_is_said_plainly(stack, monkeypatch, capsys):
    monkeypatch.setattr(staff_cli, "_run", FakePulumi({"region": "us-west-2"}))
    assert stack.cli("list", "--stack", "prod") == 1
    assert "Stack prod has no staff user pool yet: run `pulumi up --stack prod` first." in capsys.readouterr().out
    monkeypatch.setattr(staff_cli, "_run", FakePulumi(None, code=255, stderr="error: no stack named 'qa' found"))
    assert stack.cli("list", "--stack", "qa") == 1
    assert "no stack named 'qa' found" in capsys.readouterr().out


def test_without_pulumi_installed_it_says_so(monkeypatch, capsys):
    def missing(*_, **__):
        raise FileNotFoundError("pulumi")

    monkeypatch.setattr(subprocess, "run", missing)
    assert ops_main(["staff", "list", "--stack", "dev"]) == 1
    assert "`pulumi` is not installed here (or not on PATH)." in capsys.readouterr().out
