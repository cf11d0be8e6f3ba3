"""Agency API keys (pure): ``sp_<key_id>_<secret>``, where only sha256(secret) is ever stored.

The secret is 32 random bytes from the operating system's CSPRNG (256 bits), so a fast hash is enough:
a slow password hash (argon2, scrypt) protects *guessable* secrets against offline guessing, and
nobody can enumerate 2^256 candidates; it would only add tens of milliseconds of CPU to every status
report. ``key_id`` is public (listing, revoking, logs); the secret is shown once, at creation.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

PREFIX = "sp"
_KEY = re.compile(r"^sp_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$")
_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


@dataclass(frozen=True)
class NewKey:
    """A freshly generated key: the full ``api_key`` (to show once) and what is stored."""

    key_id: str
    api_key: str
    secret_hash: bytes


@dataclass(frozen=True)
class PresentedKey:
    """A key as a client sent it, split into its public id and its secret."""

    key_id: str
    secret: str


def generate_key() -> NewKey:
    """A new key with a random 12-character id and a 256-bit secret."""
    key_id = "".join(secrets.choice(_ALPHABET) for _ in range(12))
    secret = secrets.token_urlsafe(32)  # 43 characters
    return NewKey(key_id, f"{PREFIX}_{key_id}_{secret}", hash_secret(secret))


def hash_secret(secret: str) -> bytes:
    """What is stored of a secret."""
    return hashlib.sha256(secret.encode()).digest()


def parse_key(raw: str | None) -> PresentedKey | None:
    """The id and secret of ``raw``, or None when it does not look like a SatuPintu key."""
    match = _KEY.match((raw or "").strip())
    return PresentedKey(match.group(1), match.group(2)) if match else None


def secret_matches(presented: PresentedKey, stored_hash: bytes) -> bool:
    """Constant-time comparison of the presented secret with the stored hash."""
    return hmac.compare_digest(hash_secret(presented.secret), stored_hash)


def valid_key_id(key_id: str) -> bool:
    """True when ``key_id`` has the shape of a key id."""
    return bool(re.fullmatch(r"[a-z0-9]{12}", key_id))
