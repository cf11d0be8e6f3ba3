"""RFC 9457 problems for every client mistake (never a 5xx for bad input), in English or Indonesian."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from satupintu_shared.http import problem

from ..domain import bounds
from ..domain.messages import FieldError, pick_language, text

TYPE_BASE = "https://satupintu.id/problems/"


class ProblemError(Exception):
    """Raised by routes and helpers; rendered as ``application/problem+json``."""

    def __init__(
        self,
        status: int,
        key: str,
        *,
        detail_key: str | None = None,
        errors: Sequence[FieldError] | None = None,
        headers: dict[str, str] | None = None,
        **params: Any,
    ) -> None:
        super().__init__(key)
        self.status, self.key, self.detail_key = status, key, detail_key
        self.errors, self.headers, self.params = errors, headers, params

    def response(self, lang: str) -> JSONResponse:
        """The problem document in ``lang``."""
        rendered = [e.render(lang) for e in self.errors] if self.errors is not None else None
        detail = text(self.detail_key, lang, **self.params) if self.detail_key else None
        return problem(
            self.status,
            text(self.key, lang),
            detail=detail,
            type_=TYPE_BASE + self.key.replace("_", "-"),
            errors=rendered,
            headers=self.headers,
        )


def validation_problem(errors: Sequence[FieldError]) -> ProblemError:
    """422 with one entry per invalid field."""
    return ProblemError(422, "validation", detail_key="validation_detail", errors=errors, count=len(errors))


def language(request: Request) -> str:
    """The client's language: ``id`` or ``en``."""
    return pick_language(request.headers.get("accept-language"))


#: What no JSON reader downstream can take: refused for the whole body with 400.
UNREADABLE = frozenset({"invalid_unicode", "number_too_long"})


async def read_json(request: Request, limit: int, *, whole: bool = True) -> Any:
    """The JSON body, or a problem: 415 wrong content type, 413 over ``limit`` bytes, 400 malformed.

    With ``whole``, a lone surrogate or an over-long number anywhere is a 400 naming the field; without
    (the batch), they are left for each item's validation (``TooLongNumber`` stands for such a number)."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json" and not content_type.endswith("+json"):
        raise ProblemError(
            415,
            "unsupported_media_type",
            detail_key="unsupported_media_type_detail",
            expected="application/json",
        )
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            raise _too_large(limit)
    try:
        doc = bounds.loads(body)
    except (ValueError, RecursionError) as exc:
        raise ProblemError(
            400, "malformed_json", detail_key="malformed_json_detail", detail=str(exc)[:200]
        ) from exc
    if whole:
        unreadable = [e for e in bounds.unsafe_values(doc) if e.code in UNREADABLE]
        if unreadable:
            raise unreadable_problem(unreadable)
    return doc


def unreadable_problem(errors: Sequence[FieldError]) -> ProblemError:
    """400 naming each value of the body that cannot be read (lone surrogates, over-long numbers)."""
    return ProblemError(
        400, "invalid_json_value", detail_key="invalid_json_value_detail", errors=errors, count=len(errors)
    )


def _too_large(limit: int) -> ProblemError:
    return ProblemError(413, "too_large", detail_key="too_large_detail", limit=limit)


def pydantic_errors(errors: Iterable[Any], *, skip: int = 0) -> list[FieldError]:
    """Pydantic/FastAPI validation errors as field errors (``loc`` → JSON pointer)."""
    result = []
    for err in errors:
        loc = [str(p) for p in err.get("loc", ())][skip:]
        pointer = "/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in loc) if loc else "/"
        kind = str(err.get("type", ""))
        ctx = err.get("ctx") or {}
        code, params = _CODES.get(kind, "invalid"), {"detail": err.get("msg", "")}
        if kind in ("greater_than_equal", "less_than_equal"):
            params = {"limit": ctx.get("ge", ctx.get("le"))}
        elif kind == "string_too_long":
            params = {"max": ctx.get("max_length")}
        result.append(FieldError(pointer, code, params))
    return result


_CODES = {
    "missing": "required",
    "extra_forbidden": "unknown_field",
    "greater_than_equal": "min_value",
    "less_than_equal": "max_value",
    "int_type": "type_integer",
    "int_parsing": "type_integer",
    "int_parsing_size": "number_too_large",
    "string_too_long": "too_long",
    "string_type": "type_string",
    "model_type": "type_object",
    "dict_type": "type_object",
}


def install(app: FastAPI) -> None:
    """Problem handlers for ``ProblemError``, FastAPI's validation errors and plain HTTP errors."""

    @app.exception_handler(ProblemError)
    async def on_problem(request: Request, exc: ProblemError) -> JSONResponse:
        return exc.response(language(request))

    @app.exception_handler(RequestValidationError)
    async def on_validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        return validation_problem(pydantic_errors(exc.errors())).response(language(request))

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        key = "not_found" if exc.status_code == 404 else "bad_request"
        title = text(key, language(request)) if exc.status_code in (400, 404) else str(exc.detail)
        return problem(exc.status_code, title, detail=str(exc.detail), headers=exc.headers)
