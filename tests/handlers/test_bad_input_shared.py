"""Staff sign-in, on every site, under generated bad requests (tests/handlers/badinput.py)."""

from tests.handlers.badinput import bad_requests, refused_cleanly, snapshot_tables


@bad_requests(fields=("passcode",), examples=60)
def test_sign_in_refuses_garbage_with_a_4xx_and_writes_nothing(function, request):
    client = function("staff-session")
    before = snapshot_tables()
    reply = client.request("POST", "/api/session", **request)
    refused_cleanly(reply)
    assert reply.cookies == []
    assert snapshot_tables() == before
