"""How a FastAPI app uses operator authentication: ``install_operator_auth`` once, then
``Depends(require_role(...))`` on every operator route or router."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from .authenticator import OperatorAuthenticator
from .core import OperatorAuthError, Principal, Role
from .settings import OperatorAuthSettings

RoleDependency = Callable[[Request], Awaitable[Principal]]


def install_operator_auth(app: FastAPI, settings: OperatorAuthSettings) -> OperatorAuthenticator:
    """Read the operator credentials now (start-up fails on a guessable or malformed one), keep them on
    ``app.state.operator_auth`` and answer ``OperatorAuthError`` as problem+json."""
    authenticator = OperatorAuthenticator.from_settings(settings)
    app.state.operator_auth = authenticator

    async def refused(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, OperatorAuthError)
        return exc.response()

    app.add_exception_handler(OperatorAuthError, refused)
    return authenticator


def authenticator_of(request: Request) -> OperatorAuthenticator:
    """The app's authenticator; an app that forgot ``install_operator_auth`` fails loudly, never open."""
    authenticator = getattr(request.app.state, "operator_auth", None)
    if not isinstance(authenticator, OperatorAuthenticator):
        raise RuntimeError("install_operator_auth(app, settings) was not called for this app")
    return authenticator


def require_role(role: Role | str) -> RoleDependency:
    """A dependency letting a request through only with a credential of at least ``role``
    (``"operator"`` or ``"administrator"``): ``Authorization: Bearer <token or JWT>`` or the console's
    session cookie. 401 problem+json with ``WWW-Authenticate: Bearer realm="satupintu-operator"`` without
    a valid credential, 403 when its role is too low. Returns the principal (also on
    ``request.state.principal``)."""
    needed = Role.parse(role)

    async def dependency(request: Request) -> Principal:
        principal = await authenticator_of(request).principal(request)
        if principal.role < needed:
            raise OperatorAuthError(
                403,
                f"{principal.subject} has the {principal.role.label} role; this needs {needed.label}",
                error="insufficient_scope",
            )
        request.state.principal = principal
        return principal

    dependency.__name__ = f"require_{needed.label}"
    return dependency
