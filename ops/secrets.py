"""`python -m ops secrets --stack S`: set the secrets a stack needs and does not have yet.

- staffPasscodeHash: the staff passcode is asked for (or given with --passcode); only its scrypt
  hash is stored.
- serviceKeyHash (when the stack runs charters): a new service key is generated and shown once,
  for the marketplace's webhook settings; only its SHA-256 hash is stored.
- posHmacSecret (when the stack runs loyalty): a new secret, shown once for the POS's webhook
  settings; the program needs it whole (it checks signatures), so it is stored encrypted.

Both go in as Pulumi secrets (`pulumi config set --secret`), so the stack file holds ciphertext
of a hash. Keys the program generates itself (session signing, origin verification, crew links)
need nothing here.
"""

from __future__ import annotations

import getpass
import secrets
import subprocess
from typing import Callable, Sequence

from handlers.shared.auth import hash_passcode, hash_service_key

MIN_PASSCODE = 10

Runner = Callable[[Sequence[str], str], subprocess.CompletedProcess]


def _run(command: Sequence[str], stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(list(command), input=stdin, capture_output=True, text=True)


def configured(stack: str, key: str, run: Runner) -> bool:
    done = run(["pulumi", "config", "get", key, "--stack", stack], "")
    return done.returncode == 0


def set_secret(stack: str, key: str, value: str, run: Runner) -> None:
    # The value goes on stdin, never on a command line that other users could read.
    done = run(["pulumi", "config", "set", "--secret", key, "--stack", stack], value)
    if done.returncode != 0:
        raise SystemExit(f"pulumi config set failed: {done.stderr.strip()}")


def ask_passcode() -> str:
    while True:
        first = getpass.getpass(f"New staff passcode (at least {MIN_PASSCODE} characters): ")
        if len(first) < MIN_PASSCODE:
            print("Too short.")
            continue
        if getpass.getpass("Again: ") == first:
            return first
        print("They differ; once more.")


def runs(stack: str, system: str) -> bool:
    from ops.harness import merged_config

    config, _ = merged_config(stack, secrets={})
    return system in config.get("mainstreet:systems", "")


def main(args, run: Runner = _run) -> int:
    key = "staffPasscodeHash"
    if configured(args.stack, key, run) and not args.passcode:
        print(f"{key} is already set for {args.stack}; pass --passcode to replace it.")
    else:
        passcode = args.passcode or ask_passcode()
        if len(passcode) < MIN_PASSCODE:
            print(f"The passcode needs at least {MIN_PASSCODE} characters.")
            return 1
        set_secret(args.stack, key, hash_passcode(passcode), run)
        print(f"{key} set for stack {args.stack} (only the hash is stored).")
    # (system, key, flag that replaces it, generator, what is stored, what the user is told)
    generated = (
        ("loyalty", "posHmacSecret", "new_pos_secret", lambda: secrets.token_hex(32), lambda v: v,
         "New POS webhook secret (shown once; enter it in the POS's webhook settings)"),
        ("charters", "serviceKeyHash", "new_service_key", lambda: secrets.token_urlsafe(32), hash_service_key,
         "New service key for the marketplace (shown once, only its hash is kept)"),
    )
    for system, key, flag, make, stored, announce in generated:
        if not runs(args.stack, system):
            continue
        if configured(args.stack, key, run) and not getattr(args, flag, False):
            print(f"{key} is already set for {args.stack}; pass --{flag.replace('_', '-')} to replace it.")
            continue
        value = make()
        set_secret(args.stack, key, stored(value), run)
        print(f"{announce}:\n  {value}")
    print("Run `pulumi up` to apply.")
    return 0
