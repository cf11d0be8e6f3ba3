"""The bounds every door enforces before anything is stored or published (pure).

A value that could not travel through the pipeline is refused at the door with a field error, never
accepted and left to fail later: a lone surrogate cannot be encoded as UTF-8, a C0 control character
breaks logs and agency systems, a number too long to parse (Python refuses integers of over 4 300
digits) or outside what JSON consumers read exactly, a date centuries away, a field or an item too
large for one Kafka record.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import Any

import orjson

from .messages import FieldError

#: Broker's default record limit (``message.max.bytes``); an item must fit one record with headroom
#: for the CloudEvent headers, the event's own fields and the dead-letter headers.
BROKER_RECORD_BYTES = 1_048_576
MAX_ITEM_BYTES_LIMIT = 786_432
#: Integers and numbers: what every JSON reader holds exactly (IEEE 754 doubles).
MAX_SAFE_INTEGER = 2**53 - 1
#: Longest number literal read from JSON (a safe integer has 16 digits; floats a few more).
MAX_NUMBER_CHARS = 40
#: Longest object key (a field or attribute code); longer keys are refused, not echoed.
MAX_KEY_CHARS = 200
MIN_DATE, MAX_DATE = dt.date(1900, 1, 1), dt.date(2100, 12, 31)

_SURROGATE = re.compile("[\ud800-\udfff]")
# C0 controls except tab, line feed and carriage return (free text keeps its line breaks); DEL too.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_KEY_CONTROL = re.compile("[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Bounds:
    """Sizes a submission may have (``INTAKE_MAX_TEXT_FIELD_CHARS``, ``INTAKE_MAX_ITEM_BYTES``)."""

    max_text_field_chars: int = 4000
    max_item_bytes: int = 65_536


DEFAULT_BOUNDS = Bounds()


class TooLongNumber:
    """A JSON number literal too long to read, kept in place so that its field can be named."""

    __slots__ = ("length",)

    def __init__(self, literal: str) -> None:
        self.length = len(literal)


def loads(body: bytes | bytearray) -> Any:
    """JSON as Python values; an over-long number literal becomes a ``TooLongNumber``.

    ``ValueError`` (a ``json.JSONDecodeError`` or ``UnicodeDecodeError``) when it is not JSON at all.
    """
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        pass  # orjson refuses what the standard library reads (lone surrogates, integers over 64 bits)
    return json.loads(body, parse_int=_int, parse_float=_float)


def _int(literal: str) -> Any:
    return TooLongNumber(literal) if len(literal) > MAX_NUMBER_CHARS else int(literal)


def _float(literal: str) -> Any:
    return TooLongNumber(literal) if len(literal) > MAX_NUMBER_CHARS else float(literal)


def unsafe_values(raw: Any, pointer: str = "") -> list[FieldError]:
    """A field error for every key or value of ``raw`` no door accepts: lone surrogates
    (``invalid_unicode``), control characters (``control_character``), over-long keys and numbers."""
    errors: list[FieldError] = []
    _walk(raw, pointer, errors)
    return errors


def _walk(value: Any, pointer: str, errors: list[FieldError]) -> None:
    if isinstance(value, str):
        code = text_problem(value)
        if code:
            errors.append(FieldError(pointer or "/", code))
    elif isinstance(value, TooLongNumber):
        errors.append(FieldError(pointer or "/", "number_too_long", {"max": MAX_NUMBER_CHARS}))
    elif isinstance(value, dict):
        for key, sub in value.items():
            where = f"{pointer}/{token(str(key))}"
            if not isinstance(key, str):
                continue
            if len(key) > MAX_KEY_CHARS:
                errors.append(FieldError(where, "too_long", {"max": MAX_KEY_CHARS}))
            elif _SURROGATE.search(key):
                errors.append(FieldError(where, "invalid_unicode"))
            elif _KEY_CONTROL.search(key):
                errors.append(FieldError(where, "control_character"))
            else:
                _walk(sub, where, errors)
    elif isinstance(value, list):
        for index, sub in enumerate(value):
            _walk(sub, f"{pointer}/{index}", errors)


def text_problem(value: str) -> str | None:
    """``invalid_unicode`` (a lone surrogate), ``control_character`` (C0 other than tab and line
    breaks, or DEL), or None when ``value`` is safe text."""
    if _SURROGATE.search(value):
        return "invalid_unicode"
    if _CONTROL.search(value):
        return "control_character"
    return None


def token(key: str) -> str:
    """``key`` as a JSON pointer token (RFC 6901) that is safe to echo: at most ``MAX_KEY_CHARS``
    characters, with surrogates and control characters escaped (``\\ud800``)."""
    short = key if len(key) <= MAX_KEY_CHARS else key[:MAX_KEY_CHARS] + "…"
    if _SURROGATE.search(short) or _KEY_CONTROL.search(short):
        short = short.encode("utf-8", "backslashreplace").decode("utf-8")
        short = _KEY_CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", short)
    return short.replace("~", "~0").replace("/", "~1")


def item_bytes(raw: Any) -> int:
    """Size of ``raw`` as compact UTF-8 JSON (what it weighs in a Kafka record)."""
    try:
        return len(orjson.dumps(raw))
    except TypeError:  # integers over 64 bits, or values JSON has no form for
        return len(
            json.dumps(raw, ensure_ascii=False, separators=(",", ":"), default=str).encode(
                errors="surrogatepass"
            )
        )


def bounded_date(value: dt.date) -> bool:
    """True for a date a request can plausibly mention (1900 to 2100)."""
    return MIN_DATE <= value <= MAX_DATE
