"""problem+json for the API's own errors: a bad period, invalid parameters."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from satupintu_shared.http import problem

from .api import BadPeriod


def install_error_handlers(app: FastAPI) -> None:
    """422 problem+json with one entry per invalid parameter."""

    @app.exception_handler(BadPeriod)
    async def bad_period(request: Request, exc: BadPeriod) -> JSONResponse:
        return problem(
            422, "Invalid period", detail=str(exc), errors=[{"field": "period", "message": str(exc)}]
        )

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"field": ".".join(str(p) for p in e["loc"][1:]) or "(root)", "message": e["msg"]}
            for e in exc.errors()
        ]
        return problem(422, "Invalid request", detail="one or more parameters are invalid", errors=errors)
