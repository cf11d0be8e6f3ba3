"""Operator credentials, from the environment only. Each service's settings class inherits these fields."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class OperatorAuthSettings(BaseSettings):
    """Who may use the operator side: static tokens, an OIDC provider, and the console's sessions.

    Nothing is configured by default, and then every operator endpoint answers 401.
    """

    model_config = SettingsConfigDict(env_prefix="", extra="ignore")

    operator_token: SecretStr | None = Field(
        default=None, alias="SATUPINTU_OPERATOR_TOKEN", description="a raw token of role operator"
    )
    operator_token_file: Path | None = Field(
        default=None, alias="SATUPINTU_OPERATOR_TOKEN_FILE", description="a file holding the operator token"
    )
    admin_token: SecretStr | None = Field(
        default=None, alias="SATUPINTU_ADMIN_TOKEN", description="a raw token of role administrator"
    )
    admin_token_file: Path | None = Field(
        default=None, alias="SATUPINTU_ADMIN_TOKEN_FILE", description="a file holding the administrator token"
    )
    operator_token_hashes: str = Field(
        default="",
        alias="SATUPINTU_OPERATOR_TOKEN_HASHES",
        description="comma-separated role:sha256hex[:name], for deployments that keep only digests",
    )
    oidc_issuer: str | None = Field(default=None, alias="SATUPINTU_OIDC_ISSUER")
    oidc_audience: str | None = Field(default=None, alias="SATUPINTU_OIDC_AUDIENCE")
    oidc_jwks_url: str | None = Field(default=None, alias="SATUPINTU_OIDC_JWKS_URL")
    oidc_roles_claim: str = Field(
        default="roles",
        alias="SATUPINTU_OIDC_ROLES_CLAIM",
        description="the claim holding the roles; a dotted path reaches a nested one (realm_access.roles)",
    )
    oidc_algorithms: str = Field(
        default="RS256,ES256", alias="SATUPINTU_OIDC_ALGORITHMS", description="accepted JWT signatures"
    )
    session_key: SecretStr | None = Field(
        default=None,
        alias="SATUPINTU_SESSION_KEY",
        description="HMAC key of console sessions; default: random per process (sessions end at restart)",
    )
    session_key_file: Path | None = Field(default=None, alias="SATUPINTU_SESSION_KEY_FILE")
    session_ttl_seconds: int = Field(
        default=8 * 3600, ge=60, alias="SATUPINTU_SESSION_TTL_SECONDS", description="console session length"
    )

    @property
    def oidc_configured(self) -> bool:
        """Whether issuer, audience and JWKS URL are all set (OIDC is on only then)."""
        return bool(self.oidc_issuer and self.oidc_audience and self.oidc_jwks_url)
