"""What the `satupintu` commands share: exit codes, HTTP calls with problem+json errors, progress lines
and table rendering."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

import httpx

from satupintu_shared.settings import KafkaSettings

#: Exit codes of every `satupintu` command.
OK = 0
REFUSED = 1  # the platform answered no: invalid input, unknown agency/request/key, nothing to do
UNAVAILABLE = 2  # could not ask: service or broker unreachable, server error, unexpected answer

INTAKE_URL = ("SATUPINTU_INTAKE_URL", "http://127.0.0.1:8080")
ROUTING_URL = ("SATUPINTU_ROUTING_URL", "http://127.0.0.1:8081")
PERFORMANCE_URL = ("SATUPINTU_PERFORMANCE_URL", "http://127.0.0.1:8082")
#: Operator credentials: (variable, file under SATUPINTU_SECRETS_DIR used when the variable and
#: ``<variable>_FILE`` are unset). There is no default token.
ADMIN_TOKEN = ("SATUPINTU_ADMIN_TOKEN", "admin-token")
OPERATOR_TOKEN = ("SATUPINTU_OPERATOR_TOKEN", "operator-token")
SECRETS_DIR = ("SATUPINTU_SECRETS_DIR", ".state/secrets")
HTTP_TIMEOUT = float(os.environ.get("SATUPINTU_HTTP_TIMEOUT_SECONDS", "10"))


def env(var: tuple[str, str]) -> str:
    """The value of an environment variable given as (name, default); an empty value means the default."""
    name, default = var
    return os.environ.get(name) or default


def base_url(var: tuple[str, str]) -> str:
    """A service's base URL from its environment variable, without a trailing slash."""
    return env(var).rstrip("/")


class CommandFailed(Exception):
    """A command cannot go on; ``str(self)`` is the message for the user, ``code`` the exit code."""

    def __init__(self, message: str, code: int = UNAVAILABLE) -> None:
        super().__init__(message)
        self.code = code


def kafka_settings() -> KafkaSettings:
    """The CLI's Kafka settings: the environment's, or — when it names no principal — the admin tool's
    credentials from ``SATUPINTU_SECRETS_DIR`` (where `make up` writes them), like the tokens below."""
    settings = KafkaSettings()
    admin = Path(env(SECRETS_DIR)) / "kafka" / "satupintu-admin"
    if settings.kafka_sasl_username is None and admin.is_file():
        return settings.model_copy(
            update={"kafka_sasl_username": "satupintu-admin", "kafka_sasl_password_file": admin}
        )
    return settings


def token(var: tuple[str, str]) -> str | None:
    """An operator token from its variable, else from the file named by ``<variable>_FILE``, else from
    its file in ``SATUPINTU_SECRETS_DIR`` (where `make up` writes it); None when there is none."""
    name, file_name = var
    value = os.environ.get(name, "").strip()
    if value:
        return value
    named = os.environ.get(f"{name}_FILE")
    path = Path(named) if named else Path(env(SECRETS_DIR)) / file_name
    try:
        return path.read_text(encoding="utf-8").strip() or None
    except FileNotFoundError:
        if named:
            raise CommandFailed(f"{name}_FILE {path} does not exist") from None
        return None
    except OSError as exc:
        raise CommandFailed(f"cannot read {path}: {exc}") from None


def bearer(*vars: tuple[str, str]) -> dict[str, str]:
    """``Authorization: Bearer`` with the first token found among ``vars``; ``CommandFailed`` naming
    where a token is looked for when there is none."""
    for var in vars:
        found = token(var)
        if found:
            return {"Authorization": f"Bearer {found}"}
    where = " or ".join(f"{name} ({name}_FILE, {env(SECRETS_DIR)}/{file})" for name, file in vars)
    raise CommandFailed(f"no operator credential: set {where}; `make up` writes them under .state/secrets/")


@dataclass(frozen=True)
class Answer:
    """An HTTP answer: status and JSON body (None when there is none or it is not JSON)."""

    status: int
    body: Any


