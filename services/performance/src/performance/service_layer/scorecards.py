"""Agency scorecards, rankings and officer scorecards: store measures + catalog + pure KPI arithmetic."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from satupintu_shared.catalog import Catalog

from ..adapters.scorecard_queries import Scope, ScorecardQueries
from ..domain import directory
from ..domain.ageing import bucket_thresholds
from ..domain.calendar import local_date
from ..domain.ikm import ELEMENTS, ikm_from_sums
from ..domain.kpi import AgencyCounts, rates, ratio, score_components
from ..domain.period import Period
from ..domain.score import COMPONENTS, FORMULA, composite_score

Clock = Callable[[], datetime]


def _num(value: Any) -> float | None:
    return None if value is None else float(value)


class Scorecards:
    """Builds scorecard, ranking and officer documents (plain dicts, ready for JSON or CSV)."""

    def __init__(
        self,
        queries: ScorecardQueries,
        catalog: Callable[[], Catalog],
        weights: dict[str, float],
        clock: Clock,
    ) -> None:
        self._queries = queries
        self._catalog = catalog
        self._weights = weights
        self._clock = clock

    def _scope(self, code: str, period: Period) -> Scope:
        zone = directory.info(self._catalog(), code).time_zone
        lo, hi = period.bounds(zone)
        # A past period's backlog is the one left at its last instant; the current one's is now.
        as_of = min(self._clock(), hi - timedelta(microseconds=1))
        marks = bucket_thresholds(local_date(as_of, zone))
        thresholds = (marks[0].since, marks[1].since, marks[2].since)
        return Scope(code, lo, hi, as_of, zone, thresholds)  # type: ignore[arg-type]

    async def agency(self, code: str, period: Period) -> dict[str, Any]:
        """The full scorecard of one agency."""
        return (await self._many([code], period))[0]

    async def ranking(self, period: Period, *, level: str | None, parent: str | None) -> list[dict[str, Any]]:
        """Scorecards of the selected agencies, best score first (no score last), with their rank."""
        codes = directory.select(
            self._catalog(), await self._queries.known_agencies(), level=level, parent=parent
        )
        cards = await self._many(codes, period)
        cards.sort(
            key=lambda c: (c["score"]["value"] is None, -(c["score"]["value"] or 0), c["agency"]["code"])
        )
        for rank, card in enumerate(cards, start=1):
            card["rank"] = rank if card["score"]["value"] is not None else None
        return cards

    async def _many(self, codes: list[str], period: Period) -> list[dict[str, Any]]:
        if not codes:
            return []
        scopes = [self._scope(code, period) for code in codes]
        measures = await self._queries.agency_measures(scopes)
        return [self._card(scope, period, measures[scope.code]) for scope in scopes]

    def _card(self, scope: Scope, period: Period, m: dict[str, dict[str, Any]]) -> dict[str, Any]:
        out, backlog = m.get("outcomes", {}), m.get("backlog", {})
        buckets = {label: int(backlog.get(label, 0)) for label in ("0-2", "3-5", "6-10", ">10")}
        counts = AgencyCounts(
            received=int(m.get("received", {}).get("received", 0)),
            completed=int(out.get("completed", 0)),
            completed_on_time=int(out.get("completed_on_time", 0)),
            rejected=int(out.get("rejected", 0)),
            returned=int(out.get("returned", 0)),
            escalated=int(out.get("escalated", 0)),
            median_turnaround_wd=_num(out.get("median_turnaround_wd")),
            p90_turnaround_wd=_num(out.get("p90_turnaround_wd")),
            backlog=buckets,
        )
        r = rates(counts)
        surveys = m.get("surveys", {})
        ikm = ikm_from_sums(int(surveys.get("respondents", 0)), {e: int(surveys.get(e, 0)) for e in ELEMENTS})
        ikm_value = float(ikm.value) if ikm else None
        score = composite_score(score_components(r, ikm_value), self._weights)
        agency = directory.info(self._catalog(), scope.code)
        return {
            "agency": {
                "code": agency.code,
                "name": agency.name,
                "level": agency.level,
                "parent": agency.parent,
                "time_zone": agency.time_zone,
            },
            "period": {"label": period.label, "from": scope.lo, "to": scope.hi},
            "received": counts.received,
            "completed": counts.completed,
            "completed_on_time": counts.completed_on_time,
            "on_time_rate": r.on_time_rate,
            "rejected": counts.rejected,
            "rejection_rate": r.rejection_rate,
            "returned": counts.returned,
            "return_rate": r.return_rate,
            "escalations": counts.escalated,
            "escalation_rate": r.escalation_rate,
            "turnaround_working_days": {
                "median": counts.median_turnaround_wd,
                "p90": counts.p90_turnaround_wd,
            },
            "backlog": {"as_of": scope.as_of, "open": sum(buckets.values()), "ageing_working_days": buckets},
            "ikm": _ikm_doc(ikm),
            "score": {
                "value": score.value,
                "formula": FORMULA,
                "weights": score.weights,
                "effective_weights": score.effective_weights,
                "components": score.components,
                "component_definitions": {n: d for n, (_, d) in COMPONENTS.items()},
            },
        }

    async def officers(
        self, period: Period, *, agency: str | None = None, officer: str | None = None
    ) -> list[dict[str, Any]]:
        """Officer scorecards of one agency, or of one officer across agencies."""
        zone = directory.info(self._catalog(), agency).time_zone if agency else None
        lo, hi = period.bounds(zone)
        rows = await self._queries.officers(lo, hi, agency=agency, officer=officer)
        return [
            {
                "officer_id": row["officer_id"],
                "agency_code": row["agency_code"],
                "period": period.label,
                "handled": int(row.get("handled", 0)),
                "completed": int(row.get("completed", 0) or 0),
                "completed_on_time": int(row.get("completed_on_time", 0) or 0),
                "on_time_rate": ratio(
                    int(row.get("completed_on_time", 0) or 0), int(row.get("completed", 0) or 0)
                ),
                "rejected": int(row.get("rejected", 0) or 0),
                "returned": int(row.get("returned", 0) or 0),
                "median_turnaround_working_days": _num(row.get("median_turnaround_wd")),
            }
            for row in rows
        ]


def _ikm_doc(ikm: Any) -> dict[str, Any]:
    if ikm is None:
        return {
            "respondents": 0,
            "value": None,
            "grade": None,
            "meaning": None,
            "element_means": None,
            "formula": "IKM = Σ(element mean × 1/9) × 25",
        }
    return {
        "respondents": ikm.respondents,
        "value": float(ikm.value),
        "grade": ikm.grade,
        "meaning": ikm.meaning,
        "element_means": {k: float(v) for k, v in ikm.element_means.items()},
        "formula": "IKM = Σ(element mean × 1/9) × 25",
    }
