"""HTTP for agency systems without Kafka (status reports, authenticated by agency API keys) and the admin
API that issues and revokes those keys (operators of role administrator only, see
``satupintu_shared.operator_auth``).

The acting agency is the key's agency, never a body field. intake refuses a report on a request that its
status read model does not show assigned to that agency (403); routing enforces the same rule again when it
consumes the report from the agency's status topic (the read model lags routing by a moment, and routing's
state is the authority).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

import asyncpg
from fastapi import APIRouter, Depends, Header, Request, Response
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from satupintu_shared.events import StatusReported, utc_now
from satupintu_shared.operator_auth import Role, require_role

from ..adapters.api_keys import KeyInfo
from ..adapters.idempotency import KeyRecord, scoped_key
from ..adapters.kafka import BrokerUnavailable, Outgoing
from ..domain.api_keys import parse_key, valid_key_id
from ..domain.bounds import Bounds, text_problem
from ..domain.messages import FieldError
from ..domain.tracking import parse_tracking_number
from ..service_layer.submit import EVENT_NAMESPACE
from .deps import LanguageDep, Services, ServicesDep, server_span
from .problems import ProblemError, pydantic_errors, read_json, validation_problem
from .schemas import StatusReportAccepted, StatusReportIn, body

AGENCY_REALM = 'Bearer realm="satupintu-agency"'
NEEDS_REASON = frozenset({"rejected", "returned"})

T = TypeVar("T")

router = APIRouter(prefix="/v1/agency", tags=["agency systems"])

admin_router = APIRouter(
    prefix="/v1/admin", tags=["admin"], dependencies=[Depends(require_role(Role.ADMINISTRATOR))]
)


@router.post(
    "/status",
    status_code=202,
    response_model=StatusReportAccepted,
    openapi_extra=body(StatusReportIn),
    responses={
        401: {"description": "missing, unknown or revoked API key"},
        403: {"description": "not assigned"},
        409: {"description": "Idempotency-Key already used for a different report"},
    },
)
async def report_status(
    request: Request,
    services: ServicesDep,
    lang: LanguageDep,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> JSONResponse:
    """Report progress on a request assigned to the key's agency; 202 once the broker acknowledged it."""
    with server_span(request, "POST /v1/agency/status") as span:
        agency = await _authenticated_agency(request, services)
        span.set_attribute("satupintu.agency_code", agency)
        raw = await read_json(request, services.settings.max_body_bytes)
        report = _report(raw, services.settings.bounds())
        tracking_number = _tracking_number(report.tracking_number)
        span.set_attribute("satupintu.tracking_number", tracking_number)
        fingerprint = _fingerprint(tracking_number, report)
        key = scoped_key("agency", idempotency_key, agency) if idempotency_key else None
        if key is not None:
            # A retry of a report already applied answers as the first time, even if the request has
            # moved on since (e.g. a ``returned`` report re-routed it away from this agency).
            earlier = await _stored(services, lambda: services.submitter.keys.lookup(key))
            if earlier is not None:
                return _reported(_checked(earlier, fingerprint), agency, idempotency_key, replayed=True)
        known, assignee = await services.status.assignee(tracking_number)
        if not known:
            raise ProblemError(404, "not_found", detail_key="not_found_detail", value=tracking_number)
        if assignee != agency:
            raise ProblemError(
                403, "forbidden", detail_key="not_assignee_detail", value=tracking_number, agency=agency
            )
        occurred_at = utc_now()
        event_id = str(uuid.uuid4())
        if key is not None:
            wanted = KeyRecord(key, fingerprint, tracking_number, occurred_at, False)
            stored = (await _stored(services, lambda: services.submitter.keys.reserve([wanted])))[key]
            _checked(stored, fingerprint)
            if stored.published:
                return _reported(stored, agency, idempotency_key, replayed=True)
            # Ours, or reserved by an attempt that may not have been acknowledged: the same event again.
            occurred_at = stored.occurred_at
            event_id = _report_event_id(agency, idempotency_key or "", occurred_at)
        event = StatusReported(
            tracking_number=tracking_number,
            occurred_at=occurred_at,
            status=report.status,
            officer_id=report.officer_id,
            note=report.note,
            reason=report.reason,
        )
        topic = services.settings.topics.status(agency)
        try:
            await services.publisher.publish(Outgoing(topic, event, event_id, key=tracking_number))
        except BrokerUnavailable as exc:
            raise ProblemError(
                503,
                "unavailable",
                detail_key="report_unavailable_detail",
                headers={"Retry-After": str(services.settings.retry_after_seconds)},
            ) from exc
        if key is not None:
            with contextlib.suppress(asyncpg.PostgresError, OSError):
                # Harmless if it fails: a retry re-publishes the same event id, which routing deduplicates.
                await services.submitter.keys.mark_published([key])
        return _answer(event_id, tracking_number, replayed=False)


def _fingerprint(tracking_number: str, report: StatusReportIn) -> str:
    """What identifies a report: a key reused for another request, status or body is a conflict."""
    content = {
        "tracking_number": tracking_number,
        "status": report.status,
        "officer_id": report.officer_id,
        "note": report.note,
        "reason": report.reason,
    }
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "report:" + hashlib.sha256(canonical.encode()).hexdigest()


def _report_event_id(agency: str, idempotency_key: str, occurred_at: datetime) -> str:
    # The key's first use (its occurred_at) is part of the id: once the key expired and is used again
    # for a new report, that report gets a new id instead of being skipped as a duplicate.
    stamp = occurred_at.astimezone(UTC).isoformat()
    return str(uuid.uuid5(EVENT_NAMESPACE, f"agency-status:{agency}:{idempotency_key}:{stamp}"))


