"""handlers.shared.ids: one alphabet for codes people read and type, drawn from `secrets`."""

from __future__ import annotations

from collections import Counter

from handlers.shared import ids


def test_the_alphabet_has_nothing_read_two_ways():
    assert len(set(ids.CODE_ALPHABET)) == len(ids.CODE_ALPHABET) == 30
    assert not set(ids.CODE_ALPHABET) & set("01OILU")


def test_codes_come_from_secrets_and_do_not_repeat(monkeypatch):
    draws = [ids.code(9) for _ in range(20_000)]
    assert len(set(draws)) == len(draws)
    counts = Counter("".join(draws))
    assert set(counts) == set(ids.CODE_ALPHABET)
    expected = len(draws) * 9 / 30
    assert all(abs(n - expected) < expected * 0.1 for n in counts.values())  # ±10%: about 8 sigma
    monkeypatch.setattr(ids.secrets, "choice", lambda alphabet: alphabet[-1])
    assert ids.code(4) == "ZZZZ"  # the source is `secrets`, not `random`


def test_guest_codes_and_job_ids_use_it(monkeypatch):
    from handlers.charters.events import new_guest_code
    from handlers.dispatch.jobs import new_job_id

    monkeypatch.setattr(ids.secrets, "choice", lambda alphabet: alphabet[0])
    assert (new_guest_code(), new_job_id()) == ("2" * 9, "J" + "2" * 7)
