"""The field types every request model is made of, and the sentences a person sees when one is
wrong. Imported only by `models` modules (pydantic is not free at cold start).

- `Line(n)`: one line of text. Unicode whitespace (tabs, newlines, NBSP) becomes single spaces and
  the ends are trimmed *before* the length check, so "   " is empty; other control characters are
  refused. Nothing typed into a form can therefore break a mail header.
- `Text(n)`: several lines (notes): line breaks kept, other control characters refused.
- `Phone`: read with `phonenumbers` in the shop's country (the `country` setting every HTTP
  function links), so "(415) 555-0134", "415-555-0134" and "+1 415 555 0134" are one number;
  stored in E.164. `national()` shows it the way the shop writes it.
- `Email`: syntax checked by `email-validator`, no DNS lookup (none on the request path).

Request bodies are validated in pydantic's strict JSON mode (handlers/shared/http.py): a boolean
is not a number, a number is not text, a date is a "YYYY-MM-DD" string.
"""

from __future__ import annotations

import os
import unicodedata
from datetime import date, timedelta
from typing import Annotated, Any, Optional

from pydantic import AfterValidator, BaseModel, BeforeValidator, StringConstraints, ValidationError
from pydantic_core import PydanticCustomError

from handlers.shared.settings import env_name

COUNTRY_ENV = env_name("country", "setting")
# Format characters that reorder what a reader sees (a name shown backwards in a mail or page).
_BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _refuse_controls(value: str, allowed: str = "") -> None:
    for char in value:
        if char in allowed:
            continue
        if unicodedata.category(char) == "Cc" or char in _BIDI_CONTROLS:
            raise PydanticCustomError("control_characters", "Please use only letters, digits, spaces and punctuation.")


def _one_line(value: Any) -> Any:
    if not isinstance(value, str):
        return value  # the strict str check names the problem
    value = unicodedata.normalize("NFC", value)
    _refuse_controls(value, allowed="\t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85")  # whitespace: folded below
    return _trim_invisible(" ".join(value.split()))


def _trim_invisible(value: str) -> str:
    """Zero-width and other format characters (U+200B, U+FEFF, U+2060, soft hyphen) at either end
    are not part of a name: one made only of them is empty."""
    start, end = 0, len(value)
    while start < end and (unicodedata.category(value[start]) == "Cf" or value[start].isspace()):
        start += 1
    while end > start and (unicodedata.category(value[end - 1]) == "Cf" or value[end - 1].isspace()):
        end -= 1
    return value[start:end]


