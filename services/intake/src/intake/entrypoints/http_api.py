"""The citizen and agency HTTP API under ``/v1``: thin routes over the service layer."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from lokal import wilayah
from pydantic import ValidationError

from satupintu_shared.events import SurveyAnswers
from satupintu_shared.telemetry import current_trace_id

from ..domain.bounds import token
from ..domain.messages import FieldError
from ..domain.tracking import parse_tracking_number
from ..service_layer.submit import CatalogUnavailable, Door, Item, Outcome
from .deps import LanguageDep, Services, ServicesDep, server_span
from .problems import ProblemError, language, pydantic_errors, read_json, validation_problem
from .schemas import Accepted, BatchIn, StatusView, SubmissionIn, body

router = APIRouter(prefix="/v1", tags=["requests"])


class FastJSONResponse(JSONResponse):
    """JSON rendered with orjson (the batch answer has up to 500 results)."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


HTTP_DOOR = Door("http")
BATCH_DOOR = Door("batch", extra_fields=frozenset({"idempotency_key"}))
MAX_BATCH = 500
MAX_IDEMPOTENCY_KEY = 200


IDEMPOTENCY_HEADER = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "schema": {"type": "string", "maxLength": 200},
    "description": "The same key with the same body returns the same tracking number",
}
LANGUAGE_HEADER = {
    "name": "Accept-Language",
    "in": "header",
    "required": False,
    "schema": {"type": "string"},
    "description": "id for Indonesian messages, else English",
}


# The two submission routes take only the Request: FastAPI's dependency resolution was a tenth of the
# CPU of a submission. The headers they read are documented through openapi_extra instead.
@router.post(
    "/requests",
    status_code=202,
    response_model=Accepted,
    openapi_extra={**body(SubmissionIn), "parameters": [IDEMPOTENCY_HEADER, LANGUAGE_HEADER]},
)
async def submit(request: Request) -> JSONResponse:
    """Submit a service request; 202 only after the broker acknowledged it."""
    services: Services = request.app.state.services
    with server_span(request, "POST /v1/requests"):
        idempotency_key = request.headers.get("idempotency-key")
        if idempotency_key is not None and len(idempotency_key) > MAX_IDEMPOTENCY_KEY:
            raise validation_problem(
                [FieldError("/headers/Idempotency-Key", "too_long", {"max": MAX_IDEMPOTENCY_KEY})]
            )
        raw = await read_json(request, services.settings.max_body_bytes)
        key = f"http:{idempotency_key}" if idempotency_key else None
        door = replace(HTTP_DOOR, bounds=services.settings.bounds())
        outcome = await _submit(services, [Item(raw, key)], door)
        result = _single(outcome[0], services.settings.retry_after_seconds)
        return FastJSONResponse(
            result,
            status_code=202,
            headers={
                "Location": result["links"]["status"],
                "Idempotent-Replayed": str(outcome[0].kind == "replayed").lower(),
            },
        )


@router.post("/requests:batch", openapi_extra={**body(BatchIn), "parameters": [LANGUAGE_HEADER]})
async def submit_batch(request: Request) -> FastJSONResponse:
    """Up to 500 submissions; per-item results (one bad item does not sink the others)."""
    services: Services = request.app.state.services
    lang = language(request)
    with server_span(request, "POST /v1/requests:batch"):
        # Unreadable values are refused per item, so that one bad item does not sink the others.
        raw = await read_json(request, services.settings.max_batch_body_bytes, whole=False)
        items = raw.get("items") if isinstance(raw, dict) else None
        errors = _batch_shape(raw, items)
        if errors:
            raise validation_problem(errors)
        assert isinstance(items, list)
        batch = [_batch_item(i, entry) for i, entry in enumerate(items)]
        outcomes = await _submit(services, batch, replace(BATCH_DOOR, bounds=services.settings.bounds()))
        results = [_item_result(i, o, lang) for i, o in enumerate(outcomes)]
        accepted = sum(1 for o in outcomes if o.kind in ("accepted", "replayed"))
        return FastJSONResponse(
            {
                "accepted": accepted,
                "rejected": len(outcomes) - accepted,
                "trace_id": current_trace_id(),
                "results": results,
            }
        )


