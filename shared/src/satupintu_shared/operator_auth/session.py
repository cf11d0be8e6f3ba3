"""The console's session: after signing in with a token, the browser keeps an HMAC-signed session in an
HttpOnly, SameSite=Strict cookie instead of the token itself.

The cookie holds ``base64url(json).base64url(hmac)``: the subject, the role, when it expires and which
credential it was issued from (a digest of the token's digest, or ``oidc``), never the token. The key is
``SATUPINTU_SESSION_KEY``(``_FILE``) when set (several replicas, sessions surviving a restart), otherwise
random per process. A session of a static token stops working as soon as that token is no longer
configured; a session of an OIDC token never outlives the token.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import time

from fastapi.responses import Response

from .core import Principal, Role
from .settings import OperatorAuthSettings
from .tokens import check_token_strength, configured_secret

COOKIE = "satupintu_session"
_DOMAIN = b"satupintu-session.v1."


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SessionSigner:
    """Issues and verifies session values."""

    def __init__(self, key: bytes, ttl_seconds: int) -> None:
        self._key, self.ttl_seconds = key, ttl_seconds

    @classmethod
    def from_settings(cls, settings: OperatorAuthSettings) -> SessionSigner:
        """The configured key (checked like a token) or a random one for this process."""
        configured = configured_secret(
            settings.session_key, settings.session_key_file, "SATUPINTU_SESSION_KEY"
        )
        if configured is not None:
            check_token_strength(configured, "SATUPINTU_SESSION_KEY")
        key = configured.encode() if configured is not None else os.urandom(32)
        return cls(key, settings.session_ttl_seconds)

    def _sign(self, body: str) -> str:
        return _b64(hmac.new(self._key, _DOMAIN + body.encode("ascii"), hashlib.sha256).digest())

    def issue(self, principal: Principal, now: float | None = None) -> tuple[str, int]:
        """A session value for ``principal`` and its lifetime in seconds (never past the credential's)."""
        issued = int(now if now is not None else time.time())
        expires = issued + self.ttl_seconds
        if principal.expires_at is not None:
            expires = min(expires, principal.expires_at)
        doc = {"sub": principal.subject, "role": principal.role.label, "cred": principal.credential}
        body = _b64(json.dumps({**doc, "exp": expires}, separators=(",", ":")).encode())
        return f"{body}.{self._sign(body)}", max(0, expires - issued)

    def verify(self, value: str, now: float | None = None) -> Principal | None:
        """The principal of a genuine, unexpired session value; None for anything else."""
        body, _, signature = value.partition(".")
        if not value.isascii() or not body or not hmac.compare_digest(signature, self._sign(body)):
            return None
        try:
            doc = json.loads(_unb64(body))
            expires, role = int(doc["exp"]), Role.parse(str(doc["role"]))
            subject, credential = str(doc["sub"]), str(doc["cred"])
        except (ValueError, KeyError, TypeError, binascii.Error):
            return None
        if expires <= (now if now is not None else time.time()):
            return None
        return Principal(subject, role, via="session", credential=credential, expires_at=expires)


def set_session_cookie(response: Response, value: str, max_age: int, *, secure: bool) -> None:
    """Keep the session in the browser: HttpOnly (no script reads it), SameSite=Strict (no other site
    sends it), Secure whenever the console is served over https."""
    response.set_cookie(
        COOKIE, value, max_age=max_age, path="/", httponly=True, samesite="strict", secure=secure
    )


def clear_session_cookie(response: Response, *, secure: bool) -> None:
    """Forget the session in the browser."""
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict", secure=secure)