def _lines(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    value = unicodedata.normalize("NFC", value).replace("\r\n", "\n").replace("\r", "\n")
    _refuse_controls(value, allowed="\n\t")
    return "\n".join(line.rstrip() for line in _trim_invisible(value).split("\n"))


def Line(max_length: int, min_length: int = 1) -> Any:  # noqa: N802 (a type, used like one)
    return Annotated[str, BeforeValidator(_one_line), StringConstraints(min_length=min_length, max_length=max_length)]


def Text(max_length: int) -> Any:  # noqa: N802
    return Annotated[str, BeforeValidator(_lines), StringConstraints(max_length=max_length)]


def country() -> str:
    code = os.environ.get(COUNTRY_ENV, "")
    if not code:
        raise RuntimeError(f"{COUNTRY_ENV} is not set: link the platform's country setting")
    return code


def _phone(value: str) -> str:
    import phonenumbers

    value = " ".join(value.split())
    if not value:
        raise PydanticCustomError("phone_missing", "Please enter a phone number.")
    if len(value) > 40:
        raise PydanticCustomError("phone_invalid", "That is not a phone number we can call.")
    try:
        number = phonenumbers.parse(value, country())
    except phonenumbers.NumberParseException:
        raise PydanticCustomError("phone_invalid", "That is not a phone number we can call.") from None
    if not phonenumbers.is_valid_number(number):
        raise PydanticCustomError(
            "phone_invalid", "That is not a phone number we can call: check the area code and the number of digits."
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def national(e164: str) -> str:
    """+14155550134 → "(415) 555-0134" in the shop's country; foreign numbers in international form."""
    import phonenumbers

    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    region = phonenumbers.region_code_for_number(number)
    style = phonenumbers.PhoneNumberFormat.NATIONAL if region == country() else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    return phonenumbers.format_number(number, style)


def _email(value: str) -> str:
    from email_validator import EmailNotValidError, validate_email

    value = value.strip()
    if not value:
        raise PydanticCustomError("email_missing", "Please enter an e-mail address.")
    try:
        # SES sends only to ASCII local parts; a Unicode domain is kept in its punycode (ASCII) form.
        checked = validate_email(value, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError:
        raise PydanticCustomError("email_invalid", "Please enter an e-mail address like name@example.com.") from None
    return (checked.ascii_email or checked.normalized).lower()


Phone = Annotated[str, AfterValidator(_phone)]
Email = Annotated[str, StringConstraints(max_length=254), AfterValidator(_email)]


def optional_email(value: Any) -> Any:
    """Blank means "not given" for optional e-mail fields."""
    return None if isinstance(value, str) and not value.strip() else value


OptionalEmail = Annotated[Optional[Email], BeforeValidator(optional_email)]


def day_problem(day: date, today: date, horizon_days: int, what: str = "day") -> Optional[str]:
    """Why `day` cannot be booked, in words; None when it can (today up to the horizon)."""
    if day < today:
        return f"Please pick today or a later {what}."
    if day > today + timedelta(days=horizon_days):
        return f"We take bookings up to {horizon_days} days ahead."
    return None


# -- what a person reads when a field is wrong ------------------------------------------------


def _label(model: type[BaseModel], loc: tuple) -> str:
    """The field's title (`Field(title="your phone number")`), else its name in words."""
    current: Any = model
    label = ""
    for part in loc:
        if isinstance(part, int) or current is None:
            continue
        fields = getattr(current, "model_fields", {})
        info = fields.get(part) or next((f for f in fields.values() if f.alias == part), None)
        if info is None:
            label = str(part).replace("_", " ")
            current = None
            continue
        label = info.title or str(part).replace("_", " ")
        current = _model_in(info.annotation)
    return label or "this field"


def _model_in(annotation: Any) -> Any:
    from typing import get_args

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _sentence(kind: str, label: str, ctx: dict[str, Any], message: str, given: Any = None) -> str:
    cap = label[:1].upper() + label[1:]
    if kind in ("too_short", "too_long") and isinstance(given, str):  # a length constraint after a validator
        kind = "string_" + kind
    blank = isinstance(given, str) and not given.strip()
    if kind == "missing" or (kind == "string_too_short" and (ctx.get("min_length", 1) <= 1 or blank)):
        return f"Please fill in {label}."
    sentences = {
        "string_too_short": f"{cap} needs at least {ctx.get('min_length')} characters.",
        "string_too_long": f"{cap} is too long: at most {ctx.get('max_length')} characters, please.",
        "too_short": f"Please give at least {ctx.get('min_length')} for {label}.",
        "too_long": f"{cap} can have at most {ctx.get('max_length')} entries.",
        "string_type": f"{cap} should be text.",
        "int_type": f"{cap} should be a whole number.",
        "int_parsing": f"{cap} should be a whole number.",
        "float_type": f"{cap} should be a number.",
        "decimal_type": f"{cap} should be an amount like 12.50.",
        "decimal_parsing": f"{cap} should be an amount like 12.50.",
        "decimal_max_places": f"{cap} can have at most {ctx.get('decimal_places')} decimal places.",
        "decimal_max_digits": f"{cap} is larger than we can take.",
        "finite_number": f"{cap} should be an ordinary number.",
        "bool_type": f"{cap} should be yes or no.",
        "date_type": f"{cap} should be a date like 2026-12-31.",
        "date_parsing": f"{cap} should be a date like 2026-12-31.",
        "date_from_datetime_parsing": f"{cap} should be a date like 2026-12-31.",
        "time_type": f"{cap} should be a time like 14:30.",
        "time_parsing": f"{cap} should be a time like 14:30.",
        "datetime_type": f"{cap} should be a date and time like 2026-12-31T14:30:00Z.",
        "datetime_parsing": f"{cap} should be a date and time like 2026-12-31T14:30:00Z.",
        "datetime_from_date_parsing": f"{cap} should be a date and time like 2026-12-31T14:30:00Z.",
        "greater_than": f"{cap} should be more than {ctx.get('gt')}.",
        "greater_than_equal": f"{cap} should be at least {ctx.get('ge')}.",
        "less_than": f"{cap} should be less than {ctx.get('lt')}.",
        "less_than_equal": f"{cap} should be at most {ctx.get('le')}.",
        "literal_error": f"Please choose one of: {ctx.get('expected', '').replace(chr(39), '')}.",
        "string_pattern_mismatch": f"{cap} has characters we can't take.",
        "list_type": f"{cap} should be a list.",
        "model_type": f"{cap} should be an object with its own fields.",
        "model_attributes_type": f"{cap} should be an object with its own fields.",
        "dict_type": f"{cap} should be an object with its own fields.",
        "extra_forbidden": f"{cap} is not something this form takes.",
    }
    if kind in sentences:
        return sentences[kind]
    if kind == "value_error":
        return message.removeprefix("Value error, ")
    if kind.startswith(("phone_", "email_", "control_characters")) or kind not in _PYDANTIC_KINDS:
        return message  # our own PydanticCustomError sentences
    return f"{cap} is not valid."


# pydantic's own error kinds whose default message is not for customers; anything else is ours.
_PYDANTIC_KINDS = {"missing", "assertion_error", "enum", "union_tag_invalid", "union_tag_not_found",
                   "frozen_field", "is_instance_of", "json_invalid", "json_type", "none_required",
                   "uuid_type", "uuid_parsing", "url_type", "url_parsing", "timezone_naive", "timezone_aware",
                   "bytes_type", "set_type", "tuple_type", "callable_type", "invalid_key"}


def human_errors(exc: ValidationError, model: type[BaseModel]) -> dict[str, str]:
    """{"field.path": "A sentence a customer understands."}, the first problem of each field."""
    fields: dict[str, str] = {}
    for error in exc.errors(include_url=False):
        loc = tuple(error.get("loc") or ())
        name = ".".join(str(part) for part in loc) or "body"
        fields.setdefault(name, _sentence(error["type"], _label(model, loc), error.get("ctx") or {}, error["msg"],
                                                error.get("input")))
    return fields
