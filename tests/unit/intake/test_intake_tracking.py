"""Tracking numbers: readable, unique per replica, and their check character catches typing mistakes."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from intake.domain.tracking import ALPHABET, TrackingNumberGenerator, is_valid_body, parse_tracking_number

bodies = st.text(alphabet=ALPHABET, min_size=12, max_size=12)


def _with_check(body: str) -> str:
    tn = parse_tracking_number(body + "0")
    if tn.canonical:
        return body + "0"
    return next(body + c for c in ALPHABET if is_valid_body(body + c))


def test_numbers_match_the_event_contract_and_are_unique() -> None:
    generator = TrackingNumberGenerator()
    numbers = [generator.next() for _ in range(50_000)]
    assert len(set(numbers)) == len(numbers)
    assert all(re.fullmatch(r"SP-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]", n) for n in numbers)
    assert all(parse_tracking_number(n).canonical == n for n in numbers[:1000])


def test_a_replica_borrows_the_next_second_instead_of_repeating_itself() -> None:
    generator = TrackingNumberGenerator(nonce=7, clock=lambda: 1_800_000_000.0)
    numbers = {generator.next() for _ in range(32**3 + 10)}
    assert len(numbers) == 32**3 + 10


@settings(max_examples=200)
@given(bodies)
def test_every_single_mistyped_character_is_caught(body: str) -> None:
    full = _with_check(body)
    for i, original in enumerate(full):
        for replacement in ALPHABET:
            if replacement != original:
                assert not is_valid_body(full[:i] + replacement + full[i + 1 :])


@settings(max_examples=200)
@given(bodies)
def test_every_swap_of_neighbours_is_caught(body: str) -> None:
    full = _with_check(body)
    for i in range(len(full) - 1):
        if full[i] != full[i + 1]:
            assert not is_valid_body(full[:i] + full[i + 1] + full[i] + full[i + 2 :])


def test_what_people_type_is_normalised() -> None:
    tn = TrackingNumberGenerator().next()
    spoken = tn.lower().replace("-", " ").replace("0", "o").replace("1", "l")
    assert parse_tracking_number(spoken).canonical == tn
    assert parse_tracking_number(tn.replace("-", "")).canonical == tn
    assert parse_tracking_number("hello").problem == "format"
    body = tn.replace("-", "")[2:]
    typo = body[:3] + ("A" if body[3] != "A" else "B") + body[4:]
    assert parse_tracking_number(typo).problem == "check"
