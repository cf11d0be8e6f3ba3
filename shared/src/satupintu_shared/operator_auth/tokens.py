"""Static operator tokens: kept only as SHA-256 digests, compared in constant time, and refused at start-up
when a person could guess them."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr

from .core import OperatorAuthConfigError, Role
from .settings import OperatorAuthSettings

MIN_TOKEN_LENGTH = 32
#: Values people type when they mean "fill in later"; refused wherever they appear.
PLACEHOLDERS = frozenset(
    {
        "dev-admin-token",
        "dev-operator-token",
        "changeme",
        "change-me",
        "admin",
        "administrator",
        "operator",
        "secret",
        "password",
        "token",
        "test",
    }
)
_HOW = "generate one with: openssl rand -hex 32"


@dataclass(frozen=True)
class StaticToken:
    """A configured token: its digest, its role and the subject it acts as."""

    digest: bytes
    role: Role
    subject: str

    @property
    def fingerprint(self) -> str:
        """What a console session records of the token it came from (a digest of the digest)."""
        return hashlib.sha256(b"satupintu-session:" + self.digest).hexdigest()[:32]


def digest(token: str) -> bytes:
    """The SHA-256 digest a token is stored and compared as."""
    return hashlib.sha256(token.encode("utf-8")).digest()


_PLACEHOLDER_DIGESTS = frozenset(digest(p) for p in PLACEHOLDERS)


def check_token_strength(token: str, variable: str) -> None:
    """Refuse a guessable token: a known placeholder, shorter than 32 characters, or a few characters
    repeated. Raises ``OperatorAuthConfigError`` naming ``variable``."""
    if token.lower() in PLACEHOLDERS:
        raise OperatorAuthConfigError(
            f"{variable} is the placeholder {token!r}, which anyone can guess; {_HOW}"
        )
    if len(token) < MIN_TOKEN_LENGTH:
        raise OperatorAuthConfigError(
            f"{variable} is {len(token)} characters long; at least {MIN_TOKEN_LENGTH} are needed; {_HOW}"
        )
    if len(set(token)) < 8:
        raise OperatorAuthConfigError(f"{variable} repeats a few characters over and over; {_HOW}")


def parse_token_hashes(text: str) -> list[StaticToken]:
    """``role:sha256hex[:name]`` entries, comma-separated; ``OperatorAuthConfigError`` when malformed."""
    tokens = []
    for n, entry in enumerate((e.strip() for e in text.split(",")), start=1):
        if not entry:
            continue
        role_text, _, rest = entry.partition(":")
        hex_digest, _, name = rest.partition(":")
        where = f"SATUPINTU_OPERATOR_TOKEN_HASHES entry {n}"
        try:
            role = Role.parse(role_text)
            raw = bytes.fromhex(hex_digest)
        except ValueError as exc:
            raise OperatorAuthConfigError(f"{where}: {exc} (expected role:sha256hex[:name])") from None
        if len(raw) != 32:
            raise OperatorAuthConfigError(f"{where}: expected 64 hexadecimal digits (a SHA-256 digest)")
        if raw in _PLACEHOLDER_DIGESTS:
            raise OperatorAuthConfigError(f"{where} is the digest of a well-known placeholder; {_HOW}")
        tokens.append(StaticToken(raw, role, name.strip() or f"{role.label}-{hex_digest[:8].lower()}"))
    return tokens


def configured_secret(value: SecretStr | None, file: Path | None, variable: str) -> str | None:
    """The secret given in ``variable`` or, when that is unset, read from the file in ``{variable}_FILE``
    (surrounding whitespace removed); None when neither is set."""
    if value is not None and value.get_secret_value().strip():
        return value.get_secret_value().strip()
    if file is None:
        return None
    try:
        text = file.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise OperatorAuthConfigError(f"cannot read {variable}_FILE {file}: {exc}") from exc
    if not text:
        raise OperatorAuthConfigError(f"{variable}_FILE {file} is empty")
    return text


def static_tokens(settings: OperatorAuthSettings) -> list[StaticToken]:
    """Every static token the settings configure (files are read now), each checked for strength."""
    tokens = []
    raw = (
        (settings.operator_token, settings.operator_token_file, "SATUPINTU_OPERATOR_TOKEN", Role.OPERATOR),
        (settings.admin_token, settings.admin_token_file, "SATUPINTU_ADMIN_TOKEN", Role.ADMINISTRATOR),
    )
    for value, file, variable, role in raw:
        token = configured_secret(value, file, variable)
        if token is not None:
            check_token_strength(token, variable)
            tokens.append(StaticToken(digest(token), role, f"{role.label}-token"))
    return tokens + parse_token_hashes(settings.operator_token_hashes)


def match_static(tokens: Sequence[StaticToken], token: str) -> StaticToken | None:
    """The configured token equal to ``token`` (the highest role if several are), compared by digest in
    constant time: every entry is compared, so the time taken does not tell which one matched."""
    presented = digest(token)
    found = None
    for candidate in tokens:
        if hmac.compare_digest(presented, candidate.digest) and (
            found is None or candidate.role > found.role
        ):
            found = candidate
    return found
