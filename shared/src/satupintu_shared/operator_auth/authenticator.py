"""From a request's credential to a principal: static tokens first, then an OIDC JWT, then the console's
session cookie."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Sequence

from fastapi import Request

from .core import OperatorAuthConfigError, Principal, unauthorized
from .oidc import OidcVerifier, looks_like_jwt
from .session import COOKIE, SessionSigner
from .settings import OperatorAuthSettings
from .tokens import StaticToken, match_static, static_tokens

log = logging.getLogger(__name__)

NOT_CONFIGURED = (
    "no operator credential is configured: set SATUPINTU_OPERATOR_TOKEN(_FILE), "
    "SATUPINTU_ADMIN_TOKEN(_FILE), SATUPINTU_OPERATOR_TOKEN_HASHES "
    "or SATUPINTU_OIDC_ISSUER/_AUDIENCE/_JWKS_URL"
)


def bearer_token(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer …`` header, if any."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return (value.strip() or None) if scheme.lower() == "bearer" else None


def _oidc(settings: OperatorAuthSettings) -> OidcVerifier | None:
    given = {
        "SATUPINTU_OIDC_ISSUER": settings.oidc_issuer,
        "SATUPINTU_OIDC_AUDIENCE": settings.oidc_audience,
        "SATUPINTU_OIDC_JWKS_URL": settings.oidc_jwks_url,
    }
    if not any(given.values()):
        return None
    missing = [name for name, value in given.items() if not value]
    if missing:
        raise OperatorAuthConfigError(f"OIDC sign-in is half configured: set {', '.join(missing)} too")
    try:
        return OidcVerifier(
            issuer=str(settings.oidc_issuer),
            audience=str(settings.oidc_audience),
            jwks_url=str(settings.oidc_jwks_url),
            roles_claim=settings.oidc_roles_claim,
            algorithms=settings.oidc_algorithms.split(","),
        )
    except ValueError as exc:
        raise OperatorAuthConfigError(str(exc)) from exc


class OperatorAuthenticator:
    """The operator credentials of one service, read once at start-up."""

    def __init__(
        self, tokens: Sequence[StaticToken], *, sessions: SessionSigner, oidc: OidcVerifier | None = None
    ) -> None:
        self.tokens, self.sessions, self.oidc = list(tokens), sessions, oidc

    @classmethod
    def from_settings(cls, settings: OperatorAuthSettings) -> OperatorAuthenticator:
        """Read and check the configured credentials; ``OperatorAuthConfigError`` stops start-up on a
        guessable or malformed one. With none at all, every operator endpoint will answer 401."""
        authenticator = cls(
            static_tokens(settings), sessions=SessionSigner.from_settings(settings), oidc=_oidc(settings)
        )
        if not authenticator.configured:
            log.warning("%s; every operator endpoint answers 401", NOT_CONFIGURED)
        return authenticator

    @property
    def configured(self) -> bool:
        """Whether any credential can succeed."""
        return bool(self.tokens) or self.oidc is not None

    async def authenticate(self, token: str) -> Principal:
        """The principal of a bearer token or JWT; ``OperatorAuthError`` when it is not valid."""
        if not self.configured:
            raise unauthorized(NOT_CONFIGURED, invalid=True)
        match = match_static(self.tokens, token)
        if match is not None:
            return Principal(match.subject, match.role, via="token", credential=match.fingerprint)
        if self.oidc is not None and looks_like_jwt(token):
            return await self.oidc.verify(token)
        raise unauthorized("the token is not valid", invalid=True)

    def session(self, value: str) -> Principal | None:
        """The principal of a genuine session whose credential is still configured, else None."""
        principal = self.sessions.verify(value)
        if principal is None:
            return None
        if principal.credential == "oidc":
            return principal if self.oidc is not None else None
        for token in self.tokens:
            if hmac.compare_digest(principal.credential, token.fingerprint):
                # The token's current role, in case the deployment changed it since.
                return Principal(
                    principal.subject, token.role, "session", token.fingerprint, principal.expires_at
                )
        return None

    async def principal(self, request: Request) -> Principal:
        """Who sent ``request``: its bearer credential, else its session cookie; ``OperatorAuthError``
        401 when neither is there or valid."""
        token = bearer_token(request)
        if token:
            return await self.authenticate(token)
        cookie = request.cookies.get(COOKIE)
        if cookie:
            principal = self.session(cookie)
            if principal is None:
                raise unauthorized(
                    "the session has expired or is no longer valid; sign in again", invalid=True
                )
            return principal
        raise unauthorized(
            "an operator credential is required: Authorization: Bearer <token>, or sign in to the console"
        )
