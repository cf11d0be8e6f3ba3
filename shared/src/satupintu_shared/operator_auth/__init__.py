"""Operator authentication for the services' HTTP APIs: who may read the operator side, who may change it.

Two roles, ordered: ``operator`` (reads requests, timelines, officers, dead letters, traces) <
``administrator`` (agency keys and credentials, the catalog). A principal is (subject, role).

Credentials, configured through the environment (``OperatorAuthSettings``) and read at start-up:

* static tokens, kept only as SHA-256 digests and compared in constant time:
  ``SATUPINTU_OPERATOR_TOKEN``/``_FILE`` (role operator), ``SATUPINTU_ADMIN_TOKEN``/``_FILE`` (role
  administrator) and ``SATUPINTU_OPERATOR_TOKEN_HASHES`` (``role:sha256hex[:name]``, comma-separated);
  a token shorter than 32 characters or a known placeholder stops start-up;
* a JWT from an OIDC identity provider when ``SATUPINTU_OIDC_ISSUER``, ``_AUDIENCE`` and ``_JWKS_URL``
  are set (signature from the JWKS, issuer, audience, expiry; role from ``SATUPINTU_OIDC_ROLES_CLAIM``);
* the console's signed session cookie, issued after one of the above.

There is no built-in token: with nothing configured every operator endpoint answers 401 (and start-up
logs a warning). In a service: ``install_operator_auth(app, settings)`` in the composition root, then
``Depends(require_role("operator"))`` on each operator route or router.
"""

from .authenticator import OperatorAuthenticator, bearer_token
from .core import OperatorAuthConfigError, OperatorAuthError, Principal, Role
from .dependencies import authenticator_of, install_operator_auth, require_role
from .session import COOKIE, clear_session_cookie, set_session_cookie
from .settings import OperatorAuthSettings
from .tokens import check_token_strength, digest

__all__ = [
    "COOKIE",
    "OperatorAuthConfigError",
    "OperatorAuthError",
    "OperatorAuthSettings",
    "OperatorAuthenticator",
    "Principal",
    "Role",
    "authenticator_of",
    "bearer_token",
    "check_token_strength",
    "clear_session_cookie",
    "digest",
    "install_operator_auth",
    "require_role",
    "set_session_cookie",
]
