"""Short codes people read aloud and type from paper (guest codes, job ids): one alphabet, drawn
with `secrets` so a code cannot be predicted from the ones before it."""

from __future__ import annotations

import secrets

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"  # no 0/O, 1/I/L, U: nothing two ways to read


def code(length: int) -> str:
    """`length` symbols of CODE_ALPHABET: log2(30) ≈ 4.9 bits each."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))
