"""Local mode's generated secrets (`random:` results: the session, crew-link and member-token
keys, ...): fresh each run, or, with --persist, kept under the state dir by the resource's name."""

from __future__ import annotations

import json

from ops.local.materialize import Materializer

PASSWORD = "random:index/randomPassword:RandomPassword"


def generate(materializer: Materializer, name: str) -> str:
    return materializer(PASSWORD, name, {"length": 48}, {})["result"]


def test_without_a_file_each_run_generates_afresh(tmp_path):
    first, second = Materializer(generate_secrets=True), Materializer(generate_secrets=True)
    assert generate(first, "session-key") != generate(second, "session-key")
    assert list(tmp_path.iterdir()) == []


def test_a_kept_file_gives_the_same_value_by_name_next_run(tmp_path):
    kept = tmp_path / "generated.json"
    first = Materializer(generate_secrets=True, kept_secrets=kept)
    session, crew = generate(first, "session-key"), generate(first, "crew-link-key")
    assert session != crew and len(session) == 48
    assert generate(first, "session-key") == session  # one value per name within a run too
    assert kept.stat().st_mode & 0o777 == 0o600
    assert json.loads(kept.read_text()) == {"session-key": session, "crew-link-key": crew}

    second = Materializer(generate_secrets=True, kept_secrets=kept)
    assert generate(second, "crew-link-key") == crew and generate(second, "session-key") == session
    generate(second, "member-token-key")  # a secret the program declares only now is added
    assert set(json.loads(kept.read_text())) == {"session-key", "crew-link-key", "member-token-key"}
    assert kept.stat().st_mode & 0o777 == 0o600


def test_a_file_written_with_a_looser_mode_is_tightened(tmp_path):
    kept = tmp_path / "generated.json"
    kept.write_text(json.dumps({"session-key": "s" * 48}))
    kept.chmod(0o644)
    assert generate(Materializer(generate_secrets=True, kept_secrets=kept), "session-key") == "s" * 48
    assert kept.stat().st_mode & 0o777 == 0o600


def test_without_generate_secrets_random_resources_are_left_to_the_mocks(tmp_path):
    assert Materializer(kept_secrets=tmp_path / "generated.json")(PASSWORD, "session-key", {}, {}) is None


def test_kept_credentials_keep_the_owner_password_and_drop_what_is_no_longer_made(tmp_path):
    from ops.local.server import LocalSystem

    system = LocalSystem("dev", persist=True, state=tmp_path)
    first = system._credentials(12)
    assert set(first) == {"staff_password", "service_key", "pos_hmac_secret"} and len(first["staff_password"]) >= 12
    kept = tmp_path / "credentials.json"
    assert kept.stat().st_mode & 0o777 == 0o600
    kept.write_text(json.dumps({**first, "staff_passcode": "from an older version"}))
    assert system._credentials(12) == first
    assert json.loads(kept.read_text()) == first
    # A longer minimum (the stack's staffPasswordLength) than the kept password: a new one.
    longer = system._credentials(30)
    assert len(longer["staff_password"]) >= 30 and longer["service_key"] == first["service_key"]
    assert LocalSystem("dev", state=tmp_path)._credentials(12)["staff_password"] != first["staff_password"]  # no --persist