def _checked(stored: KeyRecord, fingerprint: str) -> KeyRecord:
    if stored.fingerprint != fingerprint:
        raise ProblemError(409, "idempotency_conflict", detail_key="report_conflict_detail")
    return stored


def _reported(stored: KeyRecord, agency: str, idempotency_key: str | None, *, replayed: bool) -> JSONResponse:
    event_id = _report_event_id(agency, idempotency_key or "", stored.occurred_at)
    return _answer(event_id, stored.tracking_number, replayed=replayed)


def _answer(event_id: str, tracking_number: str, *, replayed: bool) -> JSONResponse:
    return JSONResponse(
        {"event_id": event_id, "tracking_number": tracking_number, "status": "reported"},
        status_code=202,
        headers={"Idempotent-Replayed": str(replayed).lower()},
    )


async def _stored(services: Services, query: Callable[[], Awaitable[T]]) -> T:
    try:
        return await query()
    except (asyncpg.PostgresError, OSError) as exc:
        raise ProblemError(
            503,
            "unavailable",
            detail_key="unavailable_detail",
            headers={"Retry-After": str(services.settings.retry_after_seconds)},
        ) from exc


@admin_router.post("/agencies/{agency_code}/keys", status_code=201)
async def create_key(agency_code: str, services: ServicesDep) -> JSONResponse:
    """A new API key for an agency in the catalog; the ``api_key`` is shown only in this answer."""
    _known_agency(services, agency_code)
    created = await services.keys.create(agency_code)
    return JSONResponse(
        {
            "key_id": created.key_id,
            "api_key": created.api_key,
            "agency_code": created.agency_code,
            "created_at": _iso(created.created_at),
        },
        status_code=201,
        headers={"Cache-Control": "no-store"},
    )


@admin_router.get("/agencies/{agency_code}/keys")
async def list_keys(agency_code: str, services: ServicesDep) -> dict[str, Any]:
    """The agency's keys (revoked ones too), never their secrets."""
    _plausible_agency(agency_code)
    keys = await services.keys.list(agency_code)
    if not keys:
        _known_agency(services, agency_code)
    return {"keys": [_listed(k) for k in keys]}


@admin_router.delete("/agencies/{agency_code}/keys/{key_id}", status_code=204)
async def revoke_key(agency_code: str, key_id: str, services: ServicesDep) -> Response:
    """Revoke a key at once (idempotent: revoking a revoked key is 204 too)."""
    _plausible_agency(agency_code)
    if not valid_key_id(key_id) or not await services.keys.revoke(agency_code, key_id):
        raise ProblemError(
            404, "not_found", detail_key="unknown_key_detail", agency=agency_code, value=key_id[:40]
        )
    return Response(status_code=204)


async def _authenticated_agency(request: Request, services: Services) -> str:
    raw = _bearer(request) or request.headers.get("x-api-key")
    if not raw:
        raise ProblemError(
            401,
            "unauthorized",
            detail_key="api_key_missing_detail",
            headers={"WWW-Authenticate": AGENCY_REALM},
        )
    presented = parse_key(raw)
    agency = await services.keys.verify(presented) if presented else None
    if agency is None:
        raise ProblemError(
            401,
            "unauthorized",
            detail_key="api_key_invalid_detail",
            headers={"WWW-Authenticate": f'{AGENCY_REALM}, error="invalid_token"'},
        )
    return agency


def _bearer(request: Request) -> str | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


def _report(raw: Any, bounds: Bounds) -> StatusReportIn:
    try:
        report = StatusReportIn.model_validate(raw)
    except ValidationError as exc:
        raise validation_problem(pydantic_errors(exc.errors(include_url=False))) from exc
    errors = _text_errors(report, bounds)
    if errors:
        raise validation_problem(errors)
    if report.status in NEEDS_REASON and not (report.reason or "").strip():
        raise validation_problem([FieldError("/reason", "reason_required", {"status": report.status})])
    return report


def _text_errors(report: StatusReportIn, bounds: Bounds) -> list[FieldError]:
    # The same text bounds as a submission's: no control characters, at most the free-text length.
    errors = []
    for name in ("tracking_number", "note", "reason"):
        value = getattr(report, name)
        code = text_problem(value) if value else None
        if code:
            errors.append(FieldError(f"/{name}", code))
        elif value and len(value) > bounds.max_text_field_chars:
            errors.append(FieldError(f"/{name}", "too_long", {"max": bounds.max_text_field_chars}))
    return errors


def _tracking_number(raw: str) -> str:
    parsed = parse_tracking_number(raw)
    if parsed.canonical is None:
        raise ProblemError(404, "not_found", detail_key=f"tn_{parsed.problem}", value=raw[:40])
    return parsed.canonical


def _plausible_agency(agency_code: str) -> None:
    # A code the database could refuse (a NUL byte) or that no catalog holds is unknown: 404, never 5xx.
    if len(agency_code) > 64 or text_problem(agency_code):
        raise ProblemError(404, "not_found", detail_key="unknown_agency_detail", value=agency_code[:64])


def _known_agency(services: Services, agency_code: str) -> None:
    catalog = services.catalog()
    if catalog is None:
        raise ProblemError(
            503,
            "unavailable",
            detail_key="catalog_unavailable_detail",
            headers={"Retry-After": str(services.settings.retry_after_seconds)},
        )
    if catalog.agency(agency_code) is None:
        raise ProblemError(404, "not_found", detail_key="unknown_agency_detail", value=agency_code[:64])


def _listed(key: KeyInfo) -> dict[str, Any]:
    return {
        "key_id": key.key_id,
        "created_at": _iso(key.created_at),
        "revoked_at": _iso(key.revoked_at),
        "last_used_at": _iso(key.last_used_at),
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None
