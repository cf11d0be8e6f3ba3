"""Tracking numbers people can read over the phone: ``SP-TTTT-TTNN-NSSS-C``.

* Alphabet: Crockford base32 (``0-9 A-Z`` without ``I L O U``), so no 0/O or 1/I/L confusion;
  on input, ``O`` reads as ``0``, ``I``/``L`` as ``1``, lower case as upper, spaces and dashes are ignored.
* 12 body characters: 6 of time (seconds since 2025-01-01 UTC, 30 bits, good until 2059), 3 of a
  per-replica nonce drawn at random when the replica starts, 3 of a per-replica sequence. The
  sequence never repeats within a second on one replica (when it runs out, the replica borrows the next
  second, as Snowflake ids do), so replicas never need to coordinate: two can only collide if they drew
  the same 15-bit nonce *and* their sequences overlap in the same second.
* 1 check character: the Damm algorithm over the quasigroup ``x∘y = 2·x + y`` in GF(32). It is
  totally anti-symmetric, so it catches every single mistyped character and every swap of two
  adjacent characters (including the check character itself).
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
PREFIX = "SP"
EPOCH = 1_735_689_600  # 2025-01-01T00:00:00Z
BODY_LENGTH = 12
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
_ALIASES = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SEPARATORS = re.compile(r"[\s\-_.]")
_POLY = 0b100101  # x^5 + x^2 + 1, irreducible over GF(2)


def _gf_mul2(x: int) -> int:
    x <<= 1
    return x ^ _POLY if x & 0b100000 else x


def _step(interim: int, digit: int) -> int:
    # x∘y = 2x + y in GF(32): a quasigroup where (c∘x)∘y = (c∘y)∘x only if x = y.
    return _gf_mul2(interim) ^ digit


def check_character(body: str) -> str:
    """The Damm check character of ``body`` (Crockford characters only)."""
    interim = 0
    for char in body:
        interim = _step(interim, _VALUE[char])
    # The check c must bring the interim to 0: 2·interim + c = 0, i.e. c = 2·interim in characteristic 2.
    return ALPHABET[_gf_mul2(interim)]


def is_valid_body(body_with_check: str) -> bool:
    """True when the last character is the right check character for the rest."""
    interim = 0
    for char in body_with_check:
        if char not in _VALUE:
            return False
        interim = _step(interim, _VALUE[char])
    return interim == 0


def format_tracking_number(body: str) -> str:
    """``SP-`` + the body in groups of four + ``-`` + the check character."""
    groups = "-".join(body[i : i + 4] for i in range(0, len(body), 4))
    return f"{PREFIX}-{groups}-{check_character(body)}"


@dataclass(frozen=True)
class ParsedTrackingNumber:
    """The outcome of reading a tracking number a person typed."""

    canonical: str | None
    problem: str | None  # "format" | "check" | None


def parse_tracking_number(raw: str) -> ParsedTrackingNumber:
    """Normalise what a person typed and verify its check character."""
    text = _SEPARATORS.sub("", raw.upper()).translate(_ALIASES)
    if text.startswith(PREFIX):
        text = text[len(PREFIX) :]
    if len(text) != BODY_LENGTH + 1 or any(c not in _VALUE for c in text):
        return ParsedTrackingNumber(None, "format")
    if not is_valid_body(text):
        return ParsedTrackingNumber(None, "check")
    return ParsedTrackingNumber(format_tracking_number(text[:-1]), None)


def _encode(value: int, width: int) -> str:
    chars = []
    for _ in range(width):
        value, digit = divmod(value, 32)
        chars.append(ALPHABET[digit])
    return "".join(reversed(chars))


class TrackingNumberGenerator:
    """Issues unique tracking numbers on one replica (thread-safe; no I/O)."""

    _SEQ_SPACE = 32**3

    def __init__(self, nonce: int | None = None, clock: Callable[[], float] = time.time) -> None:
        self._nonce = secrets.randbelow(32**3) if nonce is None else nonce
        self._now = clock
        self._lock = threading.Lock()
        self._second = 0
        self._seq = secrets.randbelow(self._SEQ_SPACE)
        self._used = 0

    def next(self) -> str:
        """A new tracking number, never issued before by this generator."""
        with self._lock:
            now = int(self._now()) - EPOCH
            if now > self._second:
                self._second, self._used = now, 0
            elif self._used >= self._SEQ_SPACE:
                self._second, self._used = self._second + 1, 0
            self._seq = (self._seq + 1) % self._SEQ_SPACE
            self._used += 1
            body = _encode(self._second % 32**6, 6) + _encode(self._nonce, 3) + _encode(self._seq, 3)
        return format_tracking_number(body)
