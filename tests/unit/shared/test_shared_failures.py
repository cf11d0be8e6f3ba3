"""Failures are classified once: transient ones are retried with capped, jittered backoff; permanent
ones are isolated at once; anything else gets a poison budget."""

from __future__ import annotations

import asyncio
import json
import random

import asyncpg
import pytest
from aiokafka import errors as kafka_errors
from pydantic import BaseModel, ValidationError

from satupintu_shared.envelope import InvalidEvent
from satupintu_shared.failures import Backoff, Failure, classify, describe, is_permanent, is_transient


class _Model(BaseModel):
    n: int


def _validation_error() -> ValidationError:
    try:
        _Model.model_validate({"n": "x"})
    except ValidationError as exc:
        return exc
    raise AssertionError("unreachable")


def _json_error() -> json.JSONDecodeError:
    try:
        json.loads("{")
    except json.JSONDecodeError as exc:
        return exc
    raise AssertionError("unreachable")


@pytest.mark.parametrize(
    "exc",
    [
        kafka_errors.KafkaConnectionError(),
        kafka_errors.NotEnoughReplicasError(),
        kafka_errors.NotEnoughReplicasAfterAppendError(),
        kafka_errors.RequestTimedOutError(),
        kafka_errors.KafkaTimeoutError(),
        kafka_errors.NodeNotReadyError(),
        asyncpg.CannotConnectNowError(),
        asyncpg.TooManyConnectionsError(),
        asyncpg.ConnectionDoesNotExistError(),
        asyncpg.PostgresConnectionError(),
        asyncpg.SerializationError(),
        asyncpg.AdminShutdownError(),
        TimeoutError(),
        ConnectionRefusedError(),
        OSError(),
    ],
)
def test_a_dependency_that_is_away_or_slow_is_transient(exc: BaseException) -> None:
    assert classify(exc) is Failure.TRANSIENT
    assert is_transient(exc) and not is_permanent(exc)


@pytest.mark.parametrize(
    "exc",
    [
        kafka_errors.MessageSizeTooLargeError(),
        kafka_errors.RecordTooLargeError(),
        kafka_errors.TopicAuthorizationFailedError(),
        kafka_errors.GroupAuthorizationFailedError(),
        kafka_errors.ClusterAuthorizationFailedError(),
        InvalidEvent("not a CloudEvent"),
        _validation_error(),
        asyncpg.DataError(),
        asyncpg.CharacterNotInRepertoireError(),
        asyncpg.UntranslatableCharacterError(),
        asyncpg.CheckViolationError(),
        asyncpg.UniqueViolationError(),
        asyncpg.NotNullViolationError(),
        UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"),
        _json_error(),
    ],
)
def test_a_record_that_can_never_be_handled_is_permanent(exc: BaseException) -> None:
    assert classify(exc) is Failure.PERMANENT
    assert is_permanent(exc) and not is_transient(exc)


@pytest.mark.parametrize("exc", [RuntimeError("bug"), KeyError("x"), asyncpg.UndefinedTableError()])
def test_anything_else_is_unknown_and_gets_a_poison_budget(exc: BaseException) -> None:
    assert classify(exc) is Failure.UNKNOWN
    assert not is_transient(exc) and not is_permanent(exc)


def test_the_reason_names_the_classification_and_the_error() -> None:
    assert describe(kafka_errors.MessageSizeTooLargeError("1.2 MB")).startswith(
        "permanent: MessageSizeTooLargeError:"
    )


def test_backoff_grows_exponentially_within_full_jitter_up_to_the_cap() -> None:
    backoff = Backoff(base=0.2, cap=30.0, rng=random.Random(7))
    ceilings = [min(30.0, 0.2 * 2**n) for n in range(12)]
    delays = [backoff.next_delay() for _ in ceilings]
    assert all(0 <= d <= c for d, c in zip(delays, ceilings, strict=True))
    assert max(delays[-4:]) > 1.0  # grown well past the base
    assert backoff.attempts == 12


def test_backoff_never_waits_longer_than_the_cap_however_many_attempts() -> None:
    backoff = Backoff(base=0.2, cap=5.0, rng=random.Random(1))
    assert all(backoff.next_delay() <= 5.0 for _ in range(200))


def test_backoff_spreads_replicas_that_fail_together() -> None:
    delays = {round(Backoff(base=1.0, cap=30.0).next_delay(), 6) for _ in range(50)}
    assert len(delays) > 40


def test_backoff_starts_again_from_the_base_after_a_success() -> None:
    backoff = Backoff(base=0.1, cap=30.0)
    for _ in range(10):
        backoff.next_delay()
    backoff.reset()
    assert backoff.next_delay() <= 0.1


async def test_backoff_wait_returns_early_when_stopping() -> None:
    stopping = asyncio.Event()
    backoff = Backoff(base=60.0, cap=60.0, rng=random.Random(3))
    waiting = asyncio.create_task(backoff.wait(stopping))
    await asyncio.sleep(0.01)
    stopping.set()
    assert await asyncio.wait_for(waiting, 1.0) is True
