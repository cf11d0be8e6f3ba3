"""Signing in to the console: the operator pastes a token (or an identity provider's JWT) once, and the
browser keeps a signed session in an HttpOnly, SameSite=Strict cookie (``satupintu_shared.operator_auth``).

``POST /console/session`` takes ``{"token": …}`` (JSON: 200 or 401 problem+json) or a plain form post
(303 to ``/`` or back to ``/sign-in?error=…``); ``POST /console/sign-out`` forgets the session;
``GET /console/session`` says who is signed in.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from satupintu_shared.http import problem
from satupintu_shared.operator_auth import (
    COOKIE,
    OperatorAuthError,
    Principal,
    Role,
    authenticator_of,
    clear_session_cookie,
    require_role,
    set_session_cookie,
)

#: A JWT of a generous identity provider fits; anything larger is not a credential.
MAX_BODY = 16_384
FORM = "application/x-www-form-urlencoded"


def signed_in(request: Request) -> Principal | None:
    """The principal of the request's session cookie, if it holds a valid one."""
    cookie = request.cookies.get(COOKIE)
    return authenticator_of(request).session(cookie) if cookie else None


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def _who(principal: Principal) -> dict[str, Any]:
    expires = principal.expires_at
    return {
        "subject": principal.subject,
        "role": principal.role.label,
        "expires_at": datetime.fromtimestamp(expires, UTC).isoformat() if expires else None,
    }


async def _token_of(request: Request) -> tuple[str | None, bool]:
    """The presented token and whether it came from a plain form post."""
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > MAX_BODY:
            return None, False
    is_form = request.headers.get("content-type", "").split(";")[0].strip().lower() == FORM
    try:
        doc: Any = dict(parse_qsl(body.decode())) if is_form else json.loads(body)
    except (UnicodeDecodeError, ValueError):
        return None, is_form
    token = doc.get("token") if isinstance(doc, dict) else None
    return (token.strip() or None) if isinstance(token, str) else None, is_form


def session_router() -> APIRouter:
    """Sign-in, sign-out and who is signed in."""
    router = APIRouter(include_in_schema=False)

    @router.post("/console/session")
    async def sign_in(request: Request) -> Response:
        token, is_form = await _token_of(request)
        auth = authenticator_of(request)
        try:
            if token is None:
                raise OperatorAuthError(401, "paste an operator token to sign in")
            principal = await auth.authenticate(token)
        except OperatorAuthError as exc:
            if is_form:
                error = "unavailable" if exc.status == 503 else "invalid"
                return RedirectResponse(f"/sign-in?error={error}", status_code=303)
            return problem(exc.status, "Sign-in refused", detail=exc.detail)
        value, max_age = auth.sessions.issue(principal)
        session = auth.session(value)
        assert session is not None  # just issued from a configured credential
        response: Response = (
            RedirectResponse("/", status_code=303) if is_form else JSONResponse(_who(session))
        )
        response.headers["Cache-Control"] = "no-store"
        set_session_cookie(response, value, max_age, secure=_secure(request))
        return response

    @router.post("/console/sign-out")
    async def sign_out(request: Request) -> Response:
        response = RedirectResponse("/sign-in", status_code=303)
        clear_session_cookie(response, secure=_secure(request))
        return response

    @router.get("/console/session")
    async def whoami(principal: Annotated[Principal, Depends(require_role(Role.OPERATOR))]) -> JSONResponse:
        return JSONResponse(_who(principal), headers={"Cache-Control": "no-store"})

    return router
