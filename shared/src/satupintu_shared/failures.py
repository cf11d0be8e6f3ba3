"""One classification of failures for every consumer and publisher, and the backoff they wait with.

- **transient**: the broker or the database is unavailable, restarting or slow (a connection error,
  a timeout, not enough replicas, too many connections). Waiting and trying again fixes it: retry
  with ``Backoff``, never dead-letter, never spend a record's poison budget.
- **permanent**: the record itself cannot be handled however often it is tried (too large for the
  broker, not authorised, invalid, data the database refuses, undecodable bytes). Isolate it at
  once: dead-letter it with the reason and go on with the next record.
- **unknown**: anything else (a bug, an unexpected state). Retried a few times with backoff (the
  poison budget, ``POISON_BUDGET``), then treated as permanent.
"""

from __future__ import annotations

import asyncio
import enum
import json
import random
from dataclasses import dataclass, field

import asyncpg
from aiokafka import errors as kafka_errors
from pydantic import ValidationError

#: How often a record may fail with an unknown error before it is dead-lettered.
POISON_BUDGET = 3


class Failure(enum.Enum):
    """What to do about an error: retry it (transient), isolate it (permanent), or a bit of both."""

    TRANSIENT = "transient"
    PERMANENT = "permanent"
    UNKNOWN = "unknown"


#: The broker refuses the record or the client whatever the number of attempts.
_KAFKA_PERMANENT: tuple[type[BaseException], ...] = (
    kafka_errors.MessageSizeTooLargeError,
    kafka_errors.RecordTooLargeError,
    kafka_errors.RecordListTooLargeError,
    kafka_errors.TopicAuthorizationFailedError,
    kafka_errors.GroupAuthorizationFailedError,
    kafka_errors.ClusterAuthorizationFailedError,
    kafka_errors.TransactionalIdAuthorizationFailed,
    kafka_errors.DelegationTokenAuthorizationFailed,
    kafka_errors.InvalidTopicError,
    kafka_errors.CorruptRecordException,
    kafka_errors.UnsupportedForMessageFormatError,
)

#: The database cannot be reached, is starting or stopping, or asks for the transaction again.
_DATABASE_TRANSIENT: tuple[type[BaseException], ...] = (
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    asyncpg.TransactionRollbackError,
    asyncpg.OperatorInterventionError,
    asyncpg.InsufficientResourcesError,
)

#: The database refuses the data itself (class 22 data exceptions, class 23 constraint violations).
_DATABASE_PERMANENT: tuple[type[BaseException], ...] = (
    asyncpg.DataError,
    asyncpg.IntegrityConstraintViolationError,
)

#: The record's bytes or content are invalid (``InvalidEvent``, ``UnicodeDecodeError`` and
#: ``json.JSONDecodeError`` are ``ValueError``s).
_INPUT_PERMANENT: tuple[type[BaseException], ...] = (
    ValueError,
    ValidationError,
    json.JSONDecodeError,
    UnicodeError,
)


def classify(exc: BaseException) -> Failure:
    """Whether ``exc`` is transient (retry with backoff), permanent (isolate now) or unknown."""
    if isinstance(exc, _KAFKA_PERMANENT + _DATABASE_PERMANENT + _INPUT_PERMANENT):
        return Failure.PERMANENT
    if isinstance(exc, (kafka_errors.KafkaError, TimeoutError, OSError, *_DATABASE_TRANSIENT)):
        # Every other broker error is about the broker's state (leaders moving, replicas missing,
        # requests timing out, the connection lost), not about the record.
        return Failure.TRANSIENT
    return Failure.UNKNOWN


def is_transient(exc: BaseException) -> bool:
    """Whether ``exc`` is fixed by waiting: retry without dead-lettering or spending a poison budget."""
    return classify(exc) is Failure.TRANSIENT


def is_permanent(exc: BaseException) -> bool:
    """Whether ``exc`` is about the record itself: dead-letter it at once."""
    return classify(exc) is Failure.PERMANENT


def describe(exc: BaseException) -> str:
    """The reason to store with a dead letter: the error's class, its classification and message."""
    return f"{classify(exc).value}: {type(exc).__name__}: {exc}"


@dataclass
class Backoff:
    """Capped exponential backoff with full jitter (AWS's "full jitter"): attempt ``n`` waits a random
    time between 0 and ``min(cap, base * 2**n)``. ``reset`` after a success.

    Full jitter spreads the retries of many replicas hit by the same outage, and the cap keeps a
    recovered dependency from waiting long for its clients.
    """

    base: float = 0.2
    cap: float = 30.0
    attempts: int = 0
    rng: random.Random = field(default_factory=random.Random, repr=False)

    def next_delay(self) -> float:
        """The delay before the next attempt (and count this attempt)."""
        ceiling = min(self.cap, self.base * 2 ** min(self.attempts, 62))
        self.attempts += 1
        return self.rng.uniform(0, ceiling)

    def reset(self) -> None:
        """Start again from ``base`` (after a success)."""
        self.attempts = 0

    async def wait(self, stopping: asyncio.Event | None = None) -> bool:
        """Sleep the next delay; return early (True) if ``stopping`` is set meanwhile, else False."""
        delay = self.next_delay()
        if stopping is None:
            await asyncio.sleep(delay)
            return False
        try:
            await asyncio.wait_for(stopping.wait(), delay)
        except TimeoutError:
            return False
        return True
