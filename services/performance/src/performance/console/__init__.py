"""The operator console: one static page (no build step), its sign-in, and the trace proxy it needs.

``GET /`` serves the page to a signed-in operator (others are sent to ``GET /sign-in``), ``GET /console/…``
its assets (public: they hold no data), ``/console/session`` signs in and out, and the operator-only
``GET /console/config.json`` and ``GET /v1/traces/{id}`` (a relay of Jaeger's query API, so the browser
stays on one origin).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response

from satupintu_shared.http import problem
from satupintu_shared.operator_auth import Role, require_role

from .settings import ConsoleSettings
from .sign_in import session_router, signed_in
from .traces import TRACE_ID, JaegerUnavailable, TraceNotFound, fetch_trace

__all__ = ["ConsoleSettings", "console_router"]

STATIC = Path(__file__).parent / "static"
#: Everything the page loads comes from this origin; data is rendered with textContent, never as HTML.
_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; object-src 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)
_NO_CACHE = {"Cache-Control": "no-cache"}
_PAGE = {**_NO_CACHE, "Content-Security-Policy": _CSP}
TraceId = Annotated[str, PathParam(min_length=16, max_length=32)]
OPERATOR = [Depends(require_role(Role.OPERATOR))]


def _asset(name: str) -> Path | None:
    path = (STATIC / name).resolve()
    inside = path.is_relative_to(STATIC.resolve())
    return path if inside and path.is_file() else None


def console_router(settings: ConsoleSettings | None = None) -> APIRouter:
    """The console's routes; settings default to the environment (JAEGER_QUERY_URL, JAEGER_UI_URL)."""
    config = settings or ConsoleSettings()
    router = APIRouter(include_in_schema=False)

    @router.get("/")
    async def index(request: Request) -> Response:
        if signed_in(request) is None:
            return RedirectResponse("/sign-in", status_code=303, headers=_NO_CACHE)
        return FileResponse(STATIC / "index.html", headers=_PAGE)

    @router.get("/sign-in")
    async def sign_in_page(request: Request) -> Response:
        if signed_in(request) is not None:
            return RedirectResponse("/", status_code=303, headers=_NO_CACHE)
        return FileResponse(STATIC / "sign-in.html", headers=_PAGE)

    router.include_router(session_router())

    @router.get("/console/config.json", dependencies=OPERATOR)
    async def client_config() -> dict[str, Any]:
        return {"jaeger_ui_url": config.jaeger_ui_url, "poll_seconds": config.poll_seconds}

    @router.get("/console/{name:path}")
    async def asset(name: str) -> Response:
        path = _asset(name)
        if path is None:
            return problem(404, "Not found", detail=f"no console asset {name!r}")
        return FileResponse(path, headers=_NO_CACHE)

    @router.get("/v1/traces/{trace_id}", include_in_schema=True, tags=["traces"], dependencies=OPERATOR)
    async def trace(trace_id: TraceId) -> Response:
        trace_id = trace_id.lower()
        if not TRACE_ID.match(trace_id):
            return problem(400, "Invalid trace id", detail="a trace id is 16 or 32 hexadecimal digits")
        try:
            doc = await fetch_trace(config.jaeger_query_url, trace_id, config.jaeger_timeout_seconds)
        except TraceNotFound:
            return problem(404, "Trace not found", detail=f"Jaeger has no trace {trace_id} (yet)")
        except JaegerUnavailable as exc:
            return problem(502, "Jaeger unavailable", detail=str(exc))
        return JSONResponse(doc)

    return router
