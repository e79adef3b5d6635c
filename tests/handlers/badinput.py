"""Generated bad requests, and what every endpoint must do with them: answer a 4xx in the house
error shape (never a 5xx) and write nothing.

    @bad_requests(fields=("name", "phone"))
    def test_...(function, tables, request):
        client = function("dispatch-booking")
        before = tables()
        reply = client.request("POST", "/api/bookings", **request)
        refused_cleanly(reply)
        assert tables() == before

`request` is a dict of `FunctionClient.request` keyword arguments: a body (raw bytes, invalid UTF-8,
JSON of the wrong shape, the endpoint's own field names with wrong values, deep nesting, an
oversized body) and headers (content types, origins).
"""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings, strategies as st

EXAMPLES = 40

_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=40),
    st.sampled_from(["", "   ", "\t\n", "\u00a0", "\r\nBcc: x@evil.example", "9999-12-31", "0000-00-00",
                     "1900-01-01", "24:61", "+1", "1234567", "NaN", "-1", "1e309", "\x00", "\u202e", "null"]),
)
_json = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                     max_leaves=12)


def _raw_bodies() -> st.SearchStrategy[bytes]:
    return st.one_of(
        st.binary(max_size=200),  # mostly not UTF-8, not JSON
        st.sampled_from([b"\xff\xfe{}", b'{"a": "\xc3\x28"}', b"{", b"[]", b'"text"', b"42", b"null", b"true",
                         b'{"a": NaN}', b'{"a": Infinity}', b'{"a": 1e999}', b"{}" * 3]),
        st.integers(min_value=50, max_value=6000).map(lambda n: b"[" * n + b"]" * n),
        st.integers(min_value=50, max_value=6000).map(lambda n: b'{"a":' * n + b"1" + b"}" * n),
        st.just(b'{"a": "' + b"x" * 70_000 + b'"}'),
        _json.map(lambda value: json.dumps(value).encode()),
    )


def _field_bodies(fields: tuple[str, ...]) -> st.SearchStrategy[bytes]:
    """Objects with the endpoint's own field names, each holding something generated."""
    if not fields:
        return _json.map(lambda value: json.dumps(value).encode())
    return st.dictionaries(st.sampled_from(fields), _json, max_size=len(fields)).map(lambda d: json.dumps(d).encode())


_content_types = st.sampled_from(["application/json", "application/json; charset=utf-8", "text/plain",
                                  "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", None])


def requests(fields: tuple[str, ...] = ()) -> st.SearchStrategy[dict]:
    return st.fixed_dictionaries({
        "body": st.one_of(_raw_bodies(), _field_bodies(fields)),
        "headers": st.fixed_dictionaries({"content-type": _content_types}),
    })


def generated(n: int = EXAMPLES):
    """hypothesis settings for request tests: `n` examples, the same ones every run, no deadline
    (handlers on moto), and the fixtures a test takes are shared by its examples on purpose."""
    return settings(max_examples=n, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                           HealthCheck.data_too_large])


def bad_requests(fields: tuple[str, ...] = (), examples: int = EXAMPLES):
    """Decorator: the test runs once per generated bad request (argument `request`)."""

    def wrap(test):
        return generated(examples)(given(request=requests(fields))(test))

    return wrap


path_segments = st.one_of(
    st.text(min_size=1, max_size=60),
    st.sampled_from(["..", "%2e%2e", "%00", "%ff", "a%2Fb", "\u00a0", "x" * 600, "' OR 1=1 --", "<script>", "😀"]),
)


def refused_cleanly(reply, allowed: tuple[int, ...] = ()) -> None:
    """A 4xx in the house shape {"error", "message", "fields"} (or one of `allowed`), never a 5xx."""
    assert reply.status < 500, (reply.status, reply.body[:300])
    if reply.status in allowed:
        return
    assert 400 <= reply.status < 500, (reply.status, reply.body[:300])
    payload = reply.json()
    assert set(payload) == {"error", "message", "fields"}, payload
    assert isinstance(payload["error"], str) and payload["error"]
    assert isinstance(payload["message"], str) and payload["message"]
    assert isinstance(payload["fields"], dict)
    for message in [payload["message"], *payload["fields"].values()]:
        for pydantic_phrase in ("Field required", "String should", "Input should", "Value error", "validation error"):
            assert pydantic_phrase not in message, message


def snapshot_tables() -> dict[str, list[str]]:
    """Every item of every table (moto holds only the stack's), for "nothing was written" checks."""
    from handlers.shared.aws import client

    dynamodb = client("dynamodb")
    found = {}
    for name in dynamodb.list_tables()["TableNames"]:
        items, start = [], None
        while True:
            page = dynamodb.scan(TableName=name, **({"ExclusiveStartKey": start} if start else {}))
            items += page["Items"]
            start = page.get("LastEvaluatedKey")
            if not start:
                break
        found[name] = sorted(json.dumps(item, sort_keys=True) for item in items)
    return found
