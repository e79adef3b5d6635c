import argparse
import subprocess

from handlers.shared.auth import verify_passcode
from ops import secrets


class FakePulumi:
    def __init__(self, has_key: bool = False):
        self.has_key = has_key
        self.calls: list[tuple[list[str], str]] = []

    def __call__(self, command, stdin):
        self.calls.append((list(command), stdin))
        code = 0 if command[2] == "set" or self.has_key else 1
        return subprocess.CompletedProcess(command, code, "", "")


def test_only_the_hash_of_the_passcode_is_stored_and_it_travels_on_stdin():
    pulumi = FakePulumi()
    code = secrets.main(argparse.Namespace(stack="prod", passcode="correct horse battery", new_service_key=False), run=pulumi)
    assert code == 0
    command, stdin = next(c for c in pulumi.calls if "staffPasscodeHash" in c[0] and c[0][2] == "set")
    assert command == ["pulumi", "config", "set", "--secret", "staffPasscodeHash", "--stack", "prod"]
    assert "correct horse" not in " ".join(command) and "correct horse" not in stdin
    assert verify_passcode("correct horse battery", stdin)


def test_an_existing_passcode_is_kept_unless_replaced_and_short_ones_are_refused():
    pulumi = FakePulumi(has_key=True)
    assert secrets.main(argparse.Namespace(stack="dev", passcode=None, new_service_key=False), run=pulumi) == 0
    assert all(c[0][2] == "get" for c in pulumi.calls)
    assert secrets.main(argparse.Namespace(stack="dev", passcode="short", new_service_key=False), run=FakePulumi()) == 1


def test_a_charter_stack_gets_a_new_service_key_shown_once_and_stored_hashed(capsys):
    from handlers.shared.auth import verify_service_key

    pulumi = FakePulumi()
    assert secrets.main(argparse.Namespace(stack="dev", passcode="correct horse battery", new_service_key=False), run=pulumi) == 0
    command, stdin = next(c for c in pulumi.calls if "serviceKeyHash" in c[0] and c[0][2] == "set")
    shown = capsys.readouterr().out.split("shown once, only its hash is kept):")[1].split()[0]
    assert stdin.startswith("sha256$") and shown not in stdin and verify_service_key(shown, stdin)


def test_a_loyalty_stack_gets_a_pos_secret_shown_once(capsys):
    pulumi = FakePulumi()
    assert secrets.main(argparse.Namespace(stack="dev", passcode="correct horse battery", new_service_key=False), run=pulumi) == 0
    command, stdin = next(c for c in pulumi.calls if "posHmacSecret" in c[0] and c[0][2] == "set")
    shown = capsys.readouterr().out.split("webhook settings):")[1].split()[0]
    assert stdin == shown and len(shown) == 64


def test_one_table_gives_the_harness_and_local_mode_every_secret_a_machine_can_make():
    from components.stack.secrets import SECRETS, new_credentials, stored
    from ops import harness

    made = {spec.key for spec in SECRETS if spec.credential}
    assert set(harness.test_secrets()) == made == set(stored(new_credentials()))
    assert set(new_credentials()) == set(harness.TEST_CREDENTIALS) == {spec.credential for spec in SECRETS if spec.credential}
    assert harness.test_secrets() == harness.test_secrets()  # a fixed salt: the same graph every run
