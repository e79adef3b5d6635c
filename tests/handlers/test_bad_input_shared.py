"""Staff sign-in and password reset, on every site, under generated bad requests
(tests/handlers/badinput.py)."""

import pytest

from tests.handlers.badinput import bad_requests, refused_cleanly, snapshot_tables


@pytest.fixture
def session(function, monkeypatch):
    client = function("staff-session")
    monkeypatch.setattr(client.module, "sleep", lambda seconds: None)  # a refused sign-in's padding
    return client


@bad_requests(fields=("email", "password", "new_password"), examples=60)
def test_sign_in_refuses_garbage_with_a_4xx_and_writes_nothing(session, request):
    before = snapshot_tables()
    reply = session.request("POST", "/api/session", **request)
    refused_cleanly(reply)
    assert reply.cookies == []
    assert snapshot_tables() == before


@pytest.mark.parametrize("path", ["/api/session/reset", "/api/session/reset/confirm"])
@bad_requests(fields=("email", "code", "new_password"), examples=30)
def test_password_reset_refuses_garbage_with_a_4xx_and_writes_nothing(session, request, path):
    before = snapshot_tables()
    reply = session.request("POST", path, **request)
    refused_cleanly(reply, allowed=(202,) if path.endswith("reset") else ())
    assert snapshot_tables() == before


@bad_requests(fields=("token",), examples=40)
def test_unsubscribe_refuses_garbage_with_a_4xx_and_writes_nothing(function, request):
    unsubscribe = function("notify-unsubscribe")
    before = snapshot_tables()
    reply = unsubscribe.request("POST", "/api/unsubscribe", **request)
    refused_cleanly(reply)
    assert snapshot_tables() == before
