"""`satupintu request show TRACKING`: a request's journey in the terminal.

The current assignment comes from routing (``GET /v1/requests/{tn}/assignment``), the history from
performance (``GET /v1/requests/{tn}/timeline``). Either may be missing (performance records events a
moment after they happen; routing forgets nothing it assigned): what is known is shown. Both are operator
reads: the operator token is sent (``SATUPINTU_OPERATOR_TOKEN``, ``SATUPINTU_OPERATOR_TOKEN_FILE`` or
``$SATUPINTU_SECRETS_DIR/operator-token``), or the administrator's when there is no operator token.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from typing import Any, TextIO
from urllib.parse import quote

import httpx

from .cli_support import (
    ADMIN_TOKEN,
    OK,
    OPERATOR_TOKEN,
    PERFORMANCE_URL,
    REFUSED,
    ROUTING_URL,
    UNAVAILABLE,
    Answer,
    CommandFailed,
    base_url,
    bearer,
    call,
    clip,
    parse_time,
    problem_text,
    show_duration,
    show_time,
    table,
)

JAEGER_URL = ("SATUPINTU_JAEGER_URL", "http://127.0.0.1:16686")
TERMINAL = frozenset({"completed", "rejected", "unroutable"})


def show(tracking_number: str, out: TextIO, *, as_json: bool = False, err: TextIO | None = None) -> int:
    """Print the journey of ``tracking_number``; 1 when neither service knows it, 2 when neither answers."""
    err = err or sys.stderr
    tn = tracking_number.strip().upper()
    path = f"/v1/requests/{quote(tn, safe='')}"
    headers = {**bearer(OPERATOR_TOKEN, ADMIN_TOKEN), "Accept": "application/json"}
    with httpx.Client(headers=headers) as client:
        assignment, assignment_problem = _fetch(
            client, f"{base_url(ROUTING_URL)}{path}/assignment", "routing"
        )
        timeline, timeline_problem = _fetch(
            client, f"{base_url(PERFORMANCE_URL)}{path}/timeline", "performance"
        )
    if assignment is None and timeline is None:
        unreachable = [p for p in (assignment_problem, timeline_problem) if p and p[0] == UNAVAILABLE]
        if len(unreachable) == 2:
            raise CommandFailed("\n".join(p[1] for p in unreachable))
        print(f"{tn}: unknown tracking number", file=err)
        for problem in (assignment_problem, timeline_problem):
            if problem:
                print(f"  {problem[1]}", file=err)
        return REFUSED
    for problem in (assignment_problem, timeline_problem):
        if problem:
            print(f"note: {problem[1]}", file=err)
    if as_json:
        print(
            json.dumps({"assignment": assignment, "timeline": timeline}, indent=2, ensure_ascii=False),
            file=out,
        )
        return OK
    _summary(tn, assignment, timeline, out)
    if timeline is not None:
        print("", file=out)
        _journey(timeline, out)
    return OK


def _fetch(client: httpx.Client, url: str, what: str) -> tuple[dict[str, Any] | None, tuple[int, str] | None]:
    """The JSON document at ``url``, or None and (exit code, why)."""
    try:
        answer: Answer = call(client, "GET", url, what=what)
    except CommandFailed as exc:
        return None, (UNAVAILABLE, str(exc))
    if answer.status == 200 and isinstance(answer.body, dict):
        return answer.body, None
    if answer.status == 404:
        return None, (REFUSED, f"{what} does not know it: {problem_text(answer)}")
    return None, (UNAVAILABLE, f"{what} answered {problem_text(answer)}")


def _summary(tn: str, a: dict[str, Any] | None, t: dict[str, Any] | None, out: TextIO) -> None:
    either: dict[str, Any] = {**(t or {}), **(a or {})}
    region = either.get("region_code") or "?"
    if a and a.get("region_name"):
        region += f" ({a['region_name']})"
    channel = f" · channel {t['channel']}" if t and t.get("channel") else ""
    print(f"{tn} · service {either.get('service_code') or '?'} · region {region}{channel}", file=out)
    status = (a or t or {}).get("status") or "?"
    agency = either.get("agency_code") or "-"
    if a and a.get("agency_name"):
        agency += f" ({a['agency_name']})"
    since = show_time(a.get("since")) if a else show_time((t or {}).get("assigned_at"))
    print(f"status:   {status} at {agency}, since {since}", file=out)
    due = either.get("due_at")
    if due:
        sla = either.get("sla_working_days")
        sla_text = f" ({sla} working days)" if sla is not None else ""
        breached = ""
        if t is not None:
            breached = (
                f" · BREACHED at {show_time(t.get('breached_at'))}"
                if t.get("breached")
                else " · within deadline"
            )
        print(f"due:      {show_time(due)}{sla_text}{breached}", file=out)
    if a:
        hops = f"hop {a.get('hop', 0)}, escalation level {a.get('escalation_level', 0)}"
        if a.get("returned_by"):
            hops += f", returned by {', '.join(a['returned_by'])}"
        print(f"moves:    {hops}", file=out)
        reason = a.get("reason") or {}
        if reason:
            print(f"why here: {_reason_text(reason)}", file=out)
    elif t and t.get("unroutable_reason"):
        print(f"why:      {t['unroutable_reason']}", file=out)
    trace = either.get("trace_id")
    if trace:
        print(f"trace:    {trace}  ({base_url(JAEGER_URL)}/trace/{trace})", file=out)
    if t is None:
        print("(no timeline yet: performance has not recorded this request's events)", file=out)


def _reason_text(reason: dict[str, Any]) -> str:
    parts = [str(reason.get("rule") or "?")]
    if reason.get("owning_level"):
        parts.append(f"owning level {reason['owning_level']}")
    if reason.get("matched_region"):
        parts.append(f"matched {reason['matched_region']}")
    if reason.get("candidates"):
        parts.append(f"candidates {', '.join(reason['candidates'])}")
    text = "; ".join(parts)
    return f"{text} — {reason['explanation']}" if reason.get("explanation") else text


def _journey(t: dict[str, Any], out: TextIO) -> None:
    events: list[dict[str, Any]] = list(t.get("events") or [])
    stays: list[dict[str, Any]] = list(t.get("time_in_state") or [])
    now = datetime.now().astimezone()
    rows: list[list[str]] = []
    due: datetime | None = None
    stay_index = 0
    for e in events:
        at = parse_time(e.get("occurred_at"))
        if e.get("due_at"):
            due = parse_time(e["due_at"])
        in_state, breached = "-", "-"
        if e.get("status"):
            stay = stays[stay_index] if stay_index < len(stays) else None
            stay_index += 1
            if stay is not None:
                in_state = show_duration(stay.get("seconds"))
                if stay.get("left_at") is None and e["status"] not in TERMINAL:
                    in_state += " so far"
            if due is not None and at is not None:
                left = parse_time(stay.get("left_at")) if stay else None
                end = at if e["status"] in TERMINAL else (left or now)
                breached = "yes" if end > due else "no"
        rows.append(
            [
                str(e.get("status") or e.get("name") or e.get("type") or "?"),
                show_time(at),
                str(e.get("agency_code") or "-"),
                str(e.get("officer_id") or "-"),
                in_state,
                show_time(due) if due else "-",
                breached,
                str(e.get("trace_id") or "-"),
                _why(e),
            ]
        )
    if not rows:
        print("(no events recorded yet)", file=out)
        return
    table(
        ["STATUS", "TIME", "AGENCY", "OFFICER", "IN STATE", "DUE", "BREACHED", "TRACE ID", "REASON"],
        rows,
        out,
    )


def _why(e: dict[str, Any]) -> str:
    """The reason column: the routing reason of a routing decision, else the reported reason and note."""
    parts: list[str] = []
    reason = e.get("reason")
    if isinstance(reason, dict):
        parts.append(_reason_text(reason))
    elif reason:
        parts.append(str(reason))
    if e.get("escalation_level"):
        parts.append(f"escalation level {e['escalation_level']}")
    if e.get("note"):
        parts.append(f"note: {e['note']}")
    return clip("; ".join(parts), 160) if parts else ""
