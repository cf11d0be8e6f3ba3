"""What a scenario is: a name, units, which figures are throughputs, and one measured run."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from ..infra import Env
from ..report import Figures


@dataclass
class Context:
    """Shared by every scenario of one benchmark run."""

    env: Env
    quick: bool
    runs: int
    #: Medians measured so far in this run (scenario name → figures), e.g. for the relay baseline.
    measured: dict[str, Figures] = field(default_factory=dict)


class Scenario:
    """Base class. ``run_once`` returns one run's figures or raises ``NotRun`` (never a made-up number)."""

    name: ClassVar[str] = ""
    number: ClassVar[str] = ""
    title: ClassVar[str] = ""
    units: ClassVar[dict[str, str]] = {}
    #: Figures in events/s that get a ratio to each baseline.
    throughput: ClassVar[tuple[str, ...]] = ()
    #: Seconds one run may take before it is abandoned.
    timeout: ClassVar[float] = 300.0

    def __init__(self) -> None:
        self.params: dict[str, Any] = {}
        self.note: str | None = None

    async def prepare(self, ctx: Context) -> None:
        """Once before the runs (e.g. load a database); may raise NotRun."""

    async def run_once(self, ctx: Context, index: int) -> Figures:
        raise NotImplementedError

    async def cleanup(self, ctx: Context) -> None:
        """Once after the runs, also after a failure."""
