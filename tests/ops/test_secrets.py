import argparse
import getpass
import subprocess

import pytest

from ops import secrets
from ops.__main__ import main as ops_main


class FakePulumi:
    def __init__(self, has_key: bool = False):
        self.has_key = has_key
        self.calls: list[tuple[list[str], str]] = []

    def __call__(self, command, stdin):
        self.calls.append((list(command), stdin))
        code = 0 if command[2] == "set" or self.has_key else 1
        return subprocess.CompletedProcess(command, code, "", "")

    def sets(self) -> list[tuple[list[str], str]]:
        return [c for c in self.calls if c[0][2] == "set"]


def args(stack: str = "dev", **replace) -> argparse.Namespace:
    return argparse.Namespace(stack=stack, new_service_key=replace.get("new_service_key", False),
                              new_pos_secret=replace.get("new_pos_secret", False))


@pytest.fixture(autouse=True)
def no_prompts(monkeypatch):
    """Nothing is asked for any more: staff have their own accounts (`python -m ops staff`)."""
    def refuse(*_):
        raise AssertionError("ops secrets asked for input")

    monkeypatch.setattr(getpass, "getpass", refuse)
    monkeypatch.setattr("builtins.input", refuse)


def test_a_charter_stack_gets_a_new_service_key_shown_once_stored_hashed_and_sent_on_stdin(capsys):
    from handlers.shared.auth import verify_service_key

    pulumi = FakePulumi()
    assert secrets.main(args(), run=pulumi) == 0
    command, stdin = next(c for c in pulumi.sets() if "serviceKeyHash" in c[0])
    assert command == ["pulumi", "config", "set", "--secret", "serviceKeyHash", "--stack", "dev"]
    shown = capsys.readouterr().out.split("shown once, only its hash is kept):")[1].split()[0]
    assert stdin.startswith("sha256$") and shown not in stdin and verify_service_key(shown, stdin)
    assert all(shown not in " ".join(c[0]) for c in pulumi.calls)


def test_a_loyalty_stack_gets_a_pos_secret_shown_once_and_sent_on_stdin(capsys):
    pulumi = FakePulumi()
    assert secrets.main(args(), run=pulumi) == 0
    command, stdin = next(c for c in pulumi.sets() if "posHmacSecret" in c[0])
    assert command == ["pulumi", "config", "set", "--secret", "posHmacSecret", "--stack", "dev"]
    shown = capsys.readouterr().out.split("webhook settings):")[1].split()[0]
    assert stdin == shown and len(shown) == 64
    assert all(shown not in " ".join(c[0]) for c in pulumi.calls)


def test_only_the_secrets_the_program_reads_are_set_and_no_passcode_is_among_them():
    pulumi = FakePulumi()
    assert secrets.main(args(), run=pulumi) == 0
    assert sorted(c[0][4] for c in pulumi.sets()) == ["posHmacSecret", "serviceKeyHash"]
    assert not [c for c in pulumi.calls if "passcode" in " ".join(c[0]).lower()]


def test_existing_secrets_are_kept_unless_replaced(capsys):
    pulumi = FakePulumi(has_key=True)
    assert secrets.main(args(), run=pulumi) == 0
    assert pulumi.calls and all(c[0][2] == "get" for c in pulumi.calls)
    assert "pass --new-service-key to replace it" in capsys.readouterr().out
    replaced = FakePulumi(has_key=True)
    assert secrets.main(args(new_service_key=True), run=replaced) == 0
    assert [c[0][4] for c in replaced.sets()] == ["serviceKeyHash"]


def test_the_passcode_option_is_gone():
    with pytest.raises(SystemExit) as refused:
        ops_main(["secrets", "--stack", "dev", "--passcode", "correct horse battery"])
    assert refused.value.code == 2  # argparse: unrecognized arguments


def test_one_table_gives_the_harness_and_local_mode_every_secret_a_machine_can_make():
    from components.stack.secrets import SECRETS, new_credentials, stored
    from ops import harness

    made = {spec.key for spec in SECRETS if spec.credential}
    assert set(harness.test_secrets()) == made == set(stored(new_credentials()))
    assert set(new_credentials()) == set(harness.TEST_CREDENTIALS) == {spec.credential for spec in SECRETS if spec.credential}
    assert harness.test_secrets() == harness.test_secrets()  # a fixed salt: the same graph every run
