"""Routing's HTTP API: the applied catalog (public: the catalog of services) and where a request stands
(operators only; anything that would change state needs the administrator role)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import asyncpg
from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from satupintu_shared.catalog_feed import CatalogFeed
from satupintu_shared.http import problem
from satupintu_shared.operator_auth import Role, require_role

from ..adapters import assignments
from ..domain.regions import region_name


def api_router(feed: CatalogFeed, pool: Callable[[], asyncpg.Pool]) -> APIRouter:
    """``GET /v1/catalog`` and ``GET /v1/requests/{tracking_number}/assignment``."""
    router = APIRouter(prefix="/v1", tags=["routing"])

    @router.get("/catalog")
    async def catalog() -> dict[str, Any]:
        applied = feed.latest
        body = applied.model_dump(mode="json") if applied else {"version": None, "catalog": {}}
        agencies = body["catalog"].get("agencies", [])
        for agency in agencies:
            agency["jurisdiction_names"] = {code: region_name(code) for code in agency["jurisdiction"]}
        return {
            "version": body["version"],
            "applied_at": body.get("applied_at"),
            "digest": body.get("digest"),
            "agencies": agencies,
            "services": body["catalog"].get("services", []),
        }

    @router.get(
        "/requests/{tracking_number}/assignment",
        response_model=None,
        dependencies=[Depends(require_role(Role.OPERATOR))],
    )
    async def assignment(tracking_number: str) -> dict[str, Any] | JSONResponse:
        a = await assignments.get(pool(), tracking_number)
        if a is None:
            return problem(404, "Unknown request", detail=f"routing has no assignment for {tracking_number}")
        agency = feed.catalog.agency(a.agency_code) if a.agency_code else None
        return {
            "tracking_number": a.tracking_number,
            "agency_code": a.agency_code,
            "agency_name": agency.name if agency else None,
            "status": a.status,
            "since": a.since.isoformat(),
            "due_at": a.due_at.isoformat() if a.due_at else None,
            "sla_working_days": a.sla_working_days,
            "service_code": a.service_code,
            "region_code": a.region_code,
            "region_name": region_name(a.region_code),
            "hop": a.hop,
            "escalation_level": a.escalation_level,
            "returned_by": a.returned_by,
            "reason": a.reason,
            "trace_id": a.trace_id,
        }

    return router
