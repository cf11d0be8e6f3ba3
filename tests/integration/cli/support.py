"""Running the `satupintu` CLI as a separate process, the way integrators run it."""

from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


@dataclass(frozen=True)
class Run:
    """Exit code and output of one CLI run."""

    code: int
    out: str
    err: str


async def satupintu(env: dict[str, str], *args: str, timeout: float = 90.0) -> Run:
    """Run ``satupintu ARGS`` with ``env`` added to this process's environment."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "routing.cli",
        *args,
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout)
    assert proc.returncode is not None
    return Run(proc.returncode, out.decode(), err.decode())
