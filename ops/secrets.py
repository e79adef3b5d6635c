"""`python -m ops secrets --stack S`: set the secrets a stack needs and does not have yet.

Which secrets, when each is needed and how it is made come from one table,
`components/stack/secrets.py`:
- serviceKeyHash (when the stack runs charters): a new service key is generated and shown once,
  for the marketplace's webhook settings; only its SHA-256 hash is stored.
- posHmacSecret (when the stack runs loyalty): a new secret, shown once for the POS's webhook
  settings; the program needs it whole (it checks signatures), so it is stored encrypted.
- driveServiceAccount is given by hand (`pulumi config set --secret driveServiceAccount < key.json`).

All go in as Pulumi secrets (`pulumi config set --secret`), so the stack file holds ciphertext
of a hash. Keys the program generates itself (session signing, origin verification, crew links)
need nothing here, and staff sign in with their own accounts (`python -m ops staff`). On AWS the stack keeps each as a SecureString parameter (components/blocks/secret.py).
"""

from __future__ import annotations

import subprocess
from typing import Callable, Sequence

from components.stack.secrets import SECRETS, SecretSpec

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


def runs(stack: str, system: str) -> bool:
    from ops.harness import merged_config

    config, _ = merged_config(stack, secrets={})
    return system in config.get("mainstreet:systems", "")


def _set(spec: SecretSpec, args, run: Runner) -> None:
    """Set one secret unless it is set already and not to be replaced."""
    replace = getattr(args, spec.replace_flag.replace("-", "_"), None)
    if configured(args.stack, spec.key, run) and not replace:
        print(f"{spec.key} is already set for {args.stack}; pass --{spec.replace_flag} to replace it.")
        return
    plain = spec.making.new()
    set_secret(args.stack, spec.key, spec.making.store(plain), run)
    if spec.making.shown_once:
        print(f"{spec.announce}:\n  {plain}")
    else:
        print(f"{spec.key} set for stack {args.stack}.")


def main(args, run: Runner = _run) -> int:
    for spec in SECRETS:
        if spec.making.new is None:
            continue  # given by hand; config validation says when it is missing
        if spec.systems and not any(runs(args.stack, system) for system in spec.systems):
            continue
        _set(spec, args, run)
    print("Run `pulumi up` to apply.")
    return 0
