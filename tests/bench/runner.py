"""Runs the scenarios, takes medians, compares with the baselines, writes results/latest.{json,md,png}."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import platform
import time
import traceback
from datetime import UTC, datetime
from typing import Any

from tests.support.security import use_admin_by_default

from .infra import RESULTS, Env, NotRun
from .report import baseline_values, evaluate_targets, median_figures, ratios_to_baselines, render_markdown
from .scenarios import all_scenarios
from .scenarios.base import Context, Scenario

BASELINE_NAMES = ("physical", "relay")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    names = [s.name for s in all_scenarios()]
    p = argparse.ArgumentParser(prog="python -m tests.bench", description="SatuPintu benchmark (issue 8)")
    p.add_argument("--quick", action="store_true", help="one run per scenario, smaller sizes (< 5 min)")
    p.add_argument("--runs", type=int, default=None, help="runs per scenario (default 3, --quick 1)")
    p.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="NAME",
        help=f"run only this scenario (repeatable; the baselines still run): {', '.join(names)}",
    )
    p.add_argument("--skip-baselines", action="store_true", help="with --only: do not run the baselines")
    args = p.parse_args(argv)
    unknown = [n for n in args.only if n not in names]
    if unknown:
        p.error(f"unknown scenario(s) {unknown}; choose from {names}")
    return args


def selected(args: argparse.Namespace) -> list[Scenario]:
    scenarios = all_scenarios()
    if not args.only:
        return scenarios
    wanted = set(args.only) | (set() if args.skip_baselines else set(BASELINE_NAMES))
    return [s for s in scenarios if s.name in wanted]


async def run_scenario(sc: Scenario, ctx: Context) -> dict[str, Any]:
    """Prepare, run ``ctx.runs`` times, clean up; the scenario's entry of latest.json (without ratios)."""
    log = logging.getLogger("bench")
    entry: dict[str, Any] = {"number": sc.number, "title": sc.title, "status": "ok", "runs": []}
    started = time.perf_counter()
    failures: list[str] = []
    try:
        await asyncio.wait_for(sc.prepare(ctx), timeout=sc.timeout)
        for i in range(ctx.runs):
            log.info("%s: run %d/%d", sc.name, i + 1, ctx.runs)
            try:
                figures = await asyncio.wait_for(sc.run_once(ctx, i), timeout=sc.timeout)
            except TimeoutError:
                failures.append(f"run {i + 1} exceeded {sc.timeout:.0f} s")
                continue
            log.info(
                "%s: %s", sc.name, {k: round(v, 2) if v is not None else None for k, v in figures.items()}
            )
            entry["runs"].append(figures)
    except NotRun as exc:
        entry["status"], entry["why"] = "not-run", str(exc)
    except Exception as exc:
        entry["status"], entry["why"] = "error", f"{type(exc).__name__}: {exc}"
        log.error("%s failed:\n%s", sc.name, traceback.format_exc())
    finally:
        try:
            await asyncio.wait_for(sc.cleanup(ctx), timeout=60)
        except Exception:
            log.warning("%s: cleanup failed:\n%s", sc.name, traceback.format_exc())
    if entry["status"] == "ok" and not entry["runs"]:
        entry["status"], entry["why"] = "error", "; ".join(failures) or "no run completed"
    elif failures:
        sc.note = "; ".join(filter(None, [sc.note, *failures]))
    if entry["status"] != "ok" and entry["runs"]:
        # A later run could not complete: keep what was measured, say so.
        sc.note = "; ".join(
            filter(None, [sc.note, f"stopped after {len(entry['runs'])} run(s): {entry['why']}"])
        )
        entry["status"] = "ok"
    entry["figures"] = median_figures(entry["runs"]) if entry["runs"] else {}
    entry["units"] = dict(sc.units)
    entry["params"] = sc.params
    if sc.note:
        entry["note"] = sc.note
    entry["seconds"] = round(time.perf_counter() - started, 1)
    log.info("%s: %s in %.0f s %s", sc.name, entry["status"], entry["seconds"], entry.get("why", ""))
    return entry


async def run(args: argparse.Namespace) -> dict[str, Any]:
    runs = args.runs or (1 if args.quick else 3)
    ctx = Context(env=Env(), quick=args.quick, runs=runs)
    started_at = datetime.now(UTC)
    t0 = time.perf_counter()
    scenarios: dict[str, dict[str, Any]] = {}
    chosen = selected(args)
    for sc in chosen:
        scenarios[sc.name] = await run_scenario(sc, ctx)
        ctx.measured[sc.name] = scenarios[sc.name]["figures"]
    baselines = baseline_values(scenarios)
    for sc in chosen:
        entry = scenarios[sc.name]
        entry["ratios"] = ratios_to_baselines(entry["figures"], sc.throughput, baselines)
    return {
        "started_at": started_at.isoformat(timespec="seconds"),
        "mode": "quick" if args.quick else "full",
        "runs": runs,
        "machine": f"{platform.machine()}, {os.cpu_count()} CPU, Python {platform.python_version()}",
        "seconds": round(time.perf_counter() - t0, 1),
        "baselines": baselines,
        "targets": evaluate_targets(scenarios),
        "scenarios": scenarios,
    }


def write(result: dict[str, Any]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(result, indent=2, default=str) + "\n")
    (RESULTS / "latest.md").write_text(render_markdown(result))
    try:
        from .chart import draw

        draw(result, RESULTS / "latest.png")
    except Exception:
        logging.getLogger("bench").warning("chart failed:\n%s", traceback.format_exc())


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s bench %(message)s", datefmt="%H:%M:%S")
    for noisy in ("aiokafka", "httpx", "kafka"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    args = parse_args(argv)
    # Set-up and clean-up are the admin tool's (`make bench` sets its credentials; a bare
    # `python -m tests.bench` takes them from the stack's secrets).
    use_admin_by_default()
    result = asyncio.run(run(args))
    write(result)
    print(render_markdown(result))
    print(f"written: {RESULTS / 'latest.json'}, latest.md, latest.png")
    return 0
