"""Operators signed in at an OIDC identity provider (the government's single sign-on, Keycloak, …):
a bearer JWT is accepted when its signature verifies against the provider's JWKS and its issuer,
audience and expiry are right; the role comes from a configurable claim."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

import jwt

from .core import OperatorAuthError, Principal, Role, unauthorized

#: Clock skew tolerated between the provider and this host.
LEEWAY_SECONDS = 30


def looks_like_jwt(token: str) -> bool:
    """A compact JWS has three dot-separated parts; the platform's static tokens have none."""
    return token.count(".") == 2


class OidcVerifier:
    """Validates bearer JWTs of one provider. The JWKS is fetched on first use and cached (5 minutes);
    a token signed by a key the cache does not know makes PyJWT fetch the set again (key rotation)."""

    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        jwks_url: str,
        roles_claim: str = "roles",
        algorithms: Iterable[str] = ("RS256", "ES256"),
    ) -> None:
        self.issuer, self.audience, self.roles_claim = issuer, audience, roles_claim
        self.algorithms = [a.strip() for a in algorithms if a.strip()]
        if not self.algorithms or any(a.upper().startswith(("HS", "NONE")) for a in self.algorithms):
            # A shared-secret or unsigned JWT proves nothing about the provider.
            raise ValueError("SATUPINTU_OIDC_ALGORITHMS takes asymmetric algorithms only (RS256, ES256, …)")
        self._jwks = jwt.PyJWKClient(jwks_url, cache_jwk_set=True, lifespan=300, timeout=5)

    async def verify(self, token: str) -> Principal:
        """The principal of a valid token; ``OperatorAuthError`` 401 (invalid), 403 (no operator role)
        or 503 (the provider's keys cannot be fetched)."""
        try:
            # PyJWKClient fetches over blocking HTTP: keep it off the event loop.
            signing_key = await asyncio.to_thread(self._jwks.get_signing_key_from_jwt, token)
        except jwt.PyJWKClientConnectionError as exc:
            raise OperatorAuthError(503, f"the identity provider's keys cannot be fetched: {exc}") from exc
        except (jwt.PyJWKClientError, jwt.InvalidTokenError) as exc:
            raise unauthorized(
                f"the token is not signed by a key of the identity provider: {exc}", invalid=True
            ) from None
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                signing_key.key,
                algorithms=self.algorithms,
                audience=self.audience,
                issuer=self.issuer,
                leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError:
            raise unauthorized("the token has expired; sign in again", invalid=True) from None
        except (jwt.InvalidTokenError, ValueError, TypeError) as exc:
            raise unauthorized(f"the token is not valid: {exc}", invalid=True) from None
        subject = str(claims.get("sub") or claims.get("azp") or "oidc")
        role = self.role_of(claims)
        if role is None:
            raise OperatorAuthError(
                403,
                f"{subject} holds neither the operator nor the administrator role (claim {self.roles_claim})",
                error="insufficient_scope",
            )
        return Principal(subject, role, via="oidc", credential="oidc", expires_at=int(claims["exp"]))

    def role_of(self, claims: dict[str, Any]) -> Role | None:
        """The highest role named in the roles claim (a list, or a space- or comma-separated string)."""
        value: Any = claims
        for part in self.roles_claim.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        names = value.replace(",", " ").split() if isinstance(value, str) else value
        if not isinstance(names, list):
            return None
        roles = []
        for name in names:
            try:
                roles.append(Role.parse(str(name)))
            except ValueError:
                continue  # the provider's other roles are none of our business
        return max(roles, default=None)
