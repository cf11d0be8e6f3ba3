"""Roles, principals and the two ways a request is refused."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from fastapi.responses import JSONResponse

from ..http import problem

REALM = "satupintu-operator"


class Role(enum.IntEnum):
    """Operator roles; a higher role may do everything a lower one may."""

    OPERATOR = 1
    ADMINISTRATOR = 2

    @property
    def label(self) -> str:
        """``operator`` or ``administrator``."""
        return self.name.lower()

    @classmethod
    def parse(cls, value: Role | str) -> Role:
        """A role from its name (``operator``, ``administrator``); ``ValueError`` for anything else."""
        if isinstance(value, Role):
            return value
        try:
            return cls[value.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown role {value!r}: use operator or administrator") from None


@dataclass(frozen=True)
class Principal:
    """Who made a request.

    ``subject``: a token's name or a JWT's ``sub``; ``via``: ``token``, ``oidc`` or ``session``;
    ``credential``: what a console session was issued from (a static token's fingerprint, or ``oidc``);
    ``expires_at``: when the credential stops being valid (Unix time), if it does.
    """

    subject: str
    role: Role
    via: str = "token"
    credential: str = ""
    expires_at: int | None = None


class OperatorAuthConfigError(ValueError):
    """The operator credentials are misconfigured: start-up stops with this message."""


class OperatorAuthError(Exception):
    """A request refused: 401 without a valid credential, 403 with too low a role, 503 when the identity
    provider cannot be asked."""

    def __init__(self, status: int, detail: str, *, error: str | None = None) -> None:
        super().__init__(detail)
        self.status, self.detail, self.error = status, detail, error

    def response(self) -> JSONResponse:
        """The RFC 9457 answer, with RFC 6750's ``WWW-Authenticate`` challenge."""
        challenge = f'Bearer realm="{REALM}"'
        if self.error:
            challenge += f', error="{self.error}"'
        title = {401: "Unauthorized", 403: "Forbidden"}.get(self.status, "Identity provider unavailable")
        return problem(self.status, title, detail=self.detail, headers={"WWW-Authenticate": challenge})


def unauthorized(detail: str, *, invalid: bool = False) -> OperatorAuthError:
    """401; ``invalid``: a credential was presented but is not valid (``error="invalid_token"``)."""
    return OperatorAuthError(401, detail, error="invalid_token" if invalid else None)