def call(client: httpx.Client, method: str, url: str, *, what: str, **kwargs: Any) -> Answer:
    """Make one HTTP call; an unreachable service raises ``CommandFailed`` naming ``what`` and the URL."""
    try:
        response = client.request(method, url, timeout=HTTP_TIMEOUT, **kwargs)
    except httpx.TimeoutException:
        raise CommandFailed(f"{what} did not answer within {HTTP_TIMEOUT:.0f}s ({url})") from None
    except httpx.HTTPError as exc:
        raise CommandFailed(f"cannot reach {what} at {url}: {exc}") from None
    try:
        body = response.json() if response.content else None
    except ValueError:
        body = None
    return Answer(response.status_code, body)


def problem_text(answer: Answer) -> str:
    """The title and detail of an RFC 9457 problem (and its per-field errors), or the bare status."""
    body = answer.body if isinstance(answer.body, dict) else {}
    title = body.get("title") or f"HTTP {answer.status}"
    text = f"{title} ({answer.status})"
    if body.get("detail"):
        text += f": {body['detail']}"
    for error in body.get("errors") or ():
        if isinstance(error, dict):
            where = error.get("pointer") or error.get("field") or ""
            text += f"\n  - {where} {error.get('detail') or error.get('message') or ''}".rstrip()
    return text


def refused(answer: Answer, what: str) -> CommandFailed:
    """``CommandFailed`` for an answer that is not the expected one: 4xx refused, else unavailable."""
    code = REFUSED if 400 <= answer.status < 500 else UNAVAILABLE
    return CommandFailed(f"{what}: {problem_text(answer)}", code)


class Progress:
    """Progress of a long operation on stderr: one line rewritten in place on a terminal, otherwise a
    line every ``every`` seconds (so that logs of scripted runs stay short)."""

    def __init__(
        self, label: str, total: int | None = None, *, out: TextIO | None = None, every: float = 2.0
    ):
        self.label = label
        self.total = total
        self.done = 0
        self._out = out or sys.stderr
        self._tty = self._out.isatty()
        self._every = every
        self._last = time.monotonic()
        self._shown = False

    def advance(self, n: int = 1) -> None:
        self.done += n
        now = time.monotonic()
        if self._tty or now - self._last >= self._every:
            self._last = now
            self._show(end="\r" if self._tty else "\n")

    def finish(self) -> None:
        if self._shown or self._tty:
            self._show(end="\n")

    def _show(self, end: str) -> None:
        self._shown = True
        of = f"/{self.total}" if self.total is not None else ""
        pct = f" ({100 * self.done // self.total}%)" if self.total else ""
        print(f"{self.label}: {self.done}{of}{pct}", end=end, file=self._out, flush=True)


def parse_time(value: Any) -> datetime | None:
    """An ISO 8601 time from JSON (``Z`` accepted), or None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def show_time(value: datetime | str | None) -> str:
    """A time for people: local time of this terminal, to the second, with its UTC offset."""
    when = parse_time(value) if isinstance(value, str) else value
    if when is None:
        return "-" if value in (None, "") else str(value)
    if when.tzinfo is not None:
        when = when.astimezone()
    text = when.strftime("%Y-%m-%d %H:%M:%S%z")
    return text[:-2] if text[-2:] == "00" and len(text) > 19 else text  # +0700 → +07


def show_duration(seconds: float | None) -> str:
    """``93784`` → ``1d 2h``; ``125`` → ``2m 5s``; ``0.4`` → ``0.4s``."""
    if seconds is None:
        return "-"
    if seconds < 10:
        return f"{seconds:.1f}s"
    whole = int(seconds)
    days, rest = divmod(whole, 86_400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m {secs}s" if minutes else f"{secs}s"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], out: TextIO) -> None:
    """A plain aligned table (the last column is not padded, so long reasons do not widen the rest)."""
    widths = [len(h) for h in headers]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))
    for row in (headers, *rows):
        cells = [cell.ljust(widths[i]) if i + 1 < len(row) else cell for i, cell in enumerate(row)]
        print("  ".join(cells).rstrip(), file=out)


def clip(text: str, width: int) -> str:
    """``text`` on one line, at most ``width`` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"
