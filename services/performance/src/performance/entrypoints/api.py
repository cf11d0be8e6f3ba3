"""The performance JSON API (v1). Thin: parse parameters, call the service layer, shape the response.

Every route is for operators (role operator or higher): requests, officers' NIP, dead letters.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response

from satupintu_shared.catalog import Catalog
from satupintu_shared.http import problem
from satupintu_shared.operator_auth import Role, require_role

from ..adapters.ops_queries import OpsQueries
from ..domain.calendar import next_working_day_end
from ..domain.period import Period, current_month, parse_period
from ..service_layer.scorecards import Scorecards
from ..service_layer.timelines import breach_of, timeline
from .csv_export import csv_response, wants_csv

PeriodParam = Annotated[
    str | None, Query(description="YYYY-MM (month) or YYYY-MM-DD (day); default this month")
]
FormatParam = Annotated[str | None, Query(alias="format", pattern="^(json|csv)$")]
Limit = Annotated[int, Query(ge=1, le=1000)]
AgencyCode = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")]


class BadPeriod(ValueError):
    """The period parameter could not be parsed."""


def _links(tn: str) -> dict[str, str]:
    return {"timeline": f"/v1/requests/{tn}/timeline"}


def _request_doc(row: dict[str, Any], now: datetime) -> dict[str, Any]:
    breached, at = breach_of(row, now)
    keep = (
        "tracking_number",
        "status",
        "status_at",
        "service_code",
        "region_code",
        "channel",
        "agency_code",
        "officer_id",
        "submitted_at",
        "due_at",
        "completed_at",
        "returns",
        "escalations",
        "unroutable_reason",
        "trace_id",
    )
    return {
        **{k: row.get(k) for k in keep},
        "breached": breached,
        "breached_at": at,
        "links": _links(row["tracking_number"]),
    }


def build_router(
    scorecards: Scorecards, ops: OpsQueries, catalog: Callable[[], Catalog], clock: Callable[[], datetime]
) -> APIRouter:
    """All /v1 routes, each needing an operator credential."""
    router = APIRouter(prefix="/v1", dependencies=[Depends(require_role(Role.OPERATOR))])

    def period_of(text: str | None) -> Period:
        if text is None:
            return current_month(clock())
        try:
            return parse_period(text)
        except ValueError as exc:
            raise BadPeriod(str(exc)) from exc

    def ok(body: Any) -> JSONResponse:
        return JSONResponse(jsonable_encoder(body))

    @router.get("/requests/{tracking_number}/timeline")
    async def get_timeline(tracking_number: str) -> Response:
        doc = await timeline(ops, tracking_number, clock())
        if doc is None:
            return problem(404, "Unknown tracking number", detail=f"no events for {tracking_number!r}")
        return ok(doc)

    @router.get("/requests")
    async def search(
        status: Annotated[str | None, Query()] = None,
        agency: Annotated[str | None, Query()] = None,
        service: Annotated[str | None, Query()] = None,
        breached: Annotated[bool | None, Query()] = None,
        limit: Limit = 100,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> Response:
        now = clock()
        rows = await ops.search(
            status=status,
            agency=agency,
            service=service,
            breached=breached,
            limit=limit,
            offset=offset,
            now=now,
        )
        return ok({"items": [_request_doc(r, now) for r in rows], "limit": limit, "offset": offset})

    @router.get("/agencies")
    async def agencies() -> Response:
        items = [
            {
                "code": a.code,
                "name": a.name,
                "level": a.level.value,
                "parent": a.parent,
                "time_zone": a.time_zone.value,
                "links": {"scorecard": f"/v1/agencies/{a.code}/scorecard"},
            }
            for a in catalog().agencies
        ]
        return ok({"items": items})

    @router.get("/agencies/{agency_code}/scorecard")
    async def scorecard(
        request: Request, agency_code: AgencyCode, period: PeriodParam = None, fmt: FormatParam = None
    ) -> Response:
        card = await scorecards.agency(agency_code, period_of(period))
        if wants_csv(request, fmt):
            return csv_response([card], f"scorecard-{agency_code}-{card['period']['label']}.csv")
        return ok(card)

    @router.get("/agencies/{agency_code}/officers")
    async def officers(
        request: Request, agency_code: AgencyCode, period: PeriodParam = None, fmt: FormatParam = None
    ) -> Response:
        p = period_of(period)
        rows = await scorecards.officers(p, agency=agency_code)
        if wants_csv(request, fmt):
            return csv_response(rows, f"officers-{agency_code}-{p.label}.csv")
        return ok({"agency_code": agency_code, "period": p.label, "items": rows})

    @router.get("/officers/{nip}/scorecard")
    async def officer(
        request: Request,
        nip: Annotated[str, Path(pattern=r"^\d{18}$")],
        period: PeriodParam = None,
        fmt: FormatParam = None,
    ) -> Response:
        p = period_of(period)
        rows = await scorecards.officers(p, officer=nip)
        if wants_csv(request, fmt):
            return csv_response(rows, f"officer-{nip}-{p.label}.csv")
        return ok({"officer_id": nip, "period": p.label, "items": rows})

    @router.get("/rankings")
    async def rankings(
        request: Request,
        period: PeriodParam = None,
        level: str | None = None,
        parent: str | None = None,
        fmt: FormatParam = None,
    ) -> Response:
        p = period_of(period)
        cards = await scorecards.ranking(p, level=level, parent=parent)
        if wants_csv(request, fmt):
            return csv_response([{"rank": c["rank"], **c} for c in cards], f"rankings-{p.label}.csv")
        return ok({"period": p.label, "level": level, "parent": parent, "items": cards})

    @router.get("/overview")
    async def overview() -> Response:
        now = clock()
        doc = await ops.overview(now, next_working_day_end(now))
        return ok({"as_of": now, **doc})

    @router.get("/breaches")
    async def breaches(limit: Limit = 100) -> Response:
        now = clock()
        return ok({"items": [_request_doc(r, now) for r in await ops.breaches(now, limit)]})

    @router.get("/unroutable")
    async def unroutable(limit: Limit = 100) -> Response:
        now = clock()
        return ok({"items": [_request_doc(r, now) for r in await ops.unroutable(limit)]})

    @router.get("/dead-letters")
    async def dead_letters(limit: Limit = 100) -> Response:
        items = await ops.dead_letters(limit)
        for item in items:
            tn = item.get("tracking_number")
            item["links"] = _links(tn) if tn else {}
        return ok({"items": items})

    return router