@router.get("/requests/{tracking_number}", response_model=StatusView)
async def status(tracking_number: str, services: ServicesDep) -> dict[str, Any]:
    """The citizen's status view (personal data masked)."""
    canonical = _known_format(tracking_number)
    row = await services.status.get(canonical)
    if row is None:
        raise ProblemError(404, "not_found", detail_key="not_found_detail", value=canonical)
    catalog = services.catalog()
    service = catalog.service(row.service_code) if catalog and row.service_code else None
    agency = catalog.agency(row.agency_code) if catalog and row.agency_code else None
    return {
        "tracking_number": row.tracking_number,
        "status": row.status,
        "service_code": row.service_code,
        "service_name": service.name if service else None,
        "region_code": row.region_code,
        "region_name": wilayah.wilayah_name(row.region_code) if row.region_code else None,
        "agency_code": row.agency_code,
        "agency_name": agency.name if agency else None,
        "due_at": row.due_at,
        "submitted_at": row.submitted_at,
        "updated_at": row.updated_at,
        "applicant": row.applicant,
        "links": {
            "self": f"/v1/requests/{row.tracking_number}",
            "survey": f"/v1/requests/{row.tracking_number}/survey",
        },
    }


@router.post("/requests/{tracking_number}/survey", status_code=201, openapi_extra=body(SurveyAnswers))
async def survey(
    tracking_number: str, request: Request, services: ServicesDep, lang: LanguageDep
) -> JSONResponse:
    """The satisfaction survey (9 elements, each 1–4): once, after completion."""
    canonical = _known_format(tracking_number)
    raw = await read_json(request, services.settings.max_body_bytes)
    try:
        answers = SurveyAnswers.model_validate(raw)
    except ValidationError as exc:
        raise validation_problem(pydantic_errors(exc.errors(include_url=False))) from exc
    result = await services.surveys.answer(canonical, answers)
    if result.outcome == "not_found":
        raise ProblemError(404, "not_found", detail_key="not_found_detail", value=canonical)
    if result.outcome == "not_completed":
        raise ProblemError(
            409, "survey_not_completed", detail_key="survey_not_completed_detail", current=result.status
        )
    if result.outcome == "already_answered":
        raise ProblemError(409, "survey_done", detail_key="survey_done_detail")
    if result.outcome == "unavailable":
        raise _unavailable(services.settings.retry_after_seconds)
    return JSONResponse({"tracking_number": canonical, "survey": "answered"}, status_code=201)


async def _submit(services: ServicesDep, items: list[Item], door: Door) -> list[Outcome]:
    try:
        return await services.submitter.submit_many(items, door)
    except CatalogUnavailable as exc:
        raise _unavailable(services.settings.retry_after_seconds, "catalog_unavailable_detail") from exc


def _single(outcome: Outcome, retry_after: int) -> dict[str, Any]:
    if outcome.kind == "invalid":
        raise validation_problem(outcome.errors)
    if outcome.kind == "conflict":
        raise ProblemError(409, "idempotency_conflict", detail_key="idempotency_conflict_detail")
    if outcome.kind == "unavailable" or outcome.tracking_number is None:
        # It may have been published after all: a retry with the same key returns it (see README).
        raise _unavailable(retry_after, "not_confirmed_detail")
    tn = outcome.tracking_number
    return {
        "tracking_number": tn,
        "status": "submitted",
        "trace_id": current_trace_id(),
        "links": {"status": f"/v1/requests/{tn}"},
    }


def _item_result(index: int, outcome: Outcome, lang: str) -> dict[str, Any]:
    status = {"accepted": 202, "replayed": 202, "invalid": 422, "conflict": 409, "unavailable": 503}[
        outcome.kind
    ]
    result: dict[str, Any] = {"index": index, "status": status, "outcome": outcome.kind}
    if outcome.tracking_number:
        result["tracking_number"] = outcome.tracking_number
    if outcome.errors:
        result["errors"] = [e.render(lang) for e in outcome.errors]
    return result


def _batch_shape(raw: Any, items: Any) -> list[FieldError]:
    if not isinstance(raw, dict):
        return [FieldError("/", "type_object")]
    errors = [FieldError(f"/{token(name)}", "unknown_field") for name in raw if name != "items"]
    if items is None:
        errors.append(FieldError("/items", "required"))
    elif not isinstance(items, list):
        errors.append(FieldError("/items", "type_array"))
    elif len(items) > MAX_BATCH:
        errors.append(FieldError("/items", "too_many", {"max": MAX_BATCH}))
    return errors


def _batch_item(index: int, entry: Any) -> Item:
    key = entry.get("idempotency_key") if isinstance(entry, dict) else None
    return Item(entry, f"http:{key}" if isinstance(key, str) and key else None, pointer=f"/items/{index}")


def _known_format(tracking_number: str) -> str:
    parsed = parse_tracking_number(tracking_number)
    if parsed.canonical is None:
        raise ProblemError(404, "not_found", detail_key=f"tn_{parsed.problem}", value=tracking_number[:40])
    return parsed.canonical


def _unavailable(retry_after: int, detail_key: str = "unavailable_detail") -> ProblemError:
    return ProblemError(503, "unavailable", detail_key=detail_key, headers={"Retry-After": str(retry_after)})
