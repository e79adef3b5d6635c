"""The shared request plumbing (handlers/shared/http.py, fields.py, mail.py): every malformed body
is a 400/413 in plain words, every field problem a sentence, no header can be split."""

from __future__ import annotations

import json

import pytest
from aws_lambda_powertools.event_handler import LambdaFunctionUrlResolver

from handlers.shared import http
from handlers.shared.errors import ApiError
from handlers.shared.mail import one_line
from ops.local import events


def _model():
    from typing import Literal, Optional

    from pydantic import BaseModel, Field

    from handlers.shared.fields import Email, Line, OptionalEmail, Phone

    class Inner(BaseModel):
        email: Email = Field(title="the crew member's e-mail")

    class Order(BaseModel):
        name: Line(50) = Field(title="your name")
        address: Line(100, min_length=5) = Field("1 Main Street", title="the pickup address")
        phone: Phone = Field(title="your phone number")
        email: OptionalEmail = Field(None, title="your e-mail")
        count: int = Field(1, ge=1, le=10, title="the number of guests")
        kind: Literal["a", "b"] = "a"
        crew: list[Inner] = Field(default_factory=list)
        note: Optional[str] = None

    return Order


@pytest.fixture
def app(monkeypatch):
    monkeypatch.setenv("COUNTRY_SETTING", "US")
    return LambdaFunctionUrlResolver()


def _load(app, body: bytes | str | None, base64_raw: bool = False, raw_text: str | None = None):
    from aws_lambda_powertools.utilities.data_classes import LambdaFunctionUrlEvent

    event = events.function_url_event("POST", "/x", headers={"content-type": "application/json"}, body=body)
    if base64_raw:
        event["body"], event["isBase64Encoded"] = "!!not base64!!", True
    if raw_text is not None:  # what no client can encode, but an event can carry
        event["body"] = raw_text

    app.current_event = LambdaFunctionUrlEvent(event)
    return app


def _refused(app, body, status=400, **kw) -> ApiError:
    with pytest.raises(ApiError) as caught:
        http.body(_load(app, body, **kw), _model())
    assert caught.value.status == status, caught.value.body()
    return caught.value


@pytest.mark.parametrize("body", [
    b"\xff\xfe\x00", b'{"name": "\xc3\x28"}', b"{", b"[]", b'"text"', b"42", b"null", b"true",
    b'{"count": NaN}', b'{"count": Infinity}', b"[" * 5000 + b"]" * 5000, b'{"a":' * 5000 + b"1" + b"}" * 5000,
    b'{"a": [[[[[[[[[[1]]]]]]]]]]}',
])
def test_a_body_that_is_not_a_json_object_is_a_400_in_plain_words(app, body):
    error = _refused(app, body)
    assert error.error == "invalid_json" and error.message.endswith(".")


def test_a_lone_surrogate_escape_is_not_text_and_is_400(app):
    error = _refused(app, '{"name": "\\ud800", "phone": "4155550134"}')
    assert error.message == "The request body holds characters that are not text."
    _refused(app, '{"\\udc00": 1}')


def test_undecodable_base64_and_lone_surrogates_are_400(app):
    _refused(app, None, base64_raw=True)
    _refused(app, None, raw_text='{"name": "\udcff"}')


def test_a_body_over_the_limit_is_413_before_it_is_read(app):
    error = _refused(app, b'{"name": "' + b"x" * (http.MAX_BODY_BYTES + 1) + b'"}', status=413)
    assert error.error == "too_large"


@pytest.mark.parametrize("field, value, sentence", [
    ("name", "   ", "Please fill in your name."),
    ("name", "\t\n", "Please fill in your name."),
    ("name", "\u00a0", "Please fill in your name."),
    ("name", "\u200b", "Please fill in your name."),
    ("name", "\ufeff\u2060 \u00ad", "Please fill in your name."),
    ("name", 12, "Your name should be text."),
    ("name", "x" * 51, "Your name is too long: at most 50 characters, please."),
    ("count", True, "The number of guests should be a whole number."),
    ("count", "3", "The number of guests should be a whole number."),
    ("count", 11, "The number of guests should be at most 10."),
    ("phone", "1234567", "That is not a phone number we can call: check the area code and the number of digits."),
    ("email", "not-an-address", "Please enter an e-mail address like name@example.com."),
    ("address", "  ", "Please fill in the pickup address."),
    ("address", "1 Ma", "The pickup address needs at least 5 characters."),
    ("kind", "c", "Please choose one of: a or b."),
    ("name", "a\x00b", "Please use only letters, digits, spaces and punctuation."),
])
def test_each_bad_field_gets_a_sentence_a_customer_understands(app, field, value, sentence):
    body = {"name": "Ana", "phone": "415 555 0134", field: value}
    error = _refused(app, json.dumps(body), status=422)
    assert error.fields[field] == sentence
    assert sentence in error.message


def test_missing_fields_and_nested_fields_are_named_in_words(app):
    error = _refused(app, json.dumps({"crew": [{"email": "x"}]}), status=422)
    assert error.fields["name"] == "Please fill in your name."
    assert error.fields["phone"] == "Please fill in your phone number."
    assert error.fields["crew.0.email"] == "Please enter an e-mail address like name@example.com."


@pytest.mark.parametrize("spelling", ["(415) 555-0134", "415-555-0134", "+1 415 555 0134", "4155550134"])
def test_one_number_however_it_is_spelled_is_stored_in_e164(app, spelling):
    order = http.body(_load(app, json.dumps({"name": "Ana", "phone": spelling})), _model())
    assert order.phone == "+14155550134"


def test_names_are_folded_to_one_trimmed_line_and_blank_e_mail_is_none(app):
    order = http.body(_load(app, json.dumps({"name": "  Ana\r\nBcc: x@evil.example ", "phone": "4155550134", "email": " "})), _model())
    assert order.name == "Ana Bcc: x@evil.example" and order.email is None


def test_national_format_is_the_shops_own(monkeypatch):
    from handlers.shared.fields import national

    monkeypatch.setenv("COUNTRY_SETTING", "US")
    assert national("+14155550134") == "(415) 555-0134"
    assert national("+442079460958").startswith("+44 ")


def test_no_header_value_can_start_another_header():
    assert one_line("Hello\r\nBcc: x@evil.example", 200) == "Hello Bcc: x@evil.example"
    assert one_line("a\u2028b\x00c", 200) == "a b c"


def test_e_mail_addresses_are_ones_ses_can_send_to(app):
    order = http.body(_load(app, json.dumps({"name": "Ana", "phone": "4155550134", "email": "Ana@Bücher.example"})), _model())
    assert order.email == "ana@xn--bcher-kva.example"
    error = _refused(app, json.dumps({"name": "Ana", "phone": "4155550134", "email": "anä@example.com"}), status=422)
    assert error.fields["email"] == "Please enter an e-mail address like name@example.com."
