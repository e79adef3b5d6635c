"""handlers.shared.tokens: one signer for every purpose, each purpose apart from the others, and
tokens issued before it (straight from itsdangerous, with the same salts) still read."""

from __future__ import annotations

import time

import pytest

from handlers.shared import tokens

KEY = "k" * 32


@pytest.mark.parametrize("purpose", sorted(tokens.PURPOSES))
def test_a_token_reads_back_for_its_purpose_only(purpose):
    token = tokens.sign(purpose, KEY, {"p": "+6591234567"})
    assert tokens.read(purpose, KEY, token) == {"p": "+6591234567"}
    for other in set(tokens.PURPOSES) - {purpose}:
        with pytest.raises(tokens.BadToken) as bad:
            tokens.read(other, KEY, token)
        assert not bad.value.expired
    with pytest.raises(tokens.BadToken):
        tokens.read(purpose, "another key" * 3, token)


def test_salts_are_all_different():
    salts = [p.salt for p in tokens.PURPOSES.values()]
    assert len(set(salts)) == len(salts)


@pytest.mark.parametrize("token", ["", "garbage", "a.b.c", "eyJwIjoxfQ.AAAA"])
def test_altered_or_made_up_tokens_are_bad_not_errors(token):
    for purpose in tokens.PURPOSES:
        with pytest.raises(tokens.BadToken):
            tokens.read(purpose, KEY, token)


def test_a_tampered_token_is_bad():
    token = tokens.sign("member-confirm", KEY, {"p": "+6591234567", "e": "ana@example.com"})
    with pytest.raises(tokens.BadToken):
        tokens.read("member-confirm", KEY, token[:-2] + ("AA" if not token.endswith("AA") else "BB"))


def test_stamped_tokens_expire_after_their_purposes_max_age(monkeypatch):
    token = tokens.sign("member-confirm", KEY, {"p": "x"})
    later = time.time() + tokens.PURPOSES["member-confirm"].max_age_s + 60
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: later)
    with pytest.raises(tokens.BadToken) as bad:
        tokens.read("member-confirm", KEY, token)
    assert bad.value.expired
    assert tokens.read("unsubscribe", KEY, tokens.sign("unsubscribe", KEY, {"m": "x"})) == {"m": "x"}  # never expires


def test_a_payload_carries_its_own_expiry():
    token = tokens.sign("crew-link", KEY, {"e": "E1", tokens.EXPIRES: 2_000_000_000})
    assert tokens.read("crew-link", KEY, token, now=1_999_999_999)["e"] == "E1"
    with pytest.raises(tokens.BadToken) as bad:
        tokens.read("crew-link", KEY, token, now=2_000_000_001)
    assert bad.value.expired
    with pytest.raises(tokens.BadToken) as bad:
        tokens.read("crew-link", KEY, tokens.sign("crew-link", KEY, {tokens.EXPIRES: "soon"}))
    assert not bad.value.expired


def test_links_and_sessions_issued_before_this_module_still_read():
    """The wire format is itsdangerous' with the salts the handlers always used."""
    from itsdangerous import URLSafeSerializer, URLSafeTimedSerializer

    from handlers.charters import tokens as crew_tokens
    from handlers.loyalty import tokens as member_tokens
    from handlers.shared import auth

    crew = URLSafeSerializer(KEY, salt="mainstreet.crew-link").dumps({"e": "E0123456789", "c": "c1", "v": 2, "x": 4102444800})
    assert crew_tokens.read(KEY, crew, now=time.time()) == crew_tokens.CrewLink("E0123456789", "c1", 2, 4102444800)
    member = URLSafeTimedSerializer(KEY, salt="mainstreet.loyalty.confirm").dumps({"p": "+6591234567", "e": "ana@example.com"})
    assert member_tokens.read(KEY, "confirm", member) == ("+6591234567", "ana@example.com")
    session = URLSafeTimedSerializer(KEY, salt="mainstreet.staff-session").dumps({"u": "someone", "sid": "abc"})
    assert auth.session_ref(session, KEY) == ("someone", "abc")
    # A passcode-era session named no account: it no longer signs anyone in.
    passcode_era = URLSafeTimedSerializer(KEY, salt="mainstreet.staff-session").dumps({"sid": "abc"})
    assert auth.session_ref(passcode_era, KEY) is None
